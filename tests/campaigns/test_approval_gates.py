"""Approval means approval (CAMPAIGN_APPROVAL=1): the paths around it, each tried over
HTTP as the people involved, two marketers (mia, max), approvers (abe, ann), an admin and a
superuser. Test sends reach the team's phones only, approvers are judged by who they are, an
approved time changes only through approval, and what undoes someone else's work takes an
approver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from campaigns import approval, dispatch, recurring, services
from campaigns.models import Campaign, MessageTemplate, Series, TestGroup, TestSend
from campaigns.quota import quota_day_of
from core.models import AuditEvent
from core.tokens import token_create
from tests.campaigns.test_local_time import mirror
from tests.campaigns.test_pages import editor_post
from tests.campaigns.test_recurring import series_post
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "Half price"}}


@pytest.fixture(autouse=True)
def approval_on(settings):
    settings.CAMPAIGN_APPROVAL = True
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = False


@pytest.fixture
def people(db):
    return {"mia": make_user("mia", "Marketers"), "max": make_user("max", "Marketers"),
            "abe": make_user("abe", "Approvers"), "ann": make_user("ann", "Approvers"),
            "ada": make_user("ada", "Admins", is_staff=True),
            "sue": make_user("sue", is_staff=True, is_superuser=True)}


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_create(user=user)[1]}")


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_two_days() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)


def approved(people, **extra) -> Campaign:
    """mia's campaign, submitted by mia and approved by abe."""
    campaign = services.campaign_create(user=people["mia"], name="Sale", push=PUSH, **extra)
    approval.campaign_submit(campaign=campaign, user=people["mia"])
    approval.campaign_approve(campaign=campaign, user=people["abe"])
    campaign.refresh_from_db()
    return campaign


def batch_calls(emulator):
    return [c for c in emulator.calls() if c["command"] == "batch"]


# --- 1. test sends reach the team's phones only -----------------------------------------------

def test_a_draft_cannot_be_test_sent_to_hundreds_of_typed_accounts(people, tim):
    """Else 500 typed accounts, six times, reach 1,000 real users in 0.3 s."""
    tim.post("accounts", {"accounts": [f"user{i}" for i in range(1000)]})
    draft = services.campaign_create(user=people["mia"], name="Sale", push=PUSH)
    mia = api(people["mia"])
    answers = [mia.post(f"/api/campaigns/{draft.pk}/test/",
                        {"accounts": [f"user{i}" for i in range(n * 500, n * 500 + 500)]},
                        content_type="application/json") for n in (0, 1, 0, 1, 0, 1)]
    assert {a.status_code for a in answers} == {400}
    assert answers[0].json()["errors"]["accounts"] == [
        "accounts holds 500 accounts; typed in, a test send goes to at most 10 "
        "(TEST_SEND_TYPED_ACCOUNTS): put more in a test group"]
    on_the_page = page(people["mia"]).post(
        f"/campaigns/{draft.pk}/test-send/",
        {"accounts": "\n".join(f"user{i}" for i in range(11))}, follow=True)
    assert ("accounts holds 11 accounts; typed in, a test send goes to at most 10"
            in on_the_page.content.decode())
    assert batch_calls(tim) == [] and not TestSend.objects.exists()
    ten = mia.post(f"/api/campaigns/{draft.pk}/test/", {"accounts": ["user1", "user2"]},
                   content_type="application/json")
    assert ten.status_code == 201 and ten.json()["reached"] == 2


def test_with_approval_on_only_approvers_change_test_groups_and_the_trail_names_them(people):
    mia, abe = page(people["mia"]), page(people["abe"])
    refused = mia.post("/test-groups/", {"name": "Everyone", "accounts": "u1\nu2"}, follow=True)
    assert "only approvers and admins can change test groups" in refused.content.decode()
    assert not TestGroup.objects.exists()
    abe.post("/test-groups/", {"name": "QA phones", "accounts": "p1\np2"})
    group = TestGroup.objects.get()
    assert mia.get(f"/test-groups/{group.pk}/").status_code == 403
    mia.post(f"/test-groups/{group.pk}/", {"name": "QA phones", "accounts": "\n".join(
        f"u{i}" for i in range(400))})
    assert TestGroup.objects.get().accounts == ["p1", "p2"]
    abe.post(f"/test-groups/{group.pk}/", {"name": "QA phones", "accounts": "p1\np2\np3"})
    page(people["ada"]).post(f"/test-groups/{group.pk}/", {"delete": "1"})
    trail = list(AuditEvent.objects.filter(subject_type="test_group").order_by("id")
                 .values_list("actor__username", "verb", "params__accounts"))
    assert trail == [("abe", "test_group.saved", 2), ("abe", "test_group.saved", 3),
                     ("ada", "test_group.deleted", 3)]


