"""Two apps' result callbacks over real HTTP: each names its app by SdkAppid and is signed with
that app's token; each app's events count on its own campaigns (the same TaskId in two apps
included); a callback naming another app than its token's, or an app the dashboard does not
have, counts nothing; and a person sees only their apps' reports."""

import time

import pytest
import requests
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import dispatch, services
from campaigns.models import Campaign
from core import tencent
from core.chat_apps import app_save, default_app
from core.tokens import token_create
from pushclient import callbacks
from reports.models import DeliveryCount
from tests.conftest import TEXT, make_user
from tests.emulator_process import SDKAPPID
from tests.reports.conftest import TOKEN, event

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads commits

OTHER_SDKAPPID = 1400000888
OTHER_KEY = "the-reports-other-apps-own-secret-key-0002"
OTHER_TOKEN = "the-other-apps-callback-token-5e2a"
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}


@pytest.fixture
def two_apps(receiver, tim, admin_user):
    """The default app (TIM_* settings, TOKEN) and an international one with its own key and
    callback token, each emulated on its own and posting its callbacks to the receiver."""
    added = requests.post(f"{tim.url}/emulator/apps", json={
        "sdkappid": OTHER_SDKAPPID, "secret_key": OTHER_KEY}, timeout=10)
    assert added.status_code in (200, 409), added.text  # 409: added by an earlier test
    tim.post("reset", sdkappid=OTHER_SDKAPPID)
    for sdkappid, token in ((SDKAPPID, TOKEN), (OTHER_SDKAPPID, OTHER_TOKEN)):
        tim.post("config", {"callback_url": receiver, "callback_token": token,
                            "callback_stage_delay_seconds": 0, "min_push_interval": 0.0},
                 sdkappid=sdkappid)
    other = app_save(user=admin_user, values={
        "name": "Shop International", "slug": "intl", "sdkappid": OTHER_SDKAPPID,
        "base_url": tim.url}, secret_key=OTHER_KEY, callback_token=OTHER_TOKEN)
    return default_app(), other


def post(url, events, *, token, sdkappid, request_time=None, sign=None):
    """A callback as Tencent posts it for the app `sdkappid`, signed with `token`."""
    now = str(int(time.time()) if request_time is None else request_time)
    query = {"SdkAppid": sdkappid, "CallbackCommand": callbacks.COMMAND, "contenttype": "json",
             "RequestTime": now, "Sign": callbacks.sign(token, now) if sign is None else sign}
    return requests.post(url, params=query, json={"Events": events}, timeout=10)


def sent(user, app, name, task_id) -> Campaign:
    """A campaign of `app` marked sent as task `task_id`."""
    campaign = services.campaign_create(user=user, app=app, name=name, push=PUSH)
    Campaign.objects.filter(pk=campaign.pk).update(status="sent", task_id=task_id)
    return Campaign.objects.get(pk=campaign.pk)


def api(client, user):
    _token, raw = token_create(user=user)
    return lambda path: client.get(path, HTTP_AUTHORIZATION=f"Token {raw}")


@pytest.fixture
def nadia(two_apps):
    """A marketer of the international app only."""
    person = make_user("nadia", "Marketers")
    two_apps[1].people.add(person)
    return person


def test_each_apps_callbacks_count_on_its_own_campaign(two_apps, marketer, nadia, tim,
                                                       client):
    main, intl = two_apps
    tim.post("accounts", {"accounts": [f"cn{i:03}" for i in range(60)]})
    tim.post("accounts", {"accounts": [f"intl{i:03}" for i in range(40)]},
             sdkappid=OTHER_SDKAPPID)
    ours = services.campaign_send_now(user=marketer, campaign=services.campaign_create(
        user=marketer, app=main, name="China sale", push=PUSH))
    theirs = services.campaign_send_now(user=nadia, campaign=services.campaign_create(
        user=nadia, app=intl, name="Global sale", push=PUSH))
    assert dispatch.dispatch_due_campaigns(run_seconds=1.5) == 2
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(
            tim.state(sdkappid=s)["callbacks_idle"] for s in (SDKAPPID, OTHER_SDKAPPID)):
        time.sleep(0.1)
    for sdkappid in (SDKAPPID, OTHER_SDKAPPID):
        posted = tim.state(sdkappid=sdkappid)["callbacks_posted"]
        assert posted.get("ok", 0) > 0 and posted.get("failed", 0) == 0, (sdkappid, posted)

    for person, campaign, app, accounts in ((marketer, ours, main, 60),
                                            (nadia, theirs, intl, 40)):
        campaign.refresh_from_db()
        report = api(client, person)(f"/api/campaigns/{campaign.pk}/report/").json()
        now = int(time.time())
        # What the app's own (emulated) Tencent says of its task, asked as the poller asks.
        stats = tencent.client(app).timpush.push_statistics(
            start=now - 120, end=now + 1, task_ids=[campaign.task_id])["Results"][0]
        assert stats["TotalCount"] == accounts
        assert (report["sent"], report["delivered"], report["clicked"]) == (
            stats["SentCount"], stats["DeliveredCount"], stats["ClickCount"]), app.slug
        assert report["delivered"] + sum(loss["count"] for loss in report["losses"]) == accounts


