"""Who may do what to a campaign and to test groups: the rules of the README's "Working as a
team" table, in one place (tests/campaigns/test_team_table.py runs that table over HTTP).

The workspace is shared: every marketer sees, writes, edits and submits every campaign, and an
edit of a campaign waiting for or past approval returns it to draft. With approval on
(CAMPAIGN_APPROVAL), these make approval mean something:
- approving or sending back takes an approver or admin who had no hand in the campaign: not its
  author, nor anyone who submitted or edited it or saved its local-time plan, judged by user id
  (a rename changes nothing), superusers included; CAMPAIGN_APPROVE_OWN allows a one-person team;
- approval covers the campaign's content, audience and time: after approval only the approved
  time is booked by anyone; another time ("Send now", the reschedule box, a series, a split by
  time zone) is set only by someone who may approve it, which approves that time. Anyone else
  changes the time in the editor, which returns the campaign to draft, or asks for a split by
  time zone as the draft's plan, which its approval books;
- what undoes someone else's work (cancel, recall, ending a series) takes an approver or admin;
- test groups, the only way to test-send to more than a few typed accounts, are changed only by
  approvers and admins.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles
from core.errors import NotPermitted
from core.models import AuditEvent

from .states import APPROVED_VERSIONS, approval_required

# The audit verbs that give a person a hand in a campaign's version (a local-time plan is its
# send times).
CONTRIBUTING = ("campaign.created", "campaign.edited", "campaign.submitted",
                "campaign.local_time_planned", "experiment.planned",
                "campaign.languages_planned")


def contributor_ids(campaign) -> set[int]:
    """The ids of everyone who wrote, edited or submitted the campaign."""
    return contributors_by_campaign([campaign])[campaign.pk]


def contributors_by_campaign(campaigns) -> dict[int, set[int]]:
    """contributor_ids of each campaign, read in one query (a page lists several)."""
    ids = {c.pk: set(c.content_by) | ({c.created_by_id} if c.created_by_id else set())
           for c in campaigns}
    for pk, actor in (AuditEvent.objects.filter(subject_type="campaign", subject_id__in=ids,
                                                verb__in=CONTRIBUTING, actor__isnull=False)
                      .values_list("subject_id", "actor_id")):
        ids[pk].add(actor)
    return ids


def authors_of(made) -> list[int]:
    """Everyone with a hand in a template's or series' content: theirs for what it becomes."""
    return sorted(set(made.content_by) | {made.created_by_id, made.updated_by_id})


def may_approve(user, campaign) -> bool:
    return roles.is_approver(user) and (settings.CAMPAIGN_APPROVE_OWN
                                        or user.pk not in contributor_ids(campaign))


def approvable_by(user, campaigns) -> list:
    """Those of `campaigns` that `user` may approve (may_approve of each, in one query)."""
    campaigns = list(campaigns)
    if not roles.is_approver(user):
        return []
    if settings.CAMPAIGN_APPROVE_OWN:
        return campaigns
    contributors = contributors_by_campaign(campaigns)
    return [c for c in campaigns if user.pk not in contributors[c.pk]]


def may_undo(user, owner_id: int | None) -> bool:
    return not approval_required() or owner_id == user.pk or roles.is_approver(user)


def campaign_offers(user, campaign) -> dict[str, bool]:
    """What the pages offer `user` on `campaign`: the services' own rules, asked before the
    click, so nobody is shown a button that can only be refused."""
    status, Status = campaign.status, campaign.Status
    approval = approval_required()
    bookable = status in ((Status.APPROVED, Status.SCHEDULED) if approval
                          else (Status.DRAFT, Status.SCHEDULED))
    # Asked once: it reads the campaign's audit trail.
    approves = approval and may_approve(user, campaign)
    new_times = not approval or approves
    undoes = may_undo(user, campaign.created_by_id)
    whole = not campaign.parent_id and not campaign.series_id
    return {
        "send_now": bookable and new_times,
        "reschedule": bookable and new_times,
        "cancel": status in campaign.CANCELLABLE and undoes,
        "repeat": whole and (not approval or (status in APPROVED_VERSIONS and new_times)),
        "local_time": whole and status == (Status.APPROVED if approval else Status.DRAFT)
        and new_times,
        # With approval on, a draft asks for a split, which its approval then books.
        "plan_local_time": approval and whole and status == Status.DRAFT,
        "approve": approves and status == Status.PENDING_APPROVAL,
        "recall": undoes,
        # An A/B test is set up on a draft; with approval on it is a plan its approval books.
        "ab_test": whole and status == Status.DRAFT,
        "cancel_ab_test": status == Status.AB_TEST and undoes,
        # Language versions are set on a draft too (a plan its approval books, with approval).
        "languages": whole and status == Status.DRAFT,
        "cancel_languages": status == Status.BY_LANGUAGE and undoes,
        "cancel_split": status == Status.SPLIT and undoes
        and campaign.buckets.filter(status=Status.SCHEDULED).exists(),
        # Approved while its day was full: anyone books it at the time the approval covered.
        "book_approved": approval and status == Status.APPROVED and campaign.send_at is not None
        and campaign.send_at > timezone.now(),
    }


def require_approver(user) -> None:
    if not roles.is_approver(user):
        raise NotPermitted(_("Only approvers and admins can approve or send back a campaign"))


def require_may_approve(user, campaign) -> None:
    """Approving takes a second person: see the module's docstring."""
    require_approver(user)
    if not may_approve(user, campaign):
        raise NotPermitted(_("Someone who did not write, edit or submit this campaign must "
                             "approve it"))


def require_may_set_time(user, campaign, at) -> None:
    """Booking an approved campaign, with approval on: at its approved time by anyone, at any
    other time only by someone who may approve it."""
    if not (campaign.status == campaign.Status.APPROVED and at == campaign.send_at):
        require_may_choose_times(user, campaign)


def require_may_choose_times(user, campaign) -> None:
    """New times for an approved campaign (another time, a series, a split), with approval on:
    an approver's act, so it takes someone who may approve the campaign."""
    try:
        require_may_approve(user, campaign)
    except NotPermitted:
        raise NotPermitted(_(
            "Approval covers the send time too: an approver who did not write, edit or submit "
            "this campaign can give it another time; or change the time in the editor and submit "
            "it again")) from None


def require_may_change_series(user) -> None:
    """A series' new rule books new times: with approval on, an approver's act."""
    if approval_required() and not roles.is_approver(user):
        raise NotPermitted(_("With approval on, only approvers and admins can change a "
                             "series' rule"))


def require_may_undo(user, owner_id: int | None) -> None:
    """Cancelling, recalling or ending someone else's work, with approval on."""
    if not may_undo(user, owner_id):
        raise NotPermitted(_("With approval on, only approvers and admins can cancel, recall or "
                             "end what someone else wrote"))


def may_edit_test_group(user, group) -> bool:
    if approval_required():
        return roles.is_approver(user)
    return group is None or group.owner_id == user.pk


def require_may_edit_test_group(user, group=None) -> None:
    if not may_edit_test_group(user, group):
        if approval_required():
            raise NotPermitted(_("With approval on, only approvers and admins can change test "
                                 "groups"))
        raise NotPermitted(_("Only the person who made a test group can change it"))