def test_each_person_and_the_team_have_a_daily_number_of_test_accounts(people, tim, settings):
    settings.TEST_SEND_ACCOUNTS_PER_PERSON_DAY, settings.TEST_SEND_ACCOUNTS_PER_DAY = 15, 25
    group = TestGroup.objects.create(owner=people["abe"], name="QA",
                                     accounts=[f"p{i}" for i in range(10)])
    draft = services.campaign_create(user=people["mia"], name="Sale", push=PUSH)

    def send(who):
        return api(people[who]).post(f"/api/campaigns/{draft.pk}/test/", {"group": group.pk},
                                     content_type="application/json")

    assert send("mia").status_code == 201
    again = send("mia")
    assert again.status_code == 409
    assert again.json()["error"] == (
        f"You have sent tests to 10 accounts on {quota_day_of(timezone.now()).isoformat()} and "
        "this send has 10 more: together over your 15 a day (TEST_SEND_ACCOUNTS_PER_PERSON_DAY)")
    assert send("max").status_code == 201
    team = send("ann")
    assert team.status_code == 409 and "The team has sent tests to 20 accounts" in \
        team.json()["error"] and "TEST_SEND_ACCOUNTS_PER_DAY" in team.json()["error"]
    assert len(batch_calls(tim)) == 2


# --- 2. the four-eyes check is on people, not names -------------------------------------------

def test_an_admin_who_renames_themselves_still_cannot_approve_their_own(people):
    ada = people["ada"]
    campaign = services.campaign_create(user=ada, name="Sale", push=PUSH)
    assert api(ada).post(f"/api/campaigns/{campaign.pk}/submit/").status_code == 200
    User.objects.filter(pk=ada.pk).update(username="ada-renamed")
    answer = api(User.objects.get(pk=ada.pk)).post(f"/api/campaigns/{campaign.pk}/approve/")
    assert answer.status_code == 403
    assert answer.json()["error"] == ("Someone who did not write, edit or submit this campaign "
                                      "must approve it")
    assert Campaign.objects.get(pk=campaign.pk).status == "pending_approval"


def test_an_approver_who_wrote_or_edited_it_cannot_approve_what_a_colleague_submitted(people):
    written = services.campaign_create(user=people["abe"], name="Abe's", push=PUSH)
    edited = services.campaign_create(user=people["mia"], name="Mia's", push=PUSH)
    assert api(people["abe"]).patch(f"/api/campaigns/{edited.pk}/", {"name": "Mia's!"},
                                    content_type="application/json").status_code == 200
    for campaign in (written, edited):
        assert api(people["max"]).post(f"/api/campaigns/{campaign.pk}/submit/").status_code == 200
        assert api(people["abe"]).post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 403
        assert api(people["ann"]).post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 200


def test_a_superuser_gets_no_exemption_unless_a_one_person_team_is_set(people, settings):
    sue = people["sue"]
    campaign = services.campaign_create(user=sue, name="Sale", push=PUSH)
    approval.campaign_submit(campaign=campaign, user=sue)
    assert api(sue).post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 403
    settings.CAMPAIGN_APPROVE_OWN = True
    assert api(sue).post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 200


# --- 3. an approved time changes only through approval ----------------------------------------

