"""Approval (CAMPAIGN_APPROVAL=1): each path through the state machine, the roles, the audit
trail, an edit after approval, and the pages."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation

from campaigns import approval, local_time, recurring, services, tester_sends
from campaigns.models import Campaign
from campaigns.quota import quota_day_of, quota_summary
from campaigns.selectors import campaign_timeline
from core.audit import audit_rows
from core.errors import InvalidInput, NotPermitted, TransitionRefused
from core.models import AuditEvent
from core.tokens import token_create
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT}


@pytest.fixture(autouse=True)
def approval_on(settings):
    settings.CAMPAIGN_APPROVAL = True
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = False


@pytest.fixture
def approver(db):
    return make_user("abe", "Approvers")


def in_two_days():
    return timezone.now() + dt.timedelta(days=2)


def written(marketer, **extra):
    return services.campaign_create(user=marketer, name="Sale", push=PUSH, **extra)


def verbs(campaign):
    return list(AuditEvent.objects.filter(subject_type="campaign", subject_id=campaign.pk)
                .exclude(verb="campaign.status").order_by("at", "id")
                .values_list("verb", flat=True))


def test_a_draft_with_a_time_is_not_booked_until_it_is_approved(marketer):
    at = in_two_days()
    campaign = written(marketer, send_at=at)
    assert (campaign.status, campaign.send_at, campaign.due_at) == ("draft", at, None)
    assert quota_summary(quota_day_of(at))["booked"] == 0
    with pytest.raises(TransitionRefused) as caught:
        services.campaign_send_now(campaign=campaign, user=marketer)
    assert str(caught.value) == ("This campaign needs approval before it is scheduled or sent: "
                                 "submit it for approval")


def test_submitted_then_approved_it_is_booked_at_its_time(marketer, approver):
    at = in_two_days()
    campaign = written(marketer, send_at=at)
    approval.campaign_submit(campaign=campaign, user=marketer)
    assert campaign.status == "pending_approval"
    with pytest.raises(TransitionRefused):  # waiting is not bookable
        services.campaign_schedule(campaign=campaign, user=marketer, send_at=at)
    assert approval.campaign_approve(campaign=campaign, user=approver) == ""
    campaign.refresh_from_db()
    assert (campaign.status, campaign.due_at) == ("scheduled", at)
    assert quota_summary(quota_day_of(at))["booked"] == 1
    assert verbs(campaign) == ["campaign.created", "campaign.submitted", "campaign.approved"]
    moves = [(e.params["from_status"], e.params["to_status"], e.params["reason"])
             for e in AuditEvent.objects.filter(verb="campaign.status", subject_id=campaign.pk)
             .order_by("at", "id")]
    assert moves == [("draft", "pending_approval", "submitted"),
                     ("pending_approval", "approved", "approved"), ("approved", "scheduled", "")]


def test_approved_without_a_time_it_waits_for_an_approver_to_send_it(marketer, approver):
    """Approval covers the time: none was approved, so the author cannot choose one alone."""
    campaign = written(marketer)
    approval.campaign_submit(campaign=campaign, user=marketer)
    approval.campaign_approve(campaign=campaign, user=approver)
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"
    with pytest.raises(NotPermitted) as refused:
        services.campaign_send_now(campaign=campaign, user=marketer)
    assert "Approval covers the send time too" in str(refused.value)
    services.campaign_send_now(campaign=campaign, user=approver)
    assert campaign.status == "scheduled"


def test_approved_for_a_full_day_it_stays_approved_and_says_why(marketer, approver, settings):
    settings.PUSH_DAILY_QUOTA = 0
    campaign = written(marketer, send_at=in_two_days())
    approval.campaign_submit(campaign=campaign, user=marketer)
    warning = approval.campaign_approve(campaign=campaign, user=approver)
    assert warning.startswith("Approved, but not booked: ") and "is full" in warning
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"


def test_sent_back_with_a_comment_it_returns_to_draft(marketer, approver):
    campaign = written(marketer)
    approval.campaign_submit(campaign=campaign, user=marketer)
    with pytest.raises(InvalidInput) as caught:
        approval.campaign_send_back(campaign=campaign, user=approver, comment="  ")
    assert caught.value.errors == {"comment": ["Write a comment saying what should change"]}
    approval.campaign_send_back(campaign=campaign, user=approver, comment="Fix the title")
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert campaign.status_reason_text == "Sent back by abe: Fix the title"
    assert "sent the campaign back: Fix the title" in [r["what"] for r in campaign_timeline(campaign)]
    # and it can be submitted again
    approval.campaign_submit(campaign=campaign, user=marketer)
    assert campaign.status == "pending_approval"


def test_an_edit_after_approval_returns_it_to_draft_and_frees_its_push(marketer, approver):
    at = in_two_days()
    campaign = written(marketer, send_at=at)
    approval.campaign_submit(campaign=campaign, user=marketer)
    approval.campaign_approve(campaign=campaign, user=approver)
    assert quota_summary(quota_day_of(at))["booked"] == 1
    services.campaign_update(campaign=campaign, user=marketer, name="Sale, final")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.status_reason, campaign.due_at) == (
        "draft", "edited_after_approval", None)
    assert campaign.send_at == at  # the time is kept for the next approval
    assert quota_summary(quota_day_of(at))["booked"] == 0
    with pytest.raises(TransitionRefused):
        services.campaign_send_now(campaign=campaign, user=marketer)


def test_an_edit_while_waiting_or_approved_returns_it_to_draft(marketer, approver):
    waiting = written(marketer)
    approval.campaign_submit(campaign=waiting, user=marketer)
    services.campaign_update(campaign=waiting, user=marketer, push={"MsgBody": TEXT,
                                                                    "MsgLifeTime": 60})
    assert Campaign.objects.get(pk=waiting.pk).status == "draft"
    approved = written(marketer)
    approval.campaign_submit(campaign=approved, user=marketer)
    approval.campaign_approve(campaign=approved, user=approver)
    services.campaign_update(campaign=approved, user=marketer, name="Changed")
    assert Campaign.objects.get(pk=approved.pk).status == "draft"


def test_only_approvers_and_admins_approve_and_never_their_own_submission(
        marketer, approver, admin_user):
    campaign = written(marketer)
    approval.campaign_submit(campaign=campaign, user=marketer)
    with pytest.raises(TransitionRefused):
        approval.campaign_approve(campaign=campaign, user=marketer)
    own = written(approver)
    approval.campaign_submit(campaign=own, user=approver)
    with pytest.raises(TransitionRefused) as caught:
        approval.campaign_approve(campaign=own, user=approver)
    assert "Someone who did not write, edit or submit this campaign" in str(caught.value)
    approval.campaign_approve(campaign=campaign, user=admin_user)
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"


def test_approval_that_needs_a_test_send_is_refused_while_none_exists(
        marketer, approver, settings):
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = True
    campaign = written(marketer)
    approval.campaign_submit(campaign=campaign, user=marketer)
    with pytest.raises(TransitionRefused) as caught:
        approval.campaign_approve(campaign=campaign, user=approver)
    assert str(caught.value) == ("Approval needs a successful test send of this exact version: "
                                 "send a test first")
    assert Campaign.objects.get(pk=campaign.pk).status == "pending_approval"


def test_approval_counts_a_test_send_of_the_exact_version_only(marketer, approver, settings, tim):
    """A test send of an older version (edited since) does not count; one of the version being
    approved, accepted by Tencent for an account, does."""
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = True
    tim.post("accounts", {"accounts": ["mary"]})
    offline = {"Title": "Weekend sale", "Desc": "Half price"}
    campaign = services.campaign_create(user=marketer, name="Sale",
                                        push={**PUSH, "OfflinePushInfo": offline})
    tester_sends.campaign_test_send(campaign=campaign, user=marketer, accounts=["mary"])
    services.campaign_update(campaign=campaign, user=marketer,
                             push={**PUSH, "OfflinePushInfo": {**offline, "Desc": "Half price!"}})
    approval.campaign_submit(campaign=campaign, user=marketer)
    with pytest.raises(TransitionRefused):
        approval.campaign_approve(campaign=campaign, user=approver)
    assert Campaign.objects.get(pk=campaign.pk).status == "pending_approval"

    tester_sends.campaign_test_send(campaign=Campaign.objects.get(pk=campaign.pk), user=marketer,
                                  accounts=["mary"])
    approval.campaign_approve(campaign=Campaign.objects.get(pk=campaign.pk), user=approver)
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"


def test_waiting_and_approved_campaigns_can_be_cancelled(marketer, approver):
    waiting = written(marketer)
    approval.campaign_submit(campaign=waiting, user=marketer)
    services.campaign_cancel(campaign=waiting, user=marketer)
    assert waiting.status == "cancelled"
    with pytest.raises(TransitionRefused):
        approval.campaign_approve(campaign=waiting, user=approver)


def test_with_approval_off_nothing_is_submitted(marketer, settings):
    settings.CAMPAIGN_APPROVAL = False
    campaign = written(marketer, send_at=in_two_days())
    assert campaign.status == "scheduled"
    with pytest.raises(TransitionRefused):
        approval.campaign_submit(campaign=campaign, user=marketer)


def test_home_shows_approvers_what_waits_for_them(client, marketer, approver):
    campaign = written(marketer)
    approval.campaign_submit(campaign=campaign, user=marketer)
    client.force_login(approver)
    page = client.get("/").content.decode()
    assert "1 campaign is waiting for approval:" in page and "Sale" in page
    client.force_login(marketer)
    assert "waiting for approval" not in client.get("/").content.decode()


def test_the_detail_page_walks_a_campaign_through_approval(client, marketer, approver):
    campaign = written(marketer, send_at=in_two_days())
    client.force_login(marketer)
    assert "Submit for approval" in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    page = client.post(f"/campaigns/{campaign.pk}/submit/", follow=True).content.decode()
    assert "Submitted: an approver who did not write it approves it or sends it back." in page
    assert client.post(f"/campaigns/{campaign.pk}/approve/").status_code == 403
    client.force_login(approver)
    page = client.post(f"/campaigns/{campaign.pk}/send-back/", {"comment": ""},
                       follow=True).content.decode()
    assert "Write a comment saying what should change" in page
    page = client.post(f"/campaigns/{campaign.pk}/approve/", follow=True).content.decode()
    assert "Approved." in page and "Done." not in page
    assert Campaign.objects.get(pk=campaign.pk).status == "scheduled"
    rows = [r["what"] for r in audit_rows(AuditEvent.objects.filter(subject_id=campaign.pk,
                                                                      subject_type="campaign"))]
    assert "approved the campaign" in rows and "submitted the campaign for approval" in rows


def token_client(user):
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token_create(user=user)[1]}"
    return client


def test_the_api_walks_a_campaign_through_approval(marketer, approver):
    mia, abe = token_client(marketer), token_client(approver)
    at = in_two_days()
    created = mia.post("/api/campaigns/", {"name": "Sale", "push": PUSH,
                                           "send_at": at.isoformat()},
                       content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    pk = created.json()["id"]
    assert mia.post(f"/api/campaigns/{pk}/send-now/").status_code == 409
    answer = mia.post(f"/api/campaigns/{pk}/submit/")
    assert answer.json()["status"] == "pending_approval"
    assert mia.get(f"/api/campaigns/{pk}/").json()["status"] == "pending_approval"
    assert mia.post(f"/api/campaigns/{pk}/approve/").status_code == 403
    back = abe.post(f"/api/campaigns/{pk}/send-back/", {"comment": ""},
                    content_type="application/json")
    assert back.status_code == 400 and "comment" in back.json()["errors"]
    back = abe.post(f"/api/campaigns/{pk}/send-back/", {"comment": "Shorter"},
                    content_type="application/json")
    assert back.json()["status_reason_text"] == "Sent back by abe: Shorter"
    mia.post(f"/api/campaigns/{pk}/submit/")
    approved = abe.post(f"/api/campaigns/{pk}/approve/").json()
    assert approved["status"] == "scheduled"
    assert dt.datetime.fromisoformat(approved["due_at"]) == at
    edited = mia.patch(f"/api/campaigns/{pk}/", {"name": "Sale!"},
                       content_type="application/json").json()
    assert (edited["status"], edited["due_at"]) == ("draft", None)


def test_a_series_or_a_split_under_approval_starts_from_an_approved_campaign(marketer, approver):
    draft = written(marketer)
    with pytest.raises(TransitionRefused):
        recurring.series_create(campaign=draft, user=marketer, rrule="FREQ=DAILY;COUNT=1",
                                starts_on=dt.date.today() + dt.timedelta(days=2),
                                local_time=dt.time(9), tz="Asia/Shanghai", full_day="skip")
    with pytest.raises(TransitionRefused):
        local_time.campaign_split_by_zone(campaign=draft, user=marketer,
                                          day=dt.date.today() + dt.timedelta(days=2), hour=9,
                                          by="tags", zones=["Asia/Tokyo"])


def test_the_approval_words_are_in_chinese_too(marketer, approver):
    campaign = written(marketer)
    approval.campaign_submit(campaign=campaign, user=marketer)
    approval.campaign_send_back(campaign=campaign, user=approver, comment="标题太长")
    with translation.override("zh-hans"):
        words = [r["what"] for r in campaign_timeline(campaign)]
        campaign.refresh_from_db()
        reason = campaign.status_reason_text
    assert "将推送任务提交审批" in words and "退回了推送任务：标题太长" in words
    assert reason == "被 abe 退回：标题太长"
