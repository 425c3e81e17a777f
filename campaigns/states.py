"""The campaigns' state machine: every status change of a campaign, by a person or by the sender,
goes through `campaign_transition`, which knows the allowed moves, writes with a conditional
UPDATE (so a racing sender or a second click cannot both win) and records one audit event in
the same transaction."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now

from core.states import StateMachine

from .models import Attempt, Campaign, Experiment, TestSend

Status = Campaign.Status
Outcome = Attempt.Outcome

# Each status, and the statuses it may be reached from.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    # booked by a person, retried or moved by the sender, or sent again after review
    Status.SCHEDULED: frozenset({Status.DRAFT, Status.SCHEDULED, Status.SENDING,
                                 Status.NEEDS_REVIEW, Status.APPROVED, Status.HELD}),
    Status.SENDING: frozenset({Status.SCHEDULED}),
    # Tencent's answer, or an operator's confirmation after review
    Status.SENT: frozenset({Status.SENDING, Status.NEEDS_REVIEW}),
    Status.FAILED: frozenset({Status.SENDING}),
    Status.NEEDS_REVIEW: frozenset({Status.SENDING}),
    Status.CANCELLED: frozenset({Status.DRAFT, Status.SCHEDULED, Status.SPLIT,
                                 Status.PENDING_APPROVAL, Status.APPROVED, Status.AB_TEST,
                                 Status.HELD, Status.BY_LANGUAGE}),
    # Tencent recalled the push (timpush/revoke) within its 24 h
    Status.RECALLED: frozenset({Status.SENT}),
    # Working as a team (issue 14): a parent split into time-zone buckets is never sent itself.
    Status.SPLIT: frozenset({Status.DRAFT, Status.APPROVED}),
    # An A/B test (campaigns/experiments.py): the parent is never sent itself; its winner's
    # push is booked held until the test's result, then scheduled or cancelled.
    Status.AB_TEST: frozenset({Status.DRAFT, Status.APPROVED}),
    Status.HELD: frozenset({Status.DRAFT}),
    # One push per language version (campaigns/languages.py); the parent is never sent itself.
    Status.BY_LANGUAGE: frozenset({Status.DRAFT, Status.APPROVED}),
    # Approval (campaigns/approval.py): submitted, then approved or sent back; an edit of a
    # campaign waiting, approved or booked after approval returns it to draft.
    Status.PENDING_APPROVAL: frozenset({Status.DRAFT}),
    Status.APPROVED: frozenset({Status.PENDING_APPROVAL}),
    Status.DRAFT: frozenset({Status.PENDING_APPROVAL, Status.APPROVED, Status.SCHEDULED}),
}
MACHINE = StateMachine(Campaign, ALLOWED_FROM, verb="campaign.status")
ExperimentStatus = Experiment.Status
EXPERIMENT_ALLOWED_FROM: dict[str, frozenset[str]] = {
    ExperimentStatus.TESTING: frozenset({ExperimentStatus.PLANNED}),
    ExperimentStatus.WINNER_BOOKED: frozenset({ExperimentStatus.TESTING}),
    ExperimentStatus.STOPPED: frozenset({ExperimentStatus.TESTING}),
    ExperimentStatus.CANCELLED: frozenset({ExperimentStatus.PLANNED, ExperimentStatus.TESTING}),
}
# An A/B test's moves are audited on its campaign's timeline.
EXPERIMENT = StateMachine(Experiment, EXPERIMENT_ALLOWED_FROM, verb="experiment.status")
# A push attempt or a test send is created in flight; Tencent's answer, or the sweep that gives
# up waiting for one (dispatch.reap_abandoned_attempts, tester_sends.reap_stuck_test_sends), ends
# it. An answer that comes after the sweep still counts: it says what happened.
OUTCOME_ALLOWED_FROM: dict[str, frozenset[str]] = {
    outcome: frozenset({Outcome.IN_FLIGHT, Outcome.UNKNOWN})
    for outcome in (Outcome.OK, Outcome.REFUSED, Outcome.UNKNOWN)}
# An attempt's moves are not audited of their own: the campaign's status move they cause is.
ATTEMPT = StateMachine(Attempt, OUTCOME_ALLOWED_FROM, field="outcome", verb="")
# A test send's moves are audited on the campaign's timeline.
TEST_SEND = StateMachine(TestSend, OUTCOME_ALLOWED_FROM, field="outcome",
                         verb="campaign.test_sent")
EDITABLE = frozenset({Status.DRAFT, Status.SCHEDULED})
AWAITING_OR_APPROVED = frozenset({Status.PENDING_APPROVAL, Status.APPROVED})
# Versions an approver has passed: a series may repeat one (campaigns/recurring.py).
APPROVED_VERSIONS = frozenset({Status.APPROVED, Status.SCHEDULED, Status.SENDING, Status.SENT})


def approval_required() -> bool:
    return settings.CAMPAIGN_APPROVAL


def bookable_from() -> frozenset[str]:
    """What a person may book (schedule, send now): under CAMPAIGN_APPROVAL only an approved
    campaign, or one already booked after its approval."""
    return frozenset({Status.APPROVED, Status.SCHEDULED}) if approval_required() else EDITABLE


def campaign_transition(campaign: Campaign, *, to: str, actor=None, from_=None,
                        where: Q | None = None, reason: str = "", params: dict | None = None,
                        **changes) -> bool:
    """Move `campaign` to `to` if it is in one of `from_` (default: every allowed status) and
    matches `where`; True if this call made the change."""
    params = params or {}
    return MACHINE.move(campaign, to=to, actor=actor, from_=from_, where=where,
                        audit_params={"reason": reason, **params}, status_reason=reason,
                        status_params=params, updated_at=Now(), **changes)
