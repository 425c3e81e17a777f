"""The audit trail of a campaign and of its author's tokens: one event for each status change of
a send, with who made it; a reschedule that names its new time; status reasons stored as codes
and worded in the reader's language; tokens made on the page or through the API, under the
audit page's token filter."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from campaigns import dispatch, services
from campaigns.models import Campaign
from core.audit import audit_words
from core.models import AuditEvent
from tests.audience.test_api import api_client
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT}


def test_every_status_change_of_a_send_is_one_audit_event(marketer, tim):
    campaign = services.campaign_create(user=marketer, name="x", push=PUSH)
    services.campaign_send_now(campaign=campaign, user=marketer)
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    trail = AuditEvent.objects.filter(subject_type="campaign", subject_id=campaign.pk)
    steps = [(e.actor_id, e.params.get("from_status"), e.params.get("to_status"))
             for e in trail.filter(verb="campaign.status").order_by("at", "id")]
    assert steps == [(marketer.pk, "draft", "scheduled"), (None, "scheduled", "sending"),
                     (None, "sending", "sent")]


def test_a_status_reason_is_a_code_worded_in_the_readers_language(marketer, tim, settings):
    settings.PUSH_DAILY_QUOTA = 1
    tim.post("config", {"daily_quota": 0})
    campaign = services.campaign_create(user=marketer, name="x", push=PUSH)
    services.campaign_send_now(campaign=campaign, user=marketer)
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    campaign.refresh_from_db()
    assert campaign.status_reason == "moved_quota_refused"
    assert Campaign.objects.filter(status_reason__startswith="moved_").count() == 1
    english = campaign.status_reason_text
    with translation.override("zh-hans"):
        chinese = campaign.status_reason_text
    assert english.startswith("Moved to") and chinese != english


def test_a_reschedule_says_the_new_time_in_the_trail(marketer):
    """The audit log and the timeline name the new time in the campaign's zone, not "status
    Scheduled → Scheduled"."""
    first = timezone.now() + dt.timedelta(days=2)
    campaign = services.campaign_create(user=marketer, name="Sale", push={"MsgBody": TEXT},
                                        send_at=first, tz="Europe/Berlin")
    later = (first + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    services.campaign_schedule(campaign=campaign, user=marketer, send_at=later)
    words = [audit_words(e) for e in AuditEvent.objects.filter(
        subject_type="campaign", subject_id=campaign.pk).order_by("at", "id")]
    local = later.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"moved the send time to {local:%Y-%m-%d %H:%M} Europe/Berlin" in words


def test_tokens_made_anywhere_are_in_the_audit_log_under_their_filter(client, marketer):
    """A token made on the tokens page and one taken through POST /api/token/ both show under
    the audit page's "API tokens" filter."""
    api_client(Client(), marketer)  # POST /api/token/
    client.force_login(marketer)
    client.post("/tokens/", {"name": "nightly"})
    admin = make_user("ada", "Admins", is_staff=True)
    client.force_login(admin)
    page = client.get("/audit/", {"kind": "token"}).content.decode()
    assert page.count("created an API token") == 2 and "nightly" in page


@pytest.mark.parametrize("count, english", [
    (1, "split the campaign into 1 time-zone push at 9:00 local time"),
    (3, "split the campaign into 3 time-zone pushes at 9:00 local time")])
def test_a_count_in_the_trail_takes_its_singular_or_plural(count, english):
    """Not "split into 1 time-zone pushes"; Chinese has one form for both."""
    from campaigns.reasons import reason_words
    event = AuditEvent(verb="campaign.split", params={"zones": count, "hour": 9})
    assert audit_words(event) == english
    with translation.override("zh-hans"):
        assert audit_words(event) == f"将推送任务拆分为 {count} 个时区推送，当地时间 9:00 发送"
    assert reason_words("split_by_zone", {"zones": count, "hour": 9}) == (
        "Split by time zone into 1 push, at 9:00 local time" if count == 1 else
        "Split by time zone into 3 pushes, each at 9:00 local time")
