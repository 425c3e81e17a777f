"""Send times a person or a script can type: an impossible one (the year 9999 or 0001, a month
13, an offset of 25 hours, a time daylight saving skips, a day long past) is refused in words
naming the field, stores nothing and breaks no page or dispatch tick; a time a few seconds
behind our clock, or one the viewer's own zone skips, is taken."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns import dispatch
from campaigns.models import Campaign
from tests.campaigns.test_api import post
from tests.campaigns.test_pages import editor_post
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT}


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def test_the_editor_refuses_the_year_9999_instead_of_failing(client, marketer):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(send_at_local="9999-12-31T23:00"))
    assert answer.status_code == 200
    assert "between the years 2000 and 2999" in answer.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("send_at, rule", [
    ("9999-12-31T23:00:00+08:00", "between the years 2000 and 2999"),
    ("9999-12-31T23:59:59-14:00", "between the years 2000 and 2999"),
    # PostgreSQL would store this as a BC timestamp psycopg cannot read back: every page and
    # every dispatch tick would fail until the row was removed by hand.
    ("0001-01-01T00:00:00+08:00", "between the years 2000 and 2999"),
    ("2026-13-01T00:00:00+08:00", "must be an ISO 8601 date and time"),
    ("2026-11-23T09:30:00+25:00", "must be an ISO 8601 date and time"),
])
def test_the_api_refuses_impossible_times_and_stores_nothing(api, send_at, rule):
    answer = post(api, "/api/campaigns/", {"name": "x", "push": PUSH, "send_at": send_at})
    assert answer.status_code == 400
    assert rule in answer.json()["errors"]["send_at"][0]
    assert not Campaign.objects.exists()
    assert api.get("/api/campaigns/").status_code == 200
    assert dispatch.dispatch_due_campaigns(run_seconds=0.05) == 0


def test_the_capacity_probe_refuses_the_year_9999(client, marketer):
    client.force_login(marketer)
    answer = client.get("/campaigns/capacity/", {"at": "9999-12-31T23:00", "tz": "Asia/Tokyo"})
    assert answer.status_code == 400 and "at" in answer.json()["errors"]


def test_a_send_at_days_in_the_past_is_refused_not_failed_later(api):
    answer = post(api, "/api/campaigns/", {"name": "x", "push": PUSH,
                                           "send_at": in_days(-22).isoformat()})
    assert answer.status_code == 400
    assert "is in the past" in answer.json()["errors"]["send_at"][0]
    assert not Campaign.objects.exists()


def test_a_send_at_a_few_seconds_behind_our_clock_is_still_taken(api):
    answer = post(api, "/api/campaigns/", {"name": "x", "push": PUSH,
                                           "send_at": in_days(-10 / 86400).isoformat()})
    assert answer.status_code == 201 and answer.json()["status"] == "scheduled"


def test_a_viewer_in_new_york_can_plan_a_time_new_york_skips(client, marketer):
    """02:30 on 2027-03-14 does not exist in New York; a user whose preferred zone is New York
    can still plan it for Asia/Shanghai, where it does."""
    client.force_login(marketer)
    client.post("/preferences/", {"timezone": "America/New_York", "next": "/"})
    answer = client.post("/campaigns/new/", editor_post(send_at_local="2027-03-14T02:30",
                                                        send_tz="Asia/Shanghai"))
    campaign = Campaign.objects.get()
    assert answer.status_code == 302
    assert campaign.send_at == dt.datetime(2027, 3, 14, 2, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_time_skipped_by_daylight_saving_is_refused_in_words(client, marketer):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(send_at_local="2027-03-14T02:30",
                                                        send_tz="America/New_York"))
    assert "does not exist in America/New_York" in answer.content.decode()
    assert not Campaign.objects.exists()
