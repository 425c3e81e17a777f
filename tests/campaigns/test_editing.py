"""Editing a campaign changes what the person changed and keeps the rest: the day it was moved
to, a push made through the API, the second of two 01:30s. A save refused for a full day stores
nothing, neither a new draft nor half an edit, and an edit racing a cancel wins whole or changes
nothing."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from tests.campaigns.test_api import post
from tests.campaigns.test_pages import editor_post
from tests.conftest import TEXT, make_user
from tests.stack import require_service

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT}


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def _resubmit(client, campaign, **changes):
    form = client.get(f"/campaigns/{campaign.pk}/edit/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("on" if v is True else "" if v in (False, None) else
                v.strftime("%Y-%m-%dT%H:%M") if isinstance(v, dt.datetime) else v)
            for k, v in data.items()}  # as the browser sends them back
    data.update(changes)
    return client.post(f"/campaigns/{campaign.pk}/edit/", data)


def test_renaming_a_campaign_moved_to_the_next_day_does_not_send_it_at_once(client, marketer):
    send_at = in_days(1).replace(second=42)
    campaign = services.campaign_create(user=marketer, name="x", push=PUSH, send_at=send_at)
    moved_to = send_at + dt.timedelta(days=1)
    Campaign.objects.filter(pk=campaign.pk).update(due_at=moved_to, status_reason="moved_full_day")
    client.force_login(marketer)
    assert _resubmit(client, campaign, name="renamed").status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "renamed"
    assert (campaign.send_at, campaign.due_at) == (send_at, moved_to)


def test_renaming_in_the_editor_leaves_a_push_from_the_api_as_it_was(client, api, marketer):
    """The editor adds none of its own defaults (OfflinePushInfo, MsgLifeTime) to a push it
    did not make."""
    created = post(api, "/api/campaigns/", {"name": "x", "push": PUSH}).json()
    campaign = Campaign.objects.get(pk=created["id"])
    client.force_login(marketer)
    assert _resubmit(client, campaign, name="renamed").status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.push) == ("renamed", PUSH)


def test_renaming_keeps_the_second_of_two_half_past_ones(client, marketer):
    """01:30 happens twice in New York on 2027-11-07; the stored moment is the second one."""
    second = dt.datetime(2027, 11, 7, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    campaign = services.campaign_create(user=marketer, name="x", push=PUSH, send_at=second,
                                        tz="America/New_York")
    client.force_login(marketer)
    _resubmit(client, campaign, name="renamed")
    campaign.refresh_from_db()
    # (PEP 495: a time in the fold never equals one in another zone; compare instants)
    assert campaign.name == "renamed" and campaign.send_at.timestamp() == second.timestamp()


def test_the_editor_leaves_no_draft_behind_when_the_day_is_full(client, marketer, settings):
    settings.PUSH_DAILY_QUOTA = 1
    services.campaign_create(user=marketer, name="first", push=PUSH, send_at=in_days(2))
    client.force_login(marketer)
    day = in_days(2).astimezone(ZoneInfo("Asia/Shanghai"))
    for _ in range(3):  # a retry, too, adds no draft
        answer = client.post("/campaigns/new/", editor_post(
            send_at_local=day.strftime("%Y-%m-%dT%H:%M"), send_tz="Asia/Shanghai"))
        assert answer.status_code == 200 and "is full" in answer.content.decode()
    assert list(Campaign.objects.values_list("name", flat=True)) == ["first"]


def test_a_patch_into_a_full_day_changes_nothing(api, marketer, settings):
    settings.PUSH_DAILY_QUOTA = 1
    services.campaign_create(user=marketer, name="first", push=PUSH, send_at=in_days(2))
    draft = post(api, "/api/campaigns/", {"name": "draft", "push": PUSH}).json()
    answer = api.patch(f"/api/campaigns/{draft['id']}/", {
        "name": "new name", "allow_late": True, "send_at": in_days(2).isoformat(),
        "push": {"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "new"}}]}},
        content_type="application/json")
    assert answer.status_code == 400 and "is full" in answer.json()["errors"]["send_at"][0]
    kept = Campaign.objects.get(pk=draft["id"])
    assert (kept.name, kept.allow_late, kept.push, kept.status) == ("draft", False, PUSH, "draft")


def _race(**calls) -> dict[str, str]:
    """Run the calls at the same moment, each in its own thread and database connection."""
    start, results = threading.Barrier(len(calls)), {}

    def act(name, call):
        try:
            start.wait()
            call()
            results[name] = "ok"
        except services.TransitionRefused:
            results[name] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_a_patch_racing_a_cancel_either_wins_whole_or_changes_nothing():
    """A refused edit saves nothing, even one refused because a cancel came first (20 races)."""
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    user = make_user("mia", "Marketers")
    for run in range(20):
        campaign = services.campaign_create(user=user, name=f"run {run}", push=PUSH,
                                            send_at=in_days(1))
        results = _race(patch=lambda c=campaign: services.campaign_update(
            campaign=c, user=user, name="renamed"),
                        cancel=lambda c=campaign: services.campaign_cancel(campaign=c, user=user))
        campaign.refresh_from_db()
        if results["patch"] == "refused":
            assert campaign.name == f"run {run}", "a refused edit saved nothing"
        else:
            assert campaign.name == "renamed"
        assert results["cancel"] == "ok" and campaign.status == "cancelled"
