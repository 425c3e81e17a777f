"""With approval on, a marketer asks for delivery at each user's local time on their draft: the
plan is kept on the draft, the detail page and its approval card say it in words with every
push's local time and its cost, and approving the campaign books the pushes, all or nothing.
Nobody approves a plan they saved; without approval the page splits at once, as before."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from campaigns import approval, services
from campaigns.models import Campaign
from core.models import AuditEvent
from tests.campaigns.test_local_time import ZONES, a_day_ahead, mirror
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT}


@pytest.fixture
def people(db, settings):
    settings.CAMPAIGN_APPROVAL = True
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = False
    mirror()
    return {"mia": make_user("mia", "Marketers"), "abe": make_user("abe", "Approvers"),
            "ann": make_user("ann", "Approvers")}


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plan_form(day: dt.date, zones=ZONES, **extra) -> dict:
    return {"by": "attr", "attribute": "tz", "day": day.isoformat(), "hour": "9",
            "zones": list(zones), "quiet_hours": "refuse", **extra}


def planned(people, day: dt.date, who="mia") -> Campaign:
    """mia's draft with a plan for 09:00 in each of the four zones, saved by `who`."""
    campaign = services.campaign_create(user=people["mia"], name="Morning news", push=PUSH)
    answer = page(people[who]).post(f"/campaigns/{campaign.pk}/local-time/", plan_form(day))
    assert answer.status_code == 302, answer.content.decode()
    campaign.refresh_from_db()
    return campaign


def test_a_marketer_plans_it_on_the_draft_and_the_approval_books_one_push_per_zone(people):
    mia, abe = page(people["mia"]), page(people["abe"])
    campaign = services.campaign_create(user=people["mia"], name="Morning news", push=PUSH)
    detail = mia.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Plan delivery at each user's local time" in detail
    form = mia.get(f"/campaigns/{campaign.pk}/local-time/").content.decode()
    assert "Approval is on: this saves the plan on the draft." in form
    assert "Save the plan for approval" in form and "Book one push per time zone" not in form
    day = a_day_ahead()
    saved = mia.post(f"/campaigns/{campaign.pk}/local-time/", plan_form(day), follow=True)
    assert "Plan saved on the draft. Submit it for approval" in saved.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft" and not campaign.buckets.exists()
    assert campaign.local_plan["hour"] == 9 and campaign.local_plan["zones"] == sorted(ZONES)

    sentence = f"To be sent on {day.isoformat()} at 09:00 local time in each account&#x27;s zone: 4 pushes."
    detail = mia.get(f"/campaigns/{campaign.pk}/").content.decode()
    summary = detail.split('data-testid="send-at"', 1)[1].split("</dd>", 1)[0]
    assert sentence in summary
    assert 'data-testid="campaign-zone"' not in detail  # each push is in its own zone
    # the form opens on the plan, to change it
    form = mia.get(f"/campaigns/{campaign.pk}/local-time/").content.decode()
    assert f'value="{day.isoformat()}"' in form

    mia.post(f"/campaigns/{campaign.pk}/submit/")
    card = abe.get(f"/campaigns/{campaign.pk}/").content.decode()
    card = card.split('data-testid="approval"', 1)[1].split("</section>", 1)[0]
    assert sentence in card and 'data-testid="approve"' in card
    for zone in ZONES:  # every send time, in its own zone
        assert f'<td>{zone}</td><td data-testid="plan-push-time">{day.isoformat()} 09:00</td>' \
            in card
    # Tokyo, Berlin and New York fall on the day, Los Angeles on the next quota day
    assert (f"4 zones = 3 of {day.isoformat()}&#x27;s 100 pushes (100 left); 1 of "
            f"{(day + dt.timedelta(days=1)).isoformat()}&#x27;s 100 pushes (100 left)") in card
    assert "These pushes reach about 5 of the 5 known accounts" in card

    approved = abe.post(f"/campaigns/{campaign.pk}/approve/", follow=True).content.decode()
    assert "Approved, and booked as 4 pushes, one per time zone." in approved
    campaign.refresh_from_db()
    assert campaign.status == "split"
    buckets = list(campaign.buckets.all())
    assert len(buckets) == 4 and {b.status for b in buckets} == {"scheduled"}
    for bucket in buckets:
        local = bucket.due_at.astimezone(ZoneInfo(bucket.bucket_zone))
        assert (local.date(), local.hour) == (day, 9)
    verbs = list(AuditEvent.objects.filter(subject_type="campaign", subject_id=campaign.pk)
                 .exclude(verb="campaign.status").order_by("id").values_list("verb", "actor"))
    assert verbs == [("campaign.created", people["mia"].pk),
                     ("campaign.local_time_planned", people["mia"].pk),
                     ("campaign.submitted", people["mia"].pk),
                     ("campaign.approved", people["abe"].pk),
                     ("campaign.split", people["abe"].pk)]