def test_the_same_task_id_in_two_apps_counts_apart(two_apps, receiver, marketer, nadia,
                                                   client):
    main, intl = two_apps
    ours = sent(marketer, main, "China sale", "T-same")
    theirs = sent(nadia, intl, "Global sale", "T-same")
    ok = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
    answer = post(receiver, [event("mary", task="T-same"), event("bob", task="T-same"),
                             event("kim", task="T-same")], token=TOKEN, sdkappid=SDKAPPID)
    assert (answer.status_code, answer.json()) == (200, ok)
    # The same event (TaskId, account, platform, stage) from the other app is another event.
    answer = post(receiver, [event("mary", task="T-same")], token=OTHER_TOKEN,
                  sdkappid=OTHER_SDKAPPID)
    assert (answer.status_code, answer.json()) == (200, ok)
    assert post(receiver, [event("mary", task="T-same")], token=OTHER_TOKEN,
                sdkappid=OTHER_SDKAPPID).status_code == 200, "Tencent's retry"
    assert api(client, marketer)(f"/api/campaigns/{ours.pk}/report/").json()["sent"] == 3
    assert api(client, nadia)(f"/api/campaigns/{theirs.pk}/report/").json()["sent"] == 1
    client.force_login(nadia)
    csv = client.get(f"/campaigns/{theirs.pk}/report.csv").content.decode("utf-8-sig")
    assert csv.splitlines()[-2].startswith("total,,1,0,0")


def test_a_callback_naming_another_app_than_its_token_is_refused(two_apps, receiver):
    for token, sdkappid in ((TOKEN, OTHER_SDKAPPID), (OTHER_TOKEN, SDKAPPID)):
        answer = post(receiver, [event("mary")], token=token, sdkappid=sdkappid)
        assert answer.status_code == 401
        assert answer.json()["ActionStatus"] == "FAIL" and answer.json()["ErrorCode"] == 401
        assert "Sign does not match" in answer.json()["ErrorInfo"]
        assert TOKEN not in answer.text and OTHER_TOKEN not in answer.text
    assert not DeliveryCount.objects.exists()


def test_a_callback_naming_no_app_of_the_dashboard_is_refused(two_apps, receiver):
    for sdkappid in (1400000999, "", "abc", " 1400000888", "\u0661\u0664\u0660\u0660",
                     "1" * 40):
        answer = post(receiver, [event("mary")], token=OTHER_TOKEN, sdkappid=sdkappid)
        assert answer.status_code == 403, sdkappid
        assert answer.json() == {"ActionStatus": "FAIL", "ErrorCode": 403,
                                 "ErrorInfo": "SdkAppid names no app of this dashboard"}
    assert not DeliveryCount.objects.exists()


def test_an_app_without_a_callback_token_takes_unsigned_callbacks_only_when_allowed(
        two_apps, receiver, admin_user, settings):
    main, intl = two_apps
    app_save(user=admin_user, app=intl, values={}, callback_token="")
    refused = post(receiver, [event("mary")], token="", sdkappid=OTHER_SDKAPPID, sign="")
    assert refused.status_code == 401
    assert "has no callback token" in refused.json()["ErrorInfo"]
    settings.TIM_CALLBACK_ALLOW_UNSIGNED = True
    assert post(receiver, [event("mary")], token="", sdkappid=OTHER_SDKAPPID,
                sign="").status_code == 200
    assert list(DeliveryCount.objects.values_list("app__slug", "count")) == [("intl", 1)]
    # The default app has its token: its callbacks are still checked.
    assert post(receiver, [event("bob")], token="", sdkappid=SDKAPPID, sign="").status_code \
        == 401


