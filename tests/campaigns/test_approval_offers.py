"""With approval on, the pages offer only what the person may do to the campaign in its status,
and say what to do next instead. What they offer is what the services allow:
each offered action is then taken, each hidden one refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import approval, services
from tests.campaigns.test_approval_gates import approved
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT}
SEND_NOW, RESCHEDULE, CANCEL = "Send now…", "Reschedule…", "Cancel campaign…"
REPEAT, SPLIT = "Repeat on a rule", "Deliver at each user's local time"


@pytest.fixture
def people(db, settings):
    settings.CAMPAIGN_APPROVAL = True
    return {"mia": make_user("mia", "Marketers"), "max": make_user("max", "Marketers"),
            "abe": make_user("abe", "Approvers"), "ann": make_user("ann", "Approvers")}


def detail(user, campaign) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_a_draft_offers_submission_not_sending(people):
    draft = services.campaign_create(user=people["mia"], name="Sale", push=PUSH)
    page = detail(people["mia"], draft)
    assert SEND_NOW not in page and RESCHEDULE not in page and SPLIT not in page
    assert "Approval is on: submit it for approval." in page and "Submit for approval" in page
    client = Client()
    client.force_login(people["mia"])
    editor = client.get(f"/campaigns/{draft.pk}/edit/").content.decode()
    assert 'value="now"' not in editor and 'value="at"' in editor
    assert "the time is part of what an approver approves" in editor


def test_an_approved_campaign_offers_new_times_only_to_an_approver_without_a_hand_in_it(people):
    campaign = approved(people, send_at=timezone.now() + dt.timedelta(days=2))
    assert campaign.status == "scheduled"
    mine = detail(people["mia"], campaign)
    assert SEND_NOW not in mine and RESCHEDULE not in mine and REPEAT not in mine
    assert "Approval covers its time too" in mine
    theirs = detail(people["ann"], campaign)
    assert SEND_NOW in theirs and RESCHEDULE in theirs and REPEAT in theirs
    services.campaign_send_now(campaign=campaign, user=people["ann"])  # offered, so allowed


def test_someone_elses_campaign_offers_cancel_to_approvers_only(people):
    campaign = approved(people, send_at=timezone.now() + dt.timedelta(days=2))
    page = detail(people["max"], campaign)
    assert CANCEL not in page
    assert "someone else's campaign is cancelled by an approver or an admin" in page
    assert CANCEL in detail(people["mia"], campaign) and CANCEL in detail(people["ann"], campaign)


def test_an_approver_who_edited_it_is_not_offered_approve(people):
    campaign = services.campaign_create(user=people["mia"], name="Sale", push=PUSH)
    services.campaign_update(campaign=campaign, user=people["abe"], name="Sale!")
    approval.campaign_submit(campaign=campaign, user=people["mia"])
    page = detail(people["abe"], campaign)
    assert 'data-testid="approve"' not in page
    assert "You had a hand in this campaign, so another approver approves it." in page
    assert 'data-testid="approve"' in detail(people["ann"], campaign)


def test_with_approval_off_a_draft_offers_everything(people, settings):
    settings.CAMPAIGN_APPROVAL = False
    draft = services.campaign_create(user=people["mia"], name="Sale", push=PUSH)
    page = detail(people["max"], draft)
    for offered in (SEND_NOW, RESCHEDULE, CANCEL, REPEAT, SPLIT):
        assert offered in page, offered
    assert "Approval" not in page.split('data-testid="actions"', 1)[1].split("</section>", 1)[0]


def test_the_local_time_page_opened_by_its_url_says_why_instead_of_a_form(people):
    """Not a form that only booking would refuse: a marketer splits no approved campaign (on a
    draft, the page saves a plan for the approver: tests/campaigns/test_local_time_plan.py)."""
    campaign = approved(people)
    client = Client()
    client.force_login(people["mia"])
    answer = client.get(f"/campaigns/{campaign.pk}/local-time/", follow=True)
    assert answer.redirect_chain[-1][0] == f"/campaigns/{campaign.pk}/"
    assert "splits it by time zone: those are new send times" in answer.content.decode()
