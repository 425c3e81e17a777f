"""Recall (v4/timpush/revoke) through the API and the page, against the emulator over HTTP: the
24-hour window on our side and on Tencent's, plain words for 90049–90053, one state machine."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import dispatch, services
from campaigns.models import Campaign
from core.models import AuditEvent
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db

OFFLINE = {"Title": "Weekend sale", "Desc": "Half price, two days only"}
REPLACEMENT = {"Title": "Sorry", "Desc": "The sale starts tomorrow"}
NEARLY_A_DAY = dt.timedelta(hours=23, minutes=59)
A_DAY = dt.timedelta(hours=24)


@pytest.fixture
def api(client, marketer, tim):
    answer = client.post("/api/token/", {"username": "mia", "password": "pw-mia"},
                         content_type="application/json")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {answer.json()['token']}"
    return client


def sent_campaign(user, *, age: dt.timedelta = dt.timedelta(0)) -> Campaign:
    """A campaign the dispatcher pushed to the emulator, `age` ago: our records and the
    emulator's clock both moved by `age`."""
    campaign = services.campaign_create(user=user, name="Weekend", send_at=timezone.now(),
                                        push={"MsgBody": TEXT, "OfflinePushInfo": OFFLINE})
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    campaign.refresh_from_db()
    assert campaign.status == "sent" and campaign.task_id
    if age:
        campaign.attempts.update(started_at=campaign.attempts.get().started_at - age)
        Campaign.objects.filter(pk=campaign.pk).update(sent_at=campaign.sent_at - age)
        campaign.refresh_from_db()
    return campaign


def emulator_clock(emulator, ahead: dt.timedelta) -> None:
    emulator.post("config", {"clock_offset_seconds": ahead.total_seconds()})


def recall(api, campaign, info=REPLACEMENT, **headers):
    return api.post(f"/api/campaigns/{campaign.pk}/recall/", {"OfflinePushInfo": info},
                    content_type="application/json", **headers)


def revoke_calls(emulator):
    return [c for c in emulator.calls() if c["command"] == "revoke"]


def test_a_sent_campaign_shows_until_when_it_can_be_recalled(api, marketer, tim):
    campaign = sent_campaign(marketer)
    until = dt.datetime.fromisoformat(api.get(f"/api/campaigns/{campaign.pk}/").json()[
        "recallable_until"])
    assert abs(until - (campaign.attempts.get().started_at + A_DAY)) < dt.timedelta(seconds=1)


def test_a_recall_at_23_h_59_min_is_accepted_and_ends_recalled(api, marketer, tim):
    campaign = sent_campaign(marketer, age=NEARLY_A_DAY)
    emulator_clock(tim, NEARLY_A_DAY)
    answer = recall(api, campaign)
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "recalled" and answer.json()["recallable_until"] is None
    assert tim.state()["revoked"] == [campaign.task_id]
    [call] = revoke_calls(tim)
    assert call["code"] == 0
    event = AuditEvent.objects.filter(verb="campaign.status", subject_id=campaign.pk).first()
    assert (event.params["from_status"], event.params["to_status"], event.actor) == (
        "sent", "recalled", marketer)
    assert event.params["title"] == "Sorry"


def test_a_recall_at_24_h_is_refused_before_asking_tencent(api, marketer, tim):
    campaign = sent_campaign(marketer, age=A_DAY)
    emulator_clock(tim, A_DAY)
    answer = recall(api, campaign)
    assert answer.status_code == 409
    assert "Too late to recall: the 24 hours ended at" in answer.json()["error"]
    assert revoke_calls(tim) == []
    campaign.refresh_from_db()
    assert campaign.status == "sent"


def test_tencents_own_24_h_refusal_is_in_plain_words(api, marketer, tim):
    """Our clock says 23 h 59 min, Tencent's says 24 h: its 90052 is worded, nothing changes."""
    campaign = sent_campaign(marketer, age=NEARLY_A_DAY)
    emulator_clock(tim, A_DAY)
    answer = recall(api, campaign)
    assert answer.status_code == 409
    assert answer.json()["error"] == ("Too late: Tencent recalls a push only within 24 hours of "
                                      "sending it (error 90052).")
    assert [c["code"] for c in revoke_calls(tim)] == [90052]
    campaign.refresh_from_db()
    assert campaign.status == "sent"