def test_a_changed_callback_token_holds_at_once(two_apps, receiver, admin_user):
    """The receiver remembers apps for a few seconds; a change made here is not one of them."""
    main, intl = two_apps
    assert post(receiver, [event("mary")], token=OTHER_TOKEN,
                sdkappid=OTHER_SDKAPPID).status_code == 200
    app_save(user=admin_user, app=intl, values={}, callback_token="a-new-token-0001")
    assert post(receiver, [event("bob")], token=OTHER_TOKEN,
                sdkappid=OTHER_SDKAPPID).status_code == 401
    assert post(receiver, [event("bob")], token="a-new-token-0001",
                sdkappid=OTHER_SDKAPPID).status_code == 200


def test_the_receiver_does_not_ask_the_database_about_apps_on_every_request(two_apps, client):
    """The apps are remembered a few seconds: a callback costs its count and nothing more."""
    def post_in_process(token, sdkappid, events):
        now = str(int(time.time()))
        query = (f"SdkAppid={sdkappid}&CallbackCommand={callbacks.COMMAND}&RequestTime={now}"
                 f"&Sign={callbacks.sign(token, now)}")
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(f"/tencent/callback/?{query}", {"Events": events},
                                 content_type="application/json")
        assert answer.status_code == 200
        return [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]

    for token, sdkappid in ((TOKEN, SDKAPPID), (OTHER_TOKEN, OTHER_SDKAPPID)):
        post_in_process(token, sdkappid, [event("warm")])
    for token, sdkappid in ((TOKEN, SDKAPPID), (OTHER_TOKEN, OTHER_SDKAPPID)) * 2:
        events = [event(f"user{i}-{time.monotonic()}") for i in range(100)]
        assert post_in_process(token, sdkappid, events) == ["BEGIN", "INSERT", "COMMIT"]


def test_a_person_of_one_app_gets_404_for_another_apps_report(two_apps, marketer, nadia,
                                                               client):
    main, intl = two_apps
    ours = sent(marketer, main, "China sale", "T-ours")
    theirs = sent(nadia, intl, "Global sale", "T-theirs")
    as_nadia = api(client, nadia)
    for path in (f"/api/campaigns/{ours.pk}/report/", f"/api/campaigns/{ours.pk}/report/csv/",
                 f"/api/campaigns/{ours.pk}/trace/?account=mary"):
        assert as_nadia(path).status_code == 404, path
    assert as_nadia(f"/api/campaigns/{theirs.pk}/report/").status_code == 200
    assert as_nadia(f"/api/campaigns/{theirs.pk}/report/csv/").status_code == 200
    client.force_login(nadia)
    assert client.get(f"/campaigns/{ours.pk}/report.csv").status_code == 404
    assert client.get(f"/campaigns/{ours.pk}/trace/").status_code == 404
    assert client.get(f"/campaigns/{theirs.pk}/report.csv").status_code == 200
    assert client.get(f"/campaigns/{theirs.pk}/trace/").status_code == 200
    # Mia, given no app, works in the default app: the international reports are not hers.
    client.force_login(marketer)
    assert client.get(f"/campaigns/{theirs.pk}/report.csv").status_code == 404
    assert client.get(f"/campaigns/{ours.pk}/report.csv").status_code == 200
    assert api(client, marketer)(f"/api/campaigns/{theirs.pk}/report/").status_code == 404


def test_counters_from_before_apps_are_the_default_apps(marketer, client):
    campaign = sent(marketer, default_app(), "Old sale", "T-old")
    executor = MigrationExecutor(connection)
    executor.migrate([("reports", "0002_verbose_names_in_words")])
    old = executor.loader.project_state([("reports", "0002_verbose_names_in_words")]).apps
    old.get_model("reports", "DeliveryCount").objects.create(
        task_id="T-old", platform=2, stage=1, event_type=1, count=7, updated_at=timezone.now())
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert DeliveryCount.objects.get().app == default_app()
    assert api(client, marketer)(f"/api/campaigns/{campaign.pk}/report/").json()["sent"] == 7
