"""Test sends (v4/timpush/batch) through the API and the pages, against the emulator over HTTP:
per-account answers, the 1–500 rule, test groups, the digest of the exact version, the quota."""

import datetime as dt
import threading

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import TestGroup, TestSend
from campaigns.quota import quota_summary
from campaigns.states import TEST_SEND
from campaigns.tester_sends import push_digest, has_passing_test_send
from core.errors import TransitionRefused
from core.models import AuditEvent
from tests.conftest import TEXT, make_user
from tests.emulator_process import busiest_second

pytestmark = pytest.mark.django_db

OFFLINE = {"Title": "Weekend sale", "Desc": "Half price, two days only"}
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": OFFLINE}


@pytest.fixture
def api(client, marketer, tim):
    answer = client.post("/api/token/", {"username": "mia", "password": "pw-mia"},
                         content_type="application/json")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {answer.json()['token']}"
    return client


def campaign_of(user, push=PUSH):
    return services.campaign_create(user=user, name="Weekend", push=push)


def send_test(api, campaign, body, **headers):
    return api.post(f"/api/campaigns/{campaign.pk}/test/", body,
                    content_type="application/json", **headers)


def batch_calls(emulator):
    return [c for c in emulator.calls() if c["command"] == "batch"]


def test_it_sends_the_offline_push_and_says_per_account_what_came_back(api, marketer, tim):
    tim.post("accounts", {"accounts": ["mary", "li"]})
    campaign = campaign_of(marketer)
    answer = send_test(api, campaign, {"accounts": ["mary", "ghost", "li"]})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["outcome"] == "ok" and body["reached"] == 2 and body["accounts"] == 3
    assert [(r["account"], r["code"]) for r in body["results"]] == [
        ("mary", 0), ("ghost", 70107), ("li", 0)]
    assert "No such account" in body["results"][1]["words"]
    [sent] = tim.state()["batches"]
    assert sent["task_id"] == body["task_id"]
    assert sent["body"]["DataId"] == f"test:{campaign.pk}"
    assert sent["body"]["OfflinePushInfo"] == OFFLINE
    assert sent["body"]["To_Account"] == ["mary", "ghost", "li"]
    stored = TestSend.objects.get()
    assert (stored.sent_by, stored.push_digest) == (marketer, push_digest(campaign.push))
    assert has_passing_test_send(campaign=campaign)


def test_test_sends_are_counted_apart_from_the_quota_by_default(api, marketer, tim):
    tim.post("accounts", {"accounts": ["mary"]})
    send_test(api, campaign_of(marketer), {"accounts": ["mary"]})
    quota = api.get("/api/quota/").json()
    assert (quota["used"], quota["test_sends"], quota["test_sends_use_quota"]) == (0, 1, False)


@pytest.mark.parametrize("count, words", [
    (0, "accounts is empty: give 1 to 10 account ids"),
    (11, "accounts holds 11 accounts; typed in, a test send goes to at most 10 "
         "(TEST_SEND_TYPED_ACCOUNTS): put more in a test group")])
def test_zero_or_eleven_typed_accounts_are_refused_naming_the_field(api, marketer, tim, count, words):
    campaign = campaign_of(marketer)
    answer = send_test(api, campaign, {"accounts": [f"user{i}" for i in range(count)]})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"accounts": [words]}
    assert batch_calls(tim) == [] and TestSend.objects.count() == 0


def test_a_group_of_500_accounts_is_taken(api, marketer, tim):
    group = TestGroup.objects.create(owner=make_user("abe", "Approvers"), name="All phones",
                                     accounts=[f"u{i}" for i in range(500)])
    answer = send_test(api, campaign_of(marketer), {"group": group.pk})
    assert answer.status_code == 201 and answer.json()["reached"] == 0
    assert {r["code"] for r in answer.json()["results"]} == {70107}