def test_an_approved_campaign_keeps_its_time_on_every_path_a_marketer_has(people, tim):
    at = in_two_days()
    mirror()
    campaign = approved(people, send_at=at)
    assert (campaign.status, campaign.due_at) == ("scheduled", at)
    later = at + dt.timedelta(hours=3)
    mia_api, mia_page = api(people["mia"]), page(people["mia"])
    # the API: another time, or now
    moved = mia_api.post(f"/api/campaigns/{campaign.pk}/schedule/",
                         {"send_at": later.isoformat()}, content_type="application/json")
    assert moved.status_code == 403 and "Approval covers the send time too" in \
        moved.json()["error"]
    assert mia_api.post(f"/api/campaigns/{campaign.pk}/send-now/").status_code == 403
    # the detail page's reschedule box and "Send now"
    box = mia_page.post(f"/campaigns/{campaign.pk}/reschedule/",
                        {"send_at_local": later.astimezone(dt.timezone(dt.timedelta(hours=8)))
                         .strftime("%Y-%m-%dT%H:%M")}, follow=True)
    assert "Approval covers the send time too" in box.content.decode()
    mia_page.post(f"/campaigns/{campaign.pk}/send-now/")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.due_at) == ("scheduled", at)
    # a series on a rule, and a split by time zone, of one approved without a time
    timeless = approved(people)
    assert timeless.status == "approved"
    for path, form, words in (
            (f"/campaigns/{timeless.pk}/repeat/", series_post(),
             "Approval covers the send time too"),
            (f"/campaigns/{timeless.pk}/local-time/", {
                "by": "attr", "attribute": "tz", "hour": "9", "zones": ["Asia/Tokyo"],
                "day": (at + dt.timedelta(days=1)).date().isoformat(), "quiet_hours": "refuse"},
             "splits it by time zone: those are new send times")):
        answer = mia_page.post(path, form, follow=True).content.decode()
        assert words in answer, path
    assert not Series.objects.exists() and not timeless.buckets.exists()
    assert Campaign.objects.get(pk=timeless.pk).status == "approved"
    # the editor (and the calendar, which opens it on a day): a new time goes back to draft
    mia_page.post(f"/campaigns/{campaign.pk}/edit/", editor_post(
        name="Sale", send_at_local=later.strftime("%Y-%m-%dT%H:%M"), send_tz="UTC"))
    campaign.refresh_from_db()
    assert (campaign.status, campaign.due_at, campaign.send_at) == ("draft", None, later)


def test_an_approver_who_had_no_hand_in_it_may_give_it_another_time(people, tim):
    at = in_two_days()
    campaign = approved(people, send_at=at)
    later = at + dt.timedelta(hours=3)
    answer = api(people["ann"]).post(f"/api/campaigns/{campaign.pk}/schedule/",
                                     {"send_at": later.isoformat()},
                                     content_type="application/json")
    assert answer.status_code == 200 and answer.json()["due_at"] == later.isoformat()
    event = AuditEvent.objects.filter(verb="campaign.rescheduled", subject_id=campaign.pk).get()
    assert event.actor == people["ann"]


# --- 4. undoing someone else's work takes an approver -----------------------------------------

def sent_by(user, settings) -> Campaign:
    settings.CAMPAIGN_APPROVAL = False  # booked straight away, then sent through the emulator
    campaign = services.campaign_create(user=user, name="Sent", push=PUSH,
                                        send_at=timezone.now())
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    settings.CAMPAIGN_APPROVAL = True
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    return campaign


def test_another_marketer_cannot_cancel_or_recall_and_an_approver_can_in_the_trail(
        people, tim, settings):
    booked = approved(people, send_at=in_two_days())
    sent = sent_by(people["mia"], settings)
    recall = {"OfflinePushInfo": {"Title": "Sorry", "Desc": "Tomorrow"}}
    max_api = api(people["max"])
    cancel = max_api.post(f"/api/campaigns/{booked.pk}/cancel/")
    assert cancel.status_code == 403 and cancel.json()["error"] == (
        "With approval on, only approvers and admins can cancel, recall or end what someone "
        "else wrote")
    assert max_api.post(f"/api/campaigns/{sent.pk}/recall/", recall,
                        content_type="application/json").status_code == 403
    page_cancel = page(people["max"]).post(f"/campaigns/{booked.pk}/cancel/", follow=True)
    assert "only approvers and admins can cancel" in page_cancel.content.decode()
    assert Campaign.objects.get(pk=booked.pk).status == "scheduled"
    assert Campaign.objects.get(pk=sent.pk).status == "sent"
    abe_api = api(people["ann"])
    assert abe_api.post(f"/api/campaigns/{booked.pk}/cancel/").status_code == 200
    assert abe_api.post(f"/api/campaigns/{sent.pk}/recall/", recall,
                        content_type="application/json").status_code == 200
    trail = {(e.subject_id, e.params["to_status"]): e.actor.username for e in
             AuditEvent.objects.filter(verb="campaign.status", subject_id__in=[booked.pk, sent.pk],
                                       params__to_status__in=["cancelled", "recalled"])}
    assert trail == {(booked.pk, "cancelled"): "ann", (sent.pk, "recalled"): "ann"}
    own = services.campaign_create(user=people["max"], name="Max's", push=PUSH)
    assert max_api.post(f"/api/campaigns/{own.pk}/cancel/").status_code == 200


