"""The dispatcher and the push gate: due campaigns go to im_push one at a time, within the quota.

The database is the source of truth and the only coordinator, so the rules hold across any
number of workers on any number of hosts, and nothing is lost when Redis restarts:

- the gate is one PushGate row; a push starts only after a conditional UPDATE takes its lease
  and finds the previous push's answer more than PUSH_MIN_INTERVAL_SECONDS old;
- a campaign is claimed with a conditional UPDATE (scheduled -> sending), so a second
  scheduler or a redelivered task cannot send it twice;
- the daily count is the Attempt ledger; the attempt row is committed before the call, so a
  worker killed mid-call leaves an in-flight attempt that becomes `needs_review`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pushclient import PayloadError, TencentError, backoff_seconds, explain
from pushclient.errors import TRANSPORT_CONNECTION, TRANSPORT_TIMEOUT, ErrorKind

from . import tencent
from .models import Attempt, Campaign, CampaignEvent, PushGate
from .quota import next_quota_day_start, quota_day_of, quota_used

log = logging.getLogger(__name__)

GATE = 1
ROLE_SECONDS = 5.0  # how long the active dispatcher's role lasts without renewal
Status = Campaign.Status


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


def gate_row() -> PushGate:
    return PushGate.objects.get_or_create(pk=GATE)[0]


def dispatch_due_campaigns(*, run_seconds: float | None = None) -> int:
    """Send due campaigns for up to `run_seconds`; returns how many were sent.

    Beat starts one of these every second; only one holds the dispatcher role at a time,
    polls for due work every DISPATCH_POLL_SECONDS, and the others return at once.
    """
    run_seconds = settings.DISPATCH_RUN_SECONDS if run_seconds is None else run_seconds
    gate_row()
    now = timezone.now()
    role_until = now + _seconds(ROLE_SECONDS)
    free = Q(dispatcher_until__isnull=True) | Q(dispatcher_until__lt=now)
    if not PushGate.objects.filter(free, pk=GATE).update(dispatcher_until=role_until,
                                                         last_tick_at=now):
        return 0
    stop_at = time.monotonic() + run_seconds
    sent = 0
    try:
        while time.monotonic() < stop_at:
            now = timezone.now()
            renewed = now + _seconds(ROLE_SECONDS)
            if not PushGate.objects.filter(pk=GATE, dispatcher_until=role_until).update(
                    dispatcher_until=renewed, last_tick_at=now):
                break  # another dispatcher took over while a push ran long
            role_until = renewed
            reap_abandoned_attempts(now=now)
            wait = dispatch_next(now=now)
            if wait is None:
                sent += 1
            else:
                time.sleep(max(0.0, min(wait, stop_at - time.monotonic())))
    finally:
        PushGate.objects.filter(pk=GATE, dispatcher_until=role_until).update(dispatcher_until=None)
    return sent


def dispatch_next(*, now: dt.datetime) -> float | None:
    """Try the earliest due campaign. None if a push was made, else seconds worth waiting."""
    poll = settings.DISPATCH_POLL_SECONDS
    campaign = (Campaign.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
                .order_by("due_at", "id").first())
    if campaign is None:
        return poll
    gate = PushGate.objects.get(pk=GATE)
    if gate.lease_until and gate.lease_until >= now:
        return poll  # a push is in flight elsewhere
    if gate.next_allowed_at and gate.next_allowed_at >= now:
        return (gate.next_allowed_at - now).total_seconds() + 0.001
    attempt = _claim(campaign, now)
    if attempt is None:
        return 0.0
    _send(attempt)
    return None


@transaction.atomic
def _claim(campaign: Campaign, now: dt.datetime) -> Attempt | None:
    lease_free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    spaced = Q(next_allowed_at__isnull=True) | Q(next_allowed_at__lt=now)
    if not PushGate.objects.filter(lease_free, spaced, pk=GATE).update(
            lease_until=now + _seconds(settings.PUSH_LEASE_SECONDS), attempt=None):
        return None
    if not Campaign.objects.filter(pk=campaign.pk, status=Status.SCHEDULED,
                                   due_at__lte=now).update(status=Status.SENDING, updated_at=now):
        transaction.set_rollback(True)
        return None
    campaign.refresh_from_db()
    if not campaign.allow_late and now - campaign.due_at > _seconds(
            settings.PUSH_ALLOWED_LATENESS_SECONDS):
        _settle_campaign(campaign, Status.FAILED, "missed",
                         f"Missed: found {_late_words(now - campaign.due_at)} after its time, past "
                         "the allowed lateness; it was not sent stale")
        PushGate.objects.filter(pk=GATE).update(lease_until=None)
        return None
    day = quota_day_of(now)
    if quota_used(day) >= settings.PUSH_DAILY_QUOTA:
        _move_to_next_day(campaign, now, "all of today's pushes are used")
        PushGate.objects.filter(pk=GATE).update(lease_until=None)
        return None
    attempt = Attempt.objects.create(campaign=campaign, msg_random=campaign.msg_random,
                                     started_at=now, quota_day=day)
    PushGate.objects.filter(pk=GATE).update(attempt=attempt)
    return attempt


def _late_words(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _send(attempt: Attempt) -> None:
    campaign = attempt.campaign
    error: Exception | None = None
    task_id = ""
    try:
        result = tencent.client().push(
            msg_body=campaign.msg_body, condition=campaign.condition,
            offline_push_info=campaign.offline_push_info, msg_life_time=campaign.msg_life_time,
            from_account=campaign.from_account or None, msg_random=attempt.msg_random, retries=0)
        task_id = result.task_id
    except (PayloadError, TencentError) as exc:
        error = exc
    finished = timezone.now()
    with transaction.atomic():
        _record_outcome(attempt, campaign, error, task_id, finished)
        PushGate.objects.filter(pk=GATE, attempt=attempt).update(
            lease_until=None, attempt=None,
            next_allowed_at=finished + _seconds(settings.PUSH_MIN_INTERVAL_SECONDS))


def _record_outcome(attempt: Attempt, campaign: Campaign, error, task_id: str,
                    finished: dt.datetime) -> None:
    attempt.finished_at = finished
    if error is None:
        attempt.outcome, attempt.task_id = Attempt.Outcome.OK, task_id
        attempt.save()
        campaign.task_id, campaign.sent_at = task_id, finished
        _settle_campaign(campaign, Status.SENT, "sent", "", from_=(Status.SENDING,
                                                                   Status.NEEDS_REVIEW))
        return
    if isinstance(error, PayloadError):
        attempt.outcome, attempt.error_code, attempt.error_info = (
            Attempt.Outcome.REFUSED, error.code, str(error))
        attempt.counts_quota = False
        attempt.save()
        _settle_campaign(campaign, Status.FAILED, "failed", str(error))
        return
    attempt.error_code, attempt.error_info = error.code, error.info
    # Only a refusal from Tencent proves the push did not happen; anything else may have used quota.
    attempt.counts_quota = error.outcome_unknown
    attempt.outcome = Attempt.Outcome.UNKNOWN if error.outcome_unknown else Attempt.Outcome.REFUSED
    attempt.save()
    words = explain(error.code, error.info)
    tries = campaign.attempts.count()
    unanswered = error.code in (TRANSPORT_TIMEOUT, TRANSPORT_CONNECTION) and error.outcome_unknown
    if error.kind is ErrorKind.QUOTA:
        _move_to_next_day(campaign, finished, "Tencent answered 90047 (daily quota exceeded)")
    elif unanswered and not settings.PUSH_RETRY_UNKNOWN_OUTCOME:
        _settle_campaign(campaign, Status.NEEDS_REVIEW, "needs review",
                         f"{words} Check the app, then mark it sent or send it again.")
    elif error.kind is ErrorKind.RATE and tries < 4 * settings.PUSH_MAX_ATTEMPTS:
        _retry_at(campaign, finished + _seconds(settings.PUSH_MIN_INTERVAL_SECONDS), words)
    elif (error.retryable or unanswered) and tries < settings.PUSH_MAX_ATTEMPTS:
        _retry_at(campaign, finished + _seconds(backoff_seconds(tries, base=1, cap=60)), words)
    else:
        _settle_campaign(campaign, Status.FAILED, "failed",
                         f"{words} (Tencent error {error.code})")


def _settle_campaign(campaign: Campaign, status: str, action: str, reason: str, *,
                     from_=(Status.SENDING,), **extra) -> None:
    fields = {"status": status, "status_reason": reason, "updated_at": timezone.now(),
              "task_id": campaign.task_id, "sent_at": campaign.sent_at, **extra}
    if Campaign.objects.filter(pk=campaign.pk, status__in=from_).update(**fields):
        CampaignEvent.objects.create(campaign=campaign, action=action, detail=reason)
        log.info("campaign %s %s", campaign.pk, action)


def _retry_at(campaign: Campaign, when: dt.datetime, words: str) -> None:
    _settle_campaign(campaign, Status.SCHEDULED, "retry", f"Retrying: {words}", due_at=when)


def _move_to_next_day(campaign: Campaign, now: dt.datetime, why: str) -> None:
    start = next_quota_day_start(now)
    _settle_campaign(campaign, Status.SCHEDULED, "moved",
                     f"Moved to {start.date().isoformat()} {start.strftime('%H:%M')} "
                     f"({settings.PUSH_QUOTA_TIMEZONE}): {why}", due_at=start)


def reap_abandoned_attempts(*, now: dt.datetime) -> int:
    """Attempts in flight past the lease belong to a dead worker: never resend blindly."""
    cutoff = now - _seconds(settings.PUSH_LEASE_SECONDS)
    reaped = 0
    for attempt in Attempt.objects.filter(outcome=Attempt.Outcome.IN_FLIGHT,
                                          started_at__lt=cutoff).select_related("campaign"):
        with transaction.atomic():
            if Attempt.objects.filter(pk=attempt.pk, outcome=Attempt.Outcome.IN_FLIGHT).update(
                    outcome=Attempt.Outcome.UNKNOWN, finished_at=now,
                    error_info="the worker stopped during the call"):
                reaped += 1
                _settle_campaign(attempt.campaign, Status.NEEDS_REVIEW, "needs review",
                                 "The worker stopped while the push was in flight; whether it "
                                 "went out is unknown. Check the app, then mark it sent or send "
                                 "it again.")
                PushGate.objects.filter(pk=GATE, attempt=attempt).update(
                    lease_until=None, attempt=None,
                    next_allowed_at=now + _seconds(settings.PUSH_MIN_INTERVAL_SECONDS))
    return reaped