def test_the_error_is_in_the_callers_language(api, marketer, tim):
    answer = send_test(api, campaign_of(marketer), {"accounts": []},
                       HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "accounts" in answer.json()["errors"]
    assert "10" in answer.json()["errors"]["accounts"][0]
    assert "empty" not in answer.json()["errors"]["accounts"][0]


def test_a_mistyped_account_is_refused_by_line(api, marketer, tim):
    answer = send_test(api, campaign_of(marketer), {"accounts": ["mary", " bob"]})
    assert answer.status_code == 400
    assert "Account 2" in answer.json()["errors"]["accounts"][0]


def test_a_campaign_without_offline_text_is_tested_with_the_text_its_push_shows(
        api, marketer, tim):
    """timpush/batch takes no message body: the test carries, as Desc, the message's text that
    the real push shows and the summary names."""
    tim.post("accounts", {"accounts": ["mary"]})
    plain = campaign_of(marketer, {"MsgBody": TEXT})
    titled = campaign_of(marketer, {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale"}})
    api.force_login(marketer)
    for campaign, shown in ((plain, "hello"), (titled, "Sale — hello")):
        answer = send_test(api, campaign, {"accounts": ["mary"]})
        assert answer.status_code == 201, answer.content
        assert answer.json()["reached"] == 1
        page = api.get(f"/campaigns/{campaign.pk}/").content.decode()
        assert f"<dt>Offline push, Android</dt><dd>{shown}</dd>" in page
    assert [b["body"]["OfflinePushInfo"] for b in tim.state()["batches"]] == [
        {"Desc": "hello"}, {"Title": "Sale", "Desc": "hello"}]
    # the campaign's own Desc is sent as it is
    send_test(api, campaign_of(marketer), {"accounts": ["mary"]})
    assert tim.state()["batches"][-1]["body"]["OfflinePushInfo"] == OFFLINE


def test_a_campaign_whose_phones_would_show_nothing_is_not_tested(api, marketer, tim):
    """Spec §7.1: custom data alone, with neither its Desc nor OfflinePushInfo.Desc, gets no
    offline push, a title or not. The summary said such a campaign showed its title on iOS and
    Android, and the test send showed it."""
    silent = [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{\"refresh\": 1}"}}]
    api.force_login(marketer)
    for push in ({"MsgBody": silent}, {"MsgBody": silent, "OfflinePushInfo": {"Title": "Sale"}}):
        campaign = campaign_of(marketer, push)
        answer = send_test(api, campaign, {"accounts": ["mary"]})
        assert answer.status_code == 400
        assert answer.json()["errors"]["OfflinePushInfo"] == [
            "This campaign has no push text (no message text, offline push text or custom "
            "data's push text), so its push shows no notification and a test send would show "
            "nothing on a phone: add some in the editor first"]
        page = api.get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "<dt>Offline push, All platforms</dt><dd>None: the message has no push text " \
               "(custom data alone), so Tencent sends no notification, title or not</dd>" in page
    off = campaign_of(marketer, {"MsgBody": TEXT, "OfflinePushInfo": {**OFFLINE, "PushFlag": 1}})
    answer = send_test(api, off, {"accounts": ["mary"]})
    assert "OfflinePushInfo.PushFlag" in answer.json()["errors"]
    assert batch_calls(tim) == []


def test_any_of_the_teams_groups_is_sent_and_one_of_group_or_accounts_is_given(api, marketer,
                                                                               tim):
    tim.post("accounts", {"accounts": ["mary", "li"]})
    mine = TestGroup.objects.create(owner=marketer, name="Phones", accounts=["mary", "li"])
    theirs = TestGroup.objects.create(owner=make_user("other", "Marketers"), name="X",
                                      accounts=["mary"])
    campaign = campaign_of(marketer)
    answer = send_test(api, campaign, {"group": mine.pk})
    assert answer.status_code == 201 and answer.json()["reached"] == 2
    answer = send_test(api, campaign, {"group": theirs.pk})
    assert answer.status_code == 201 and answer.json()["reached"] == 1
    missing = send_test(api, campaign, {"group": theirs.pk + 1})
    assert missing.status_code == 400 and "group" in missing.json()["errors"]
    both = send_test(api, campaign, {"group": mine.pk, "accounts": ["mary"]})
    assert both.status_code == 400 and "accounts" in both.json()["errors"]
    assert len(batch_calls(tim)) == 2


def test_only_a_test_of_the_exact_current_version_counts(api, marketer, tim):
    tim.post("accounts", {"accounts": ["mary"]})
    campaign = campaign_of(marketer)
    assert not has_passing_test_send(campaign=campaign)
    send_test(api, campaign, {"accounts": ["ghost"]})
    assert not has_passing_test_send(campaign=campaign), "nobody was reached"
    send_test(api, campaign, {"accounts": ["mary"]})
    assert has_passing_test_send(campaign=campaign)
    services.campaign_update(campaign=campaign, user=marketer,
                             push={**PUSH, "OfflinePushInfo": {**OFFLINE, "Desc": "Changed"}})
    campaign.refresh_from_db()
    assert not has_passing_test_send(campaign=campaign), "the text changed since the test"
    services.campaign_update(campaign=campaign, user=marketer,
                             push={"OfflinePushInfo": dict(reversed(OFFLINE.items())),
                                   "MsgBody": TEXT})
    campaign.refresh_from_db()
    assert has_passing_test_send(campaign=campaign), "the same content in another key order"


def test_test_sends_use_the_quota_when_configured(api, marketer, tim, settings):
    settings.PUSH_TEST_SENDS_USE_QUOTA = True
    settings.PUSH_DAILY_QUOTA = 1
    tim.post("accounts", {"accounts": ["mary"]})
    campaign = campaign_of(marketer)
    assert send_test(api, campaign, {"accounts": ["mary"]}).status_code == 201
    assert quota_summary()["used"] == 1 and quota_summary()["remaining"] == 0
    refused = send_test(api, campaign, {"accounts": ["mary"]})
    assert refused.status_code == 409 and "PUSH_TEST_SENDS_USE_QUOTA" in refused.json()["error"]
    assert len(batch_calls(tim)) == 1


def test_a_refused_test_send_says_why_and_uses_nothing(api, marketer, tim, settings):
    settings.PUSH_TEST_SENDS_USE_QUOTA = True
    tim.post("config", {"push_enabled": False})
    answer = send_test(api, campaign_of(marketer), {"accounts": ["mary"]})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["outcome"], body["error_code"], body["reached"]) == ("refused", 90045, 0)
    assert "not enabled" in body["explanation"]
    assert quota_summary()["used"] == 0


def test_test_sends_keep_to_their_own_rate_across_the_limiter(api, marketer, tim, settings):
    """TIM_BATCH_CALLS_PER_SECOND, in its own shared limiter: at 5 a second, twelve quick test
    sends reach the emulator (itself set to 5 a second) without one 60007."""
    from core import tencent
    settings.TIM_BATCH_CALLS_PER_SECOND = 5
    tencent.clear()
    tim.post("config", {"batch_qps": 5})
    campaign = campaign_of(marketer)
    for _ in range(12):
        assert send_test(api, campaign, {"accounts": ["mary"]}).json()["outcome"] == "ok"
    calls = batch_calls(tim)
    assert [c["code"] for c in calls] == [0] * 12
    assert busiest_second(calls) <= 5


def test_the_detail_page_sends_to_a_group_and_lists_each_answer(client, marketer, tim):
    tim.post("accounts", {"accounts": ["mary"]})
    group = TestGroup.objects.create(owner=marketer, name="Phones", accounts=["mary", "ghost"])
    campaign = campaign_of(marketer)
    client.force_login(marketer)
    page = client.post(f"/campaigns/{campaign.pk}/test-send/", {"group": group.pk}, follow=True)
    text = page.content.decode()
    assert "Tencent accepted 1 of 2 accounts" in text
    assert "No such account" in text and "ghost" in text
    refused = client.post(f"/campaigns/{campaign.pk}/test-send/", {"accounts": ""}, follow=True)
    assert "accounts is empty" in refused.content.decode()


def test_groups_are_the_teams_and_changed_by_their_maker_with_their_rules(client, marketer):
    client.force_login(marketer)
    page = client.post("/test-groups/", {"name": "Phones", "accounts": "mary\nli, mary\n\n"},
                       follow=True)
    group = TestGroup.objects.get()
    assert group.accounts == ["mary", "li"] and "Phones" in page.content.decode()
    bad = client.post("/test-groups/", {"name": "Phones", "accounts": "x"})
    assert "mia already has a test group named" in bad.content.decode()
    too_many = client.post("/test-groups/", {"name": "Big",
                                             "accounts": "\n".join(f"u{i}" for i in range(501))})
    assert "501 accounts" in too_many.content.decode()
    client.force_login(make_user("other", "Marketers"))
    assert "Phones" in client.get("/test-groups/").content.decode()
    assert client.get(f"/test-groups/{group.pk}/").status_code == 403
    client.post(f"/test-groups/{group.pk}/", {"delete": "1"})
    assert TestGroup.objects.exists()
    client.force_login(marketer)
    client.post(f"/test-groups/{group.pk}/", {"delete": "1"})
    assert not TestGroup.objects.exists()


def test_the_editor_offers_a_test_send_of_the_saved_version(client, marketer, tim):
    tim.post("accounts", {"accounts": ["mary"]})
    campaign = campaign_of(marketer)
    client.force_login(marketer)
    assert "Save the campaign first" in client.get("/campaigns/new/").content.decode()
    editor = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'name="from" value="editor"' in editor
    answer = client.post(f"/campaigns/{campaign.pk}/test-send/",
                         {"from": "editor", "accounts": "mary"})
    assert answer.status_code == 302
    assert answer["Location"] == f"/campaigns/{campaign.pk}/edit/#test-send"
    editor = client.get(answer["Location"]).content.decode()
    assert "Tencent accepted 1 of 1 accounts" in editor
    # The test send's time is the viewer's, which the editor names once, above it.
    assert editor.count('data-testid="zone-note"') == 1
    assert editor.index('data-testid="zone-note"') < editor.index('data-testid="test-result"')


def test_a_test_send_refused_for_rate_is_sent_again(api, marketer, tim, settings):
    """On a busy host calls bunch up and Tencent's second can count one too many (60007).
    Nothing was sent, so the test send waits and sends again."""
    from core import tencent
    settings.TIM_BATCH_CALLS_PER_SECOND = 100  # our limiter lets them through at once
    tencent.clear()
    tim.post("config", {"batch_qps": 2})
    campaign = campaign_of(marketer)
    outcomes = [send_test(api, campaign, {"accounts": ["mary"]}).json()["outcome"]
                for _ in range(4)]
    assert outcomes == ["ok"] * 4
    codes = [c["code"] for c in batch_calls(tim)]
    assert 60007 in codes and codes.count(0) == 4


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", "1e3", "\x00"])
def test_hostile_ids_and_limits_in_the_forms_get_words_not_errors(client, admin_user, marketer,
                                                                 tim, value):
    campaign = campaign_of(marketer)
    client.force_login(admin_user)
    answer = client.post(f"/campaigns/{campaign.pk}/test-send/", {"group": value}, follow=True)
    assert answer.status_code == 200
    assert client.post("/quota/limit/", {"limit": value}, follow=True).status_code == 200
    assert client.post("/test-groups/", {"name": value, "accounts": value}).status_code in (200, 302)


def test_a_huge_group_id_in_the_api_is_refused_by_name(api, marketer, tim):
    answer = send_test(api, campaign_of(marketer), {"group": 2**70})
    assert answer.status_code == 400 and "group" in answer.json()["errors"]


@pytest.mark.django_db(transaction=True)  # the request runs in a thread of its own
def test_with_redis_down_a_test_send_is_503_in_words_and_holds_no_push(api, marketer, tim,
                                                                       settings):
    """The test-send limiter does not wait for Redis for ever: the request would hang until
    gunicorn's timeout, leaving its row in flight and (with the quota) a push of the day."""
    from core import tencent
    from tests.conftest import DEAD_REDIS
    settings.PUSH_TEST_SENDS_USE_QUOTA = True
    settings.REDIS_URL = DEAD_REDIS
    tencent.clear()
    campaign = campaign_of(marketer)
    answers = []
    thread = threading.Thread(daemon=True, target=lambda: answers.append(
        send_test(api, campaign, {"accounts": ["mary"]})))
    thread.start()
    thread.join(timeout=20)
    assert answers, "the test send was still waiting after 20 s"
    assert answers[0].status_code == 503
    assert answers[0].json()["error"] == ("The shared rate limiter (Redis) is not reachable; "
                                          "nothing was sent. Try again in a minute.")
    assert not TestSend.objects.exists()
    assert quota_summary()["used"] == 0 and batch_calls(tim) == []


def test_a_test_send_left_in_flight_is_reaped_as_unanswered(marketer, tim):
    """A test send whose request died mid-call stayed `in_flight` for ever; the dispatcher's
    sweep ends it as unknown (it may have gone out), as it does a push's attempt."""
    from campaigns import dispatch
    campaign = campaign_of(marketer)
    started = timezone.now() - dt.timedelta(minutes=10)
    stuck = TestSend.objects.create(campaign=campaign, sent_by=marketer, accounts=["mary"],
                                    data_id="test:1", msg_random=1, started_at=started,
                                    quota_day=started.date())
    recent = TestSend.objects.create(campaign=campaign, sent_by=marketer, accounts=["mary"],
                                     data_id="test:1", msg_random=2, started_at=timezone.now(),
                                     quota_day=started.date())
    dispatch.dispatch_due_campaigns(run_seconds=0.05)
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.outcome, recent.outcome) == ("unknown", "in_flight")
    assert stuck.finished_at is not None
    assert stuck.error_info == "the request stopped during the call; whether it went out is unknown"
    [event] = AuditEvent.objects.filter(verb="campaign.test_unanswered")
    assert (event.actor, event.subject_id, event.params) == (None, campaign.pk, {
        "from_status": "in_flight", "to_status": "unknown", "accounts": 1})
    dispatch.dispatch_due_campaigns(run_seconds=0.05)  # reaped once
    assert AuditEvent.objects.filter(verb="campaign.test_unanswered").count() == 1


def test_a_test_sends_answer_is_its_move_on_the_campaigns_timeline(api, marketer, tim):
    tim.post("accounts", {"accounts": ["mary"]})
    campaign = campaign_of(marketer)
    send_test(api, campaign, {"accounts": ["mary", "ghost"]})
    [event] = AuditEvent.objects.filter(verb="campaign.test_sent", subject_id=campaign.pk)
    assert event.actor == marketer
    assert event.params == {"from_status": "in_flight", "to_status": "ok", "accounts": 2,
                            "reached": 1, "outcome": "ok", "code": 0}
    with pytest.raises(TransitionRefused):  # an answered test send is not answered again
        TEST_SEND.move(TestSend.objects.get(), to="ok", from_=["ok"])