# --- 5. copies, series, full days and offers -------------------------------------------------

def test_a_copy_or_a_template_of_an_approvers_text_is_not_theirs_to_approve(people):
    """An approver may not approve his own words in a colleague's copy: abe writes a
    campaign, mia duplicates it (or starts one from abe's template) and submits it."""
    abe, mia = page(people["abe"]), page(people["mia"])
    original = services.campaign_create(user=people["abe"], name="Abe's words", push=PUSH)
    mia.post(f"/campaigns/{original.pk}/duplicate/")
    copy = Campaign.objects.exclude(pk=original.pk).get()
    abe.post(f"/campaigns/{original.pk}/save-template/", {"template_name": "Abe's template"})
    mia.post(f"/templates/{MessageTemplate.objects.get().pk}/use/")
    from_template = Campaign.objects.exclude(pk__in=[original.pk, copy.pk]).get()
    for campaign in (copy, from_template):
        assert campaign.created_by == people["mia"]
        assert api(people["mia"]).post(f"/api/campaigns/{campaign.pk}/submit/").status_code == 200
        assert api(people["abe"]).post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 403
        assert api(people["ann"]).post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 200


def test_a_marketer_ending_or_changing_someone_elses_series_is_told_why_not_a_500(people):
    campaign = approved(people)
    series = recurring.series_create(
        campaign=campaign, user=people["ann"], rrule="FREQ=DAILY;COUNT=2",
        starts_on=timezone.localdate() + dt.timedelta(days=2), local_time=dt.time(9),
        tz="Asia/Shanghai", full_day="skip")
    max_page = page(people["max"])
    ended = max_page.post(f"/series/{series.pk}/end/", {"confirm": "yes"}, follow=True)
    assert ended.status_code == 200
    assert "only approvers and admins can cancel, recall or end" in ended.content.decode()
    changed = max_page.post(f"/series/{series.pk}/", series_post(count="3"))
    assert changed.status_code == 200
    assert "only approvers and admins can change a series&#x27; rule" in changed.content.decode()
    series.refresh_from_db()
    assert series.active and series.rrule == "FREQ=DAILY;COUNT=2"


def test_approved_while_its_day_was_full_it_is_booked_from_its_page_at_its_time(people,
                                                                               settings):
    at = in_two_days()
    settings.CAMPAIGN_APPROVAL, settings.PUSH_DAILY_QUOTA = False, 1
    services.campaign_create(user=people["max"], name="Filler", push=PUSH, send_at=at)
    settings.CAMPAIGN_APPROVAL = True
    campaign = approved(people, send_at=at)
    assert campaign.status == "approved"
    settings.PUSH_DAILY_QUOTA = 2
    mia = page(people["mia"])
    assert "Book it at its approved time" in mia.get(f"/campaigns/{campaign.pk}/").content.decode()
    mia.post(f"/campaigns/{campaign.pk}/book/")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.due_at) == ("scheduled", at)


def test_nobody_is_offered_what_they_would_be_refused(people, tim, settings):
    sent = sent_by(people["mia"], settings)
    theirs = page(people["max"]).get(f"/campaigns/{sent.pk}/").content.decode()
    assert 'data-testid="recall-submit"' not in theirs
    assert "someone else's campaign is recalled by an approver or an admin" in theirs.replace(
        "&#x27;", "'")
    assert 'data-testid="recall-submit"' in page(people["ann"]).get(
        f"/campaigns/{sent.pk}/").content.decode()
    edited = services.campaign_create(user=people["mia"], name="Edited by abe", push=PUSH)
    services.campaign_update(campaign=edited, user=people["abe"], name="Edited by abe!")
    approval.campaign_submit(campaign=edited, user=people["mia"])
    assert "Edited by abe!" not in page(people["abe"]).get("/").content.decode()
    assert "Edited by abe!" in page(people["ann"]).get("/").content.decode()
    assert page(people["sue"]).get("/admin/campaigns/campaign/add/").status_code == 403
    refused = page(people["max"]).get("/audit/")
    assert refused.status_code == 403 and "Your role does not allow" in refused.content.decode()
