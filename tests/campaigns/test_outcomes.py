"""Each outcome of a send, with the dispatcher called directly against the emulator."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from campaigns import dispatch, services
from campaigns.models import Attempt, Campaign
from core.models import AuditEvent
from campaigns.quota import next_quota_day_start, quota_summary
from pushclient import TimClient
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY

pytestmark = pytest.mark.django_db

PUSH = {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}, "MsgLifeTime": 3600,
        "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}


def due_campaign(user, *, ago=0.0, **extra) -> Campaign:
    """Booked now; then, for `ago`, set back in time as if the workers had been down since."""
    campaign = services.campaign_create(user=user, name="Sale", push=PUSH, **extra)
    campaign = services.campaign_send_now(campaign=campaign, user=user)
    if ago:
        then = timezone.now() - dt.timedelta(seconds=ago)
        Campaign.objects.filter(pk=campaign.pk).update(send_at=then, due_at=then)
        campaign.refresh_from_db()
    return campaign


def run(seconds=0.3):
    return dispatch.dispatch_due_campaigns(run_seconds=seconds)


def refreshed(campaign):
    campaign.refresh_from_db()
    return campaign


def test_a_due_campaign_is_sent_and_its_task_id_recorded(marketer, tim):
    campaign = due_campaign(marketer)
    assert run() == 1
    campaign = refreshed(campaign)
    pushed = tim.state()["pushes"]
    assert campaign.status == "sent" and campaign.task_id == pushed[0]["task_id"]
    assert pushed[0]["msg_random"] == campaign.msg_random
    assert pushed[0]["body"]["Condition"] == {"TagsOr": ["vip"]}
    assert pushed[0]["body"]["OfflinePushInfo"] == {"Title": "Sale", "Desc": "50% off"}
    assert [a.outcome for a in campaign.attempts.all()] == ["ok"]
    assert quota_summary()["used"] == 1


def test_91000_is_retried_with_backoff_and_the_same_msg_random(marketer, tim):
    tim.post("faults", {"script": ["91000"]})
    campaign = due_campaign(marketer)
    run()
    campaign = refreshed(campaign)
    assert campaign.status == "scheduled" and "internal error" in campaign.status_reason_text
    assert campaign.due_at > timezone.now(), "it waits before retrying"
    assert not campaign.attempts.get().counts_quota
    run(1.5)
    campaign = refreshed(campaign)
    assert campaign.status == "sent"
    assert [a.msg_random for a in campaign.attempts.all()] == [campaign.msg_random] * 2
    assert len(tim.state()["pushes"]) == 1


def test_it_fails_after_its_allowed_attempts(marketer, tim, settings):
    settings.PUSH_MAX_ATTEMPTS = 2
    tim.post("faults", {"script": ["502", "502"]})
    campaign = due_campaign(marketer)
    run(2.5)
    campaign = refreshed(campaign)
    assert campaign.status == "failed"
    assert "gateway" in campaign.status_reason_text and campaign.attempts.count() == 2
    assert tim.state()["pushes"] == []


def test_90024_waits_and_retries_without_using_quota(marketer, tim):
    # Someone else pushed through the same app a moment ago.
    TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=tim.url).push(msg_body=TEXT)
    campaign = due_campaign(marketer)
    run(2.0)
    campaign = refreshed(campaign)
    assert campaign.status == "sent"
    codes = [a.error_code for a in campaign.attempts.all()]
    assert codes == [90024, None]
    assert quota_summary()["used"] == 1


def test_90047_moves_the_campaign_to_the_next_quota_day_and_says_why(marketer, tim):
    tim.post("config", {"daily_quota": 0})
    campaign = due_campaign(marketer)
    run()
    campaign = refreshed(campaign)
    assert campaign.status == "scheduled"
    assert campaign.due_at == next_quota_day_start(timezone.now())
    assert "Moved to" in campaign.status_reason_text and "90047" in campaign.status_reason_text
    assert quota_summary()["used"] == 0


def test_our_own_count_stops_at_the_quota_without_asking_tencent(marketer, tim, settings):
    settings.PUSH_MIN_INTERVAL_SECONDS = 0.05
    tim.post("config", {"min_push_interval": 0.0})
    campaigns = [due_campaign(marketer, ago=3 - i) for i in range(3)]
    settings.PUSH_DAILY_QUOTA = 2  # lowered after booking, as after a plan change
    run(1.0)
    statuses = [refreshed(c).status for c in campaigns]
    assert statuses == ["sent", "sent", "scheduled"]
    assert "all of that day's pushes were used" in campaigns[2].status_reason_text
    assert len(tim.state()["pushes"]) == 2
    assert quota_summary() | {"resets_at": None} == {
        "app": "main", "day": quota_summary()["day"], "limit": 2, "used": 2, "booked": 0,
        "remaining": 0, "test_sends": 0, "test_sends_use_quota": False, "resets_at": None}


def test_a_wrong_key_fails_with_words_a_marketer_understands(marketer, tim, settings):
    from core import tencent
    settings.TIM_SECRET_KEY = "not-the-key"
    tencent.clear()
    campaign = due_campaign(marketer)
    run()
    campaign = refreshed(campaign)
    assert campaign.status == "failed"
    assert "Check TIM_SECRET_KEY" in campaign.status_reason_text and "70009" in campaign.status_reason_text
    assert "not-the-key" not in campaign.status_reason_text


def test_a_disabled_feature_fails_the_campaign(marketer, tim):
    tim.post("config", {"push_enabled": False})
    campaign = due_campaign(marketer)
    run()
    assert "not enabled" in refreshed(campaign).status_reason_text


def test_a_stalled_answer_needs_review_and_is_not_resent(marketer, tim):
    tim.post("faults", {"script": ["stall"], "stall_seconds": 3})
    campaign = due_campaign(marketer)
    run(3.0)
    campaign = refreshed(campaign)
    assert campaign.status == "needs_review"
    assert "mark it sent or send it again" in campaign.status_reason_text
    assert campaign.attempts.get().counts_quota, "it may have used quota"
    assert len(tim.state()["pushes"]) == 1


def test_a_stalled_answer_is_retried_when_configured(marketer, tim, settings):
    settings.PUSH_RETRY_UNKNOWN_OUTCOME = True
    tim.post("config", {"msgrandom_dedupe_seconds": 60})
    tim.post("faults", {"script": ["stall"], "stall_seconds": 3})
    campaign = due_campaign(marketer)
    run(4.0)
    campaign = refreshed(campaign)
    assert campaign.status == "sent"
    assert len(tim.state()["pushes"]) == 1, "Tencent recognised the repeated MsgRandom"


def test_a_campaign_found_too_late_is_not_sent_stale(marketer, tim):
    campaign = due_campaign(marketer, ago=2 * 3600)
    late_ok = due_campaign(marketer, ago=2 * 3600, allow_late=True)
    run(1.5)
    campaign = refreshed(campaign)
    assert campaign.status == "failed" and campaign.status_reason_text.startswith("Missed: found 2 h")
    assert refreshed(late_ok).status == "sent"
    assert len(tim.state()["pushes"]) == 1


def test_an_attempt_abandoned_by_a_dead_worker_needs_review(marketer, tim, settings):
    campaign = due_campaign(marketer)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    Attempt.objects.create(campaign=campaign, msg_random=campaign.msg_random,
                           started_at=timezone.now() - dt.timedelta(seconds=60),
                           quota_day=timezone.now().date())
    assert dispatch.reap_abandoned_attempts(now=timezone.now()) == 1
    campaign = refreshed(campaign)
    assert campaign.status == "needs_review"
    attempt = campaign.attempts.get()
    assert (attempt.outcome, attempt.error_info) == ("unknown", "")  # the reason words it
    assert campaign.status_reason_text  # in the reader's language, from the reason's code
    # A sweep after the answer came changes nothing: an answered attempt stays answered.
    Attempt.objects.filter(pk=attempt.pk).update(outcome="ok")
    assert dispatch.reap_abandoned_attempts(now=timezone.now()) == 0
    assert campaign.attempts.get().outcome == "ok"


def test_an_operator_resolves_a_review_either_way(marketer, tim):
    first, second = due_campaign(marketer), due_campaign(marketer)
    Campaign.objects.filter(pk__in=[first.pk, second.pk]).update(status="needs_review")
    assert services.campaign_mark_sent(campaign=first, user=marketer).status == "sent"
    again = services.campaign_send_again(campaign=second, user=marketer)
    assert again.status == "scheduled"
    run()
    assert refreshed(second).status == "sent"
    with pytest.raises(services.TransitionRefused):
        services.campaign_mark_sent(campaign=first, user=marketer)


def test_a_full_day_refuses_more_bookings_with_the_remaining_count(marketer, tim, settings):
    settings.PUSH_DAILY_QUOTA = 1
    tomorrow = timezone.now() + dt.timedelta(days=1)
    services.campaign_create(user=marketer, name="one", push=PUSH, send_at=tomorrow)
    with pytest.raises(services.InvalidInput) as refused:
        services.campaign_create(user=marketer, name="two", push=PUSH, send_at=tomorrow)
    assert "is full: 1 pushes are used or booked and none remain" in refused.value.errors["send_at"][0]
    assert Campaign.objects.filter(name="two").count() == 0, "nothing half-stored"


def test_editing_and_cancelling_follow_the_status_rules(marketer, tim):
    campaign = due_campaign(marketer)
    run()
    with pytest.raises(services.TransitionRefused, match="that is sent cannot be edited"):
        services.campaign_update(campaign=refreshed(campaign), user=marketer, name="x")
    with pytest.raises(services.TransitionRefused):
        services.campaign_cancel(campaign=campaign, user=marketer)
    draft = services.campaign_create(user=marketer, name="draft", push=PUSH)
    assert services.campaign_cancel(campaign=draft, user=marketer).status == "cancelled"
    trail = AuditEvent.objects.filter(subject_type="campaign", subject_id=draft.pk)
    assert [(e.verb, e.params.get("to_status")) for e in trail.order_by("at", "id")] == [
        ("campaign.created", None), ("campaign.status", "cancelled")]


def test_90047_moves_the_campaign_to_the_first_quota_day_with_room(marketer, tim, settings):
    """It asks each later day for room, not just the next one: a day with a limit of 2 never
    ends with 3 booked."""
    from campaigns.quota import quota_day_of
    settings.PUSH_DAILY_QUOTA = 2
    tomorrow = next_quota_day_start(timezone.now())
    for hour in (1, 2):  # tomorrow is full
        services.campaign_create(user=marketer, name=f"t{hour}", push=PUSH,
                                 send_at=tomorrow + dt.timedelta(hours=hour))
    tim.post("config", {"daily_quota": 0})
    campaign = due_campaign(marketer)
    run()
    campaign = refreshed(campaign)
    after = next_quota_day_start(tomorrow)
    assert (campaign.status, campaign.due_at) == ("scheduled", after)
    assert quota_summary(quota_day_of(tomorrow))["booked"] == 2
    assert quota_summary(quota_day_of(after))["booked"] == 1
    assert campaign.status_reason_text.startswith(f"Moved to {quota_day_of(after)} 00:00")


def test_a_push_the_client_refuses_fails_with_the_rule_worded_in_the_readers_language(
        marketer, tim):
    """The reason stores each broken rule's id and parameters (never the client's English), so
    the Chinese pages word it in Chinese."""
    campaign = due_campaign(marketer)
    Campaign.objects.filter(pk=campaign.pk).update(
        push={**PUSH, "MsgLifeTime": 8 * 86400})  # changed behind the editor's back
    run()
    campaign = refreshed(campaign)
    assert (campaign.status, campaign.status_reason) == ("failed", "invalid")
    assert [r["rule"] for r in campaign.status_params["rules"]] == ["lifetime.range"]
    assert campaign.status_reason_text == ("The push broke a rule: Keep for offline users must "
                                           "be from 0 seconds to 7 days.")
    with translation.override("zh-hans"):
        assert "Keep for offline users" not in campaign.status_reason_text
        assert "7 天" in campaign.status_reason_text
    attempt = campaign.attempts.get()
    assert (attempt.outcome, attempt.counts_quota, attempt.error_info) == ("refused", False, "")