def test_whoever_saved_the_plan_does_not_approve_it(people):
    """abe saved the plan on mia's draft: the send times are his, so ann approves them."""
    campaign = planned(people, a_day_ahead(), who="abe")
    approval.campaign_submit(campaign=campaign, user=people["mia"])
    card = page(people["abe"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="approve"' not in card
    assert "You had a hand in this campaign, so another approver approves it." in card
    refused = page(people["abe"]).post(f"/campaigns/{campaign.pk}/approve/", follow=True)
    assert "Someone who did not write, edit or submit this campaign must approve it" in \
        refused.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == "pending_approval"
    approval.campaign_approve(campaign=campaign, user=people["ann"])
    assert Campaign.objects.get(pk=campaign.pk).buckets.count() == 4


def test_a_plan_that_cannot_be_booked_approves_nothing_and_says_why(people, settings):
    day = a_day_ahead()
    campaign = planned(people, day)
    approval.campaign_submit(campaign=campaign, user=people["mia"])
    settings.PUSH_DAILY_QUOTA = 1  # the plan's day cannot hold its three pushes
    answer = page(people["abe"]).post(f"/campaigns/{campaign.pk}/approve/", follow=True)
    assert ("Not approved: its plan for delivery at each user&#x27;s local time cannot be booked "
            "as it stands") in answer.content.decode()
    assert f"{day.isoformat()} is full" in answer.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "pending_approval" and not campaign.buckets.exists()
    assert not AuditEvent.objects.filter(verb="campaign.approved").exists()


def test_a_marketer_still_cannot_split_an_approved_campaign_and_a_send_time_replaces_the_plan(
        people):
    campaign = planned(people, a_day_ahead())
    at = a_day_ahead(4)
    services.campaign_update(campaign=campaign, user=people["mia"], send_at=dt.datetime.combine(
        at, dt.time(12), tzinfo=ZoneInfo("Asia/Shanghai")))
    campaign.refresh_from_db()
    assert campaign.local_plan == {}
    assert "local time in each account" not in page(people["mia"]).get(
        f"/campaigns/{campaign.pk}/").content.decode()
    approval.campaign_submit(campaign=campaign, user=people["mia"])
    approval.campaign_approve(campaign=campaign, user=people["abe"])
    answer = page(people["mia"]).post(f"/campaigns/{campaign.pk}/local-time/",
                                      plan_form(a_day_ahead()), follow=True)
    assert "splits it by time zone: those are new send times" in answer.content.decode()
    assert not Campaign.objects.get(pk=campaign.pk).buckets.exists()


def test_without_approval_the_page_books_the_split_at_once(people, settings):
    settings.CAMPAIGN_APPROVAL = False
    campaign = services.campaign_create(user=people["mia"], name="Morning news", push=PUSH)
    mia = page(people["mia"])
    form = mia.get(f"/campaigns/{campaign.pk}/local-time/").content.decode()
    assert "Book one push per time zone" in form and "saves the plan" not in form
    mia.post(f"/campaigns/{campaign.pk}/local-time/", plan_form(a_day_ahead()))
    campaign.refresh_from_db()
    assert (campaign.status, campaign.local_plan, campaign.buckets.count()) == ("split", {}, 4)


@pytest.mark.parametrize("value", ["9999-12-31", "2026-02-30", "\x00", "-1", "Mars/Base",
                                   "x" * 300])
def test_a_plan_takes_hostile_values_without_a_server_error_and_keeps_nothing(people, value):
    campaign = services.campaign_create(user=people["mia"], name="Morning news", push=PUSH)
    hostile = {"by": value, "attribute": value, "day": value, "hour": value, "zones": [value],
               "quiet_hours": value, "default_zone": value}
    answer = page(people["mia"]).post(f"/campaigns/{campaign.pk}/local-time/", hostile)
    assert answer.status_code == 200
    campaign.refresh_from_db()
    assert (campaign.status, campaign.local_plan) == ("draft", {})
