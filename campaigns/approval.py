"""Approval (CAMPAIGN_APPROVAL=1): a marketer submits a campaign, an approver (or admin)
approves it or sends it back with a comment; only then can it be booked. Every step is a move
of the one state machine and an audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.text import unsafe_text_errors

from .experiments import experiment_book
from .languages import languages_book
from .local_time import campaign_split_by_zone, plan_arguments
from .models import Campaign, Experiment
from .permissions import require_approver, require_may_approve
from .services import campaign_schedule
from .states import approval_required, campaign_transition
from .tester_sends import has_passing_test_send

Status = Campaign.Status
MAX_COMMENT = 1000


def _approval_on() -> None:
    if not approval_required():
        raise TransitionRefused(_("Approval is not turned on (CAMPAIGN_APPROVAL)"))


@transaction.atomic
def campaign_submit(*, campaign: Campaign, user) -> Campaign:
    _approval_on()
    if not campaign_transition(campaign, to=Status.PENDING_APPROVAL, actor=user,
                               from_=[Status.DRAFT], reason="submitted",
                               params={"by": user.username}):
        raise TransitionRefused(_("Only a draft can be submitted for approval"))
    audit_record(actor=user, verb="campaign.submitted", subject=campaign)
    return campaign


def _approver_checks(campaign: Campaign, user) -> None:
    require_approver(user)
    campaign.refresh_from_db(fields=["status", "status_params"])
    if campaign.status != Status.PENDING_APPROVAL:
        raise TransitionRefused(_("Only a campaign waiting for approval can be approved or "
                                  "sent back"))


def campaign_approve(*, campaign: Campaign, user) -> str:
    """Approve; a campaign with a future time is then booked. Returns a warning when the
    booking could not be made (the approval stands; the author picks another time). A draft's
    plan (an A/B test, language versions, a split by time zone) is booked by the same act."""
    _approval_on()
    with transaction.atomic():
        # Judge the version stored now, not the one the caller loaded: an edit may have come
        # in between, and a test send of an older version must not approve the new one.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).exists()
        campaign.refresh_from_db()
        _approver_checks(campaign, user)
        require_may_approve(user, campaign)
        if settings.CAMPAIGN_APPROVAL_NEEDS_TEST and not has_passing_test_send(campaign=campaign):
            raise TransitionRefused(_("Approval needs a successful test send of this exact "
                                      "version: send a test first"))
        if not campaign_transition(campaign, to=Status.APPROVED, actor=user,
                                   from_=[Status.PENDING_APPROVAL], reason="approved",
                                   params={"by": user.username}):
            raise TransitionRefused(_("Only a campaign waiting for approval can be approved or "
                                      "sent back"))
        audit_record(actor=user, verb="campaign.approved", subject=campaign)
        # A plan's pushes are what is approved: a plan that cannot be booked as it stands
        # approves nothing (the approver sends it back).
        experiment = Experiment.objects.filter(campaign=campaign,
                                               status=Experiment.Status.PLANNED).first()
        if experiment is not None:
            _book_plan(lambda: experiment_book(experiment=experiment, user=user), _(
                "Not approved: its A/B test cannot be booked as it stands (%(problem)s). Send "
                "it back, saying what should change."))
            return ""
        if campaign.language_plan:
            _book_plan(lambda: languages_book(campaign=campaign, user=user), _(
                "Not approved: its language versions cannot be booked as they stand "
                "(%(problem)s). Send it back, saying what should change."))
            return ""
        if campaign.local_plan:
            _book_plan(lambda: campaign_split_by_zone(campaign=campaign, user=user,
                                                      **plan_arguments(campaign.local_plan)), _(
                "Not approved: its plan for delivery at each user's local time cannot be "
                "booked as it stands (%(problem)s). Send it back, saying what should change."))
            return ""
    campaign.refresh_from_db()
    if campaign.send_at and campaign.send_at > timezone.now():
        try:
            campaign_schedule(campaign=campaign, user=user, send_at=campaign.send_at)
        except (InvalidInput, TransitionRefused) as exc:
            problems = exc.errors.values() if isinstance(exc, InvalidInput) else [[str(exc)]]
            return _("Approved, but not booked: %(problem)s") % {
                "problem": " ".join(str(m) for ms in problems for m in ms)}
    return ""


def _book_plan(book, refusal: str) -> None:
    """Book a draft's plan on approval, or refuse the approval with the booking's reasons."""
    try:
        book()
    except (InvalidInput, TransitionRefused) as exc:
        problems = exc.errors.values() if isinstance(exc, InvalidInput) else [[str(exc)]]
        raise TransitionRefused(refusal % {
            "problem": " ".join(str(m) for ms in problems for m in ms)}) from None


@transaction.atomic
def campaign_send_back(*, campaign: Campaign, user, comment: str) -> Campaign:
    _approval_on()
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput({"comment": [_("Write a comment saying what should change")]})
    if len(comment) > MAX_COMMENT:
        raise InvalidInput({"comment": [_("The comment is %(n)d characters; at most %(max)d "
                                          "are allowed") % {"n": len(comment), "max": MAX_COMMENT}]})
    errors = unsafe_text_errors(comment, "comment")
    if errors:
        raise InvalidInput(errors)
    _approver_checks(campaign, user)
    if not campaign_transition(campaign, to=Status.DRAFT, actor=user,
                               from_=[Status.PENDING_APPROVAL], reason="sent_back",
                               params={"by": user.username, "comment": comment}):
        raise TransitionRefused(_("Only a campaign waiting for approval can be approved or "
                                  "sent back"))
    audit_record(actor=user, verb="campaign.sent_back", subject=campaign, comment=comment)
    return campaign
