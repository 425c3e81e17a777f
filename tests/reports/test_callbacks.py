"""The result-callback receiver over real HTTP: signatures, freshness, duplicates, malformed
events, and the counters a send fills through the emulator's own callbacks."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone

from campaigns import dispatch, services
from campaigns.models import Campaign
from core.chat_apps import default_app
from pushclient import TimClient, callbacks
from reports import dedupe
from reports.models import DeliveryCount, SeenEvent
from reports.selectors import campaign_report
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY
from tests.reports.conftest import TOKEN, event

pytestmark = pytest.mark.django_db(transaction=True)


def post(url, events, *, token=TOKEN, request_time=None, sdkappid=SDKAPPID, sign=None,
         command=callbacks.COMMAND, raw=None):
    request_time = str(int(time.time()) if request_time is None else request_time)
    query = {"SdkAppid": sdkappid, "CallbackCommand": command, "contenttype": "json",
             "RequestTime": request_time,
             "Sign": sign if sign is not None else callbacks.sign(token, request_time)}
    return requests.post(url, params=query, timeout=10,
                         data=raw if raw is not None else None,
                         json=None if raw is not None else {"Events": events})


def counts(task="T1"):
    """(platform, stage, err_code) -> count. An OK answer means the events are already
    counted: no waiting."""
    return {(r.platform, r.stage, r.err_code): r.count
            for r in DeliveryCount.objects.filter(task_id=task)}


def test_it_answers_ok_and_counts_a_signed_batch_of_100(receiver):
    events = [event(f"user{i}", stage=1 + i % 3, platform=1 + i % 8) for i in range(100)]
    answer = post(receiver, events)
    assert answer.status_code == 200
    assert answer.json() == {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
    found = counts()
    assert sum(found.values()) == 100
    assert found[(1, 1, 0)] == 5  # i = 0, 24, 48, 72, 96: APNs at stage 1


def test_it_refuses_a_wrong_sign_and_counts_nothing(receiver):
    answer = post(receiver, [event()], token="not-the-token")
    assert answer.status_code == 401
    assert "Sign does not match" in answer.json()["ErrorInfo"]
    assert TOKEN not in answer.text
    assert post(receiver, [event()], sign="").status_code == 401
    assert not counts()


def test_it_refuses_a_stale_or_future_request_time(receiver):
    stale = post(receiver, [event()], request_time=int(time.time()) - 61)
    assert stale.status_code == 401 and "old" in stale.json()["ErrorInfo"]
    ahead = post(receiver, [event()], request_time=int(time.time()) + 120)
    assert ahead.status_code == 401 and "ahead" in ahead.json()["ErrorInfo"]
    assert post(receiver, [event()], request_time="12ab").status_code == 401
    # "²".isdigit() is true and int("²") raises: the rule, not a 500.
    odd = post(receiver, [event()], request_time="²", sign="x")
    assert odd.status_code == 401
    assert odd.json()["ErrorInfo"] == "RequestTime must be a unix time in seconds"
    assert post(receiver, [event()], request_time=int(time.time()) - 50).status_code == 200
    assert sum(counts().values()) == 1


def test_a_request_time_of_other_digits_is_refused_in_words(receiver):
    """'²' and '١٢٣' pass str.isdigit(); the first made int() fail with a 500."""
    for request_time in ("\u00b2", "\u0661\u0662\u0663", " 1700000000", "-1"):
        answer = post(receiver, [event()], request_time=request_time)
        assert answer.status_code == 401, request_time
        assert answer.json()["ErrorInfo"] == "RequestTime must be a unix time in seconds"
    assert not counts()


def test_a_deeply_nested_body_is_refused_in_words(receiver):
    answer = post(receiver, None, raw=b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400
    assert answer.json()["ErrorInfo"] == "the body is nested too deeply to be a callback"


def test_an_err_code_the_counters_cannot_hold_is_refused_by_field(receiver):
    for err in (10**26, 2**31, -(2**31) - 1):
        answer = post(receiver, [event("mary"), event("bob", err=err)])
        assert answer.status_code == 400, err
        assert answer.json()["errors"] == {"Events[1]": [
            "ErrCode must be a whole number from -2147483648 to 2147483647"]}
    assert not counts()
    assert post(receiver, [event("mary", err=2**31 - 1)]).status_code == 200
    assert counts() == {(2, 1, 2**31 - 1): 1}


def test_it_refuses_another_apps_callbacks(receiver):
    answer = post(receiver, [event()], sdkappid=SDKAPPID + 1)
    assert answer.status_code == 403 and "SdkAppid" in answer.json()["ErrorInfo"]
    assert post(receiver, [event()], command="C2C.CallbackAfterSendMsg").status_code == 400
    assert not DeliveryCount.objects.exists()


def test_without_a_token_callbacks_are_refused_unless_unsigned_ones_are_allowed(receiver,
                                                                                settings):
    settings.TIM_CALLBACK_TOKEN = ""
    refused = post(receiver, [event()], sign="")
    assert refused.status_code == 401 and "TIM_CALLBACK_TOKEN" in refused.json()["ErrorInfo"]
    settings.TIM_CALLBACK_ALLOW_UNSIGNED = True
    assert post(receiver, [event()], sign="").status_code == 200
    assert sum(counts().values()) == 1


def test_a_retried_batch_and_repeats_inside_one_count_once(receiver):
    events = [event("mary"), event("mary"), event("bob"), event("mary", stage=2)]
    assert post(receiver, events).status_code == 200
    assert post(receiver, events).status_code == 200, "Tencent's retry is answered OK too"
    assert post(receiver, [event("bob", platform=2)]).status_code == 200
    assert counts() == {(2, 1, 0): 2, (2, 2, 0): 1}


def test_the_same_batch_racing_in_on_eight_connections_counts_once(receiver):
    """While one request is counting the batch, the others are refused (503: not stored yet),
    never answered OK for events that might still be lost; posted again, they answer OK."""
    events = [event(f"user{i}", stage=1 + i % 3) for i in range(100)]

    def until_ok(_):
        refusals = []
        while (answer := post(receiver, events)).status_code != 200:
            refusals.append((answer.status_code, answer.json()["ErrorInfo"]))
            time.sleep(0.05)
        return refusals

    with ThreadPoolExecutor(8) as pool:
        refusals = [r for rs in pool.map(until_ok, range(8)) for r in rs]
    assert sum(counts().values()) == 100
    for status, info in refusals:
        assert status == 503 and "nothing was counted" in info


def test_malformed_events_are_refused_by_field_and_nothing_is_counted(receiver):
    bad_stage = post(receiver, [event("mary"), {**event("bob"), "PushStage": 7}])
    assert bad_stage.status_code == 400
    assert bad_stage.json()["errors"] == {"Events[1]": ["PushStage must be one of 1, 2, 3"]}
    missing = post(receiver, [{k: v for k, v in event().items() if k != "TaskId"}])
    assert missing.json()["errors"] == {"Events[0]": ["TaskId must be non-empty text"]}
    as_text = post(receiver, [{**event(), "PushPlatform": "2"}])
    assert as_text.json()["errors"] == {"Events[0]": ["PushPlatform must be a whole number"]}
    surrogate = post(receiver, None, raw=b'{"Events": [{"TaskId": "T1", "To_Account": "\\ud800", '
                                         b'"PushPlatform": 1, "PushStage": 1, "EventType": 1}]}')
    assert surrogate.json()["errors"] == {"Events[0]": ["To_Account holds an unpaired surrogate"]}
    too_many = post(receiver, [event(f"u{i}") for i in range(101)])
    assert too_many.json()["errors"] == {"Events": ["Events must list 1 to 100 events"]}
    assert post(receiver, []).status_code == 400
    not_json = post(receiver, None, raw=b"{not json")
    assert not_json.status_code == 400 and not_json.json()["ErrorInfo"] == \
        "the body is not valid JSON"
    assert post(receiver, None, raw=b"[1, 2]").status_code == 400
    deep = post(receiver, None, raw=b"[" * 50_000)  # not a RecursionError, a 500
    assert deep.status_code == 400 and deep.json()["ErrorInfo"] == \
        "the body is nested too deeply to be a callback"
    assert requests.get(receiver, timeout=5).status_code == 405
    assert not counts()


def test_the_token_never_reaches_answers_or_logs(receiver, caplog):
    post(receiver, [event()], token="wrong")
    post(receiver, [event()], request_time=1)
    post(receiver, [event()])
    assert TOKEN not in caplog.text


def test_de_duplication_keys_expire_with_tencents_retries(receiver, settings):
    settings.TIM_CALLBACK_DEDUPE_SECONDS = 3600
    assert post(receiver, [event("kim")]).status_code == 200
    counts()
    if settings.REDIS_URL:
        ttl = dedupe._redis().ttl(dedupe.REDIS_PREFIX + dedupe.event_key(
            callbacks.parse_events({"Events": [event("kim")]})[0][0], default_app()))
        assert 3500 < ttl <= 3600
    else:
        assert SeenEvent.objects.count() == 1
        dedupe.prune(now=timezone.now() + timezone.timedelta(seconds=3601))
        assert SeenEvent.objects.count() == 0


def test_a_sends_counters_fill_in_from_the_emulators_callbacks(receiver, marketer, tim):
    accounts = [f"user{i:03}" for i in range(250)]
    tim.post("accounts", {"accounts": accounts})
    tim.post("config", {"callback_url": receiver, "callback_token": TOKEN,
                        "callback_stage_delay_seconds": 0})
    campaign = services.campaign_send_now(
        campaign=services.campaign_create(user=marketer, name="Sale", push={"MsgBody": TEXT}),
        user=marketer)
    assert dispatch.dispatch_due_campaigns(run_seconds=0.3) == 1
    campaign = Campaign.objects.get(pk=campaign.pk)
    deadline = time.monotonic() + 20
    while not tim.state()["callbacks_idle"] and time.monotonic() < deadline:
        time.sleep(0.1)
    report = campaign_report(campaign)
    now = int(time.time())
    # The emulator's own figures, asked as the poller asks.
    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=tim.url)
    stats = client.timpush.push_statistics(start=now - 120, end=now + 1,
                                           task_ids=[campaign.task_id])["Results"][0]
    assert stats["TotalCount"] == 250
    assert (report["sent"], report["delivered"], report["clicked"]) == (
        stats["SentCount"], stats["DeliveredCount"], stats["ClickCount"])
    assert 150 < report["delivered"] < 250 and report["clicked"] > 20
    assert {v["vendor"] for v in report["vendors"]} >= {"APNs", "Xiaomi", "Huawei"}
    assert sum(loss["count"] for loss in report["losses"]) == 250 - report["delivered"]
    assert tim.state()["callbacks_posted"].get("failed", 0) == 0
    assert TOKEN not in str(tim.state())