def test_the_words_are_in_the_callers_language(api, marketer, tim):
    campaign = sent_campaign(marketer, age=NEARLY_A_DAY)
    emulator_clock(tim, A_DAY)
    answer = recall(api, campaign, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "90052" in answer.json()["error"] and "Too late" not in answer.json()["error"]


def test_a_push_recalled_elsewhere_is_recalled_here_too(api, marketer, tim, tim_client):
    """Recalled from outside our limiter a moment before: Tencent's 90051 is waited out, then
    its 90050 (already recalled) is taken as the truth."""
    campaign = sent_campaign(marketer)
    tim_client.timpush.revoke(task_id=campaign.task_id, offline_push_info=REPLACEMENT)
    answer = recall(api, campaign)
    assert answer.status_code == 200 and answer.json()["status"] == "recalled"
    assert "already recalled" in answer.json()["status_reason_text"]
    assert [c["code"] for c in revoke_calls(tim)] == [0, 90051, 90050]


def test_an_unknown_task_is_worded(api, marketer, tim):
    campaign = sent_campaign(marketer)
    Campaign.objects.filter(pk=campaign.pk).update(task_id="no-such-task")
    campaign.attempts.update(task_id="no-such-task")
    answer = recall(api, campaign)
    assert answer.status_code == 409 and "no record of this push" in answer.json()["error"]


def test_the_replacement_needs_a_title_and_a_text(api, marketer, tim):
    campaign = sent_campaign(marketer)
    answer = recall(api, campaign, {"Title": " "})
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"OfflinePushInfo.Title", "OfflinePushInfo.Desc"}
    missing = api.post(f"/api/campaigns/{campaign.pk}/recall/", {},
                       content_type="application/json")
    assert missing.status_code == 400 and "OfflinePushInfo" in missing.json()["errors"]
    assert revoke_calls(tim) == []


def test_only_a_sent_campaign_can_be_recalled(api, marketer, tim):
    draft = services.campaign_create(user=marketer, name="d", push={"MsgBody": TEXT})
    answer = recall(api, draft)
    assert answer.status_code == 409 and "draft" in answer.json()["error"]
    campaign = sent_campaign(marketer)
    assert recall(api, campaign).status_code == 200
    again = recall(api, campaign)
    assert again.status_code == 409 and "recalled" in again.json()["error"]
    assert len(revoke_calls(tim)) == 1


def test_the_page_asks_for_the_replacement_and_a_confirmation(client, marketer, tim):
    campaign = sent_campaign(marketer, age=dt.timedelta(hours=2))
    client.force_login(marketer)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "21 h 59 min left to recall" in page or "21 h 58 min left to recall" in page
    assert "Xiaomi, OPPO, vivo, Meizu phones cannot overwrite" in page
    unconfirmed = client.post(f"/campaigns/{campaign.pk}/recall/", REPLACEMENT_FORM, follow=True)
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert revoke_calls(tim) == []
    done = client.post(f"/campaigns/{campaign.pk}/recall/", {**REPLACEMENT_FORM, "confirm": "yes"},
                       follow=True).content.decode()
    assert "Recalled" in done and "The sale starts tomorrow" in done
    campaign.refresh_from_db()
    assert campaign.status == "recalled"


REPLACEMENT_FORM = {"title": "Sorry", "desc": "The sale starts tomorrow"}


@pytest.mark.django_db(transaction=True)  # the request runs in a thread of its own
def test_with_redis_down_a_recall_is_503_in_words_and_changes_nothing(api, marketer, tim,
                                                                      settings):
    """A recall waits for its shared limiter (Redis) while the person waits: with Redis down
    it waited for ever, the campaign's row locked, until gunicorn's timeout."""
    import threading

    from core import tencent
    from tests.conftest import DEAD_REDIS
    campaign = sent_campaign(marketer)
    settings.REDIS_URL = DEAD_REDIS
    tencent.clear()
    answers = []
    thread = threading.Thread(daemon=True, target=lambda: answers.append(
        recall(api, campaign, HTTP_ACCEPT_LANGUAGE="zh-hans")))
    thread.start()
    thread.join(timeout=20)
    assert answers, "the recall was still waiting after 20 s"
    assert answers[0].status_code == 503
    assert answers[0].json()["error"].startswith("共享限速器（Redis）无法连接")
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
    assert revoke_calls(tim) == []
