"""The dispatcher and the push gates: each app's due campaigns go to im_push one at a time,
within its quota. Apps push side by side: Tencent spaces and counts each SDKAppID apart.

The database is the source of truth and the only coordinator, so the rules hold across any
number of workers on any number of hosts, and nothing is lost when Redis restarts:

- each app has one PushGate row; a push starts only after a conditional UPDATE takes its lease
  and the app's previous push's answer is more than PUSH_MIN_INTERVAL_SECONDS old (the lease
  and the campaign are taken up to CLAIM_AHEAD_SECONDS before the gate opens and the campaign
  is due, so that the push leaves as it may, on time);
- the apps are shared out among DISPATCHERS dispatchers (an app's id modulo DISPATCHERS), each
  in a worker process of its own; one at a time holds a share's role, and it runs each app
  with due work in a thread of its own, so one app's slow answer or outage never holds
  another's;
- every time the gate compares or writes is the database's clock, never a host's, so a worker
  whose clock runs ahead or behind cannot shorten the spacing;
- a campaign is claimed with a conditional UPDATE (scheduled -> sending), so a second
  scheduler or a redelivered task cannot send it twice;
- the daily count is the Attempt ledger; the attempt row is committed before the call, so a
  worker killed mid-call leaves an in-flight attempt that becomes `needs_review`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Now

from core import tencent
from core.models import App
from pushclient import PayloadError, TencentError, backoff_seconds
from pushclient.errors import TRANSPORT_CONNECTION, TRANSPORT_TIMEOUT, ErrorKind

from .models import Attempt, Campaign, DispatcherRole, PushGate
from .quiet import quiet_hours_end
from .quota import (next_quota_day_start, pushes_left_on, quota_day_lock, quota_day_of,
                    quota_zone)
from .states import ATTEMPT, campaign_transition
from .tester_sends import reap_stuck_test_sends

log = logging.getLogger(__name__)

ROLE_SECONDS = 5.0  # how long the active dispatcher's role lasts without renewal
Status = Campaign.Status


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


def db_now() -> dt.datetime:
    """The database server's clock: the one clock every worker on every host agrees on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT clock_timestamp()")
        else:
            cursor.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")
        value = cursor.fetchone()[0]
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def gate_of(app: App) -> PushGate:
    return PushGate.objects.get_or_create(app=app)[0]


def last_tick() -> dt.datetime | None:
    """The scheduler's heartbeat: the oldest of the shares' last ticks, None until each share
    has ticked, so one share's silence shows."""
    ticks = dict(DispatcherRole.objects.filter(share__lt=settings.DISPATCHERS)
                 .values_list("share", "last_tick_at"))
    if len(ticks) < settings.DISPATCHERS or None in ticks.values():
        return None
    return min(ticks.values())


def due_app_ids(now: dt.datetime, share: int = 0) -> set[int]:
    """Apps of the share with campaigns due: an app's id modulo DISPATCHERS is its share."""
    due = (Campaign.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
           .values_list("app_id", flat=True).distinct())
    return {app_id for app_id in due if app_id % settings.DISPATCHERS == share}


def dispatch_due_campaigns(share: int = 0, *, run_seconds: float | None = None) -> int:
    """Send the share's due campaigns for up to `run_seconds`; returns how many were sent.

    Beat starts one of these for each share of the apps every second; only one holds a share's
    role at a time (its DispatcherRole row, with the scheduler's heartbeat), so the shares run
    in as many worker processes, side by side. A tick that finds the role ending within
    HANDOVER_SECONDS waits for it and takes over as it ends, so the apps' queues go on without
    a pause at each hand-over; other ticks return at once. The holder polls for due work every
    DISPATCH_POLL_SECONDS and gives each app with due campaigns a thread (at most
    DISPATCH_APPS_AT_ONCE), which sends that app's campaigns through its gate until none is
    due. The pool makes threads only as apps need them: its bound must stay above the apps due
    at once, or the ones beyond wait for a whole queue to end.
    """
    run_seconds = settings.DISPATCH_RUN_SECONDS if run_seconds is None else run_seconds
    DispatcherRole.objects.get_or_create(share=share)
    taken = _take_role(share, run_seconds)
    if taken is None:
        return 0
    now, role_until = taken
    stop_at = time.monotonic() + run_seconds
    # The role is never renewed past the run's end: that is how the next tick knows to wait.
    run_ends = now + _seconds(run_seconds)
    sent = 0
    running: dict[int, Future] = {}
    roles = DispatcherRole.objects.filter(share=share)
    if share == 0:  # the sweeps, beside the pushes' own, once a tick: by one share for all
        reap_stuck_test_sends(now=now)
    # Called inside a transaction (a caller's atomic block), this connection's rows are
    # invisible to any other: the apps' turns then run here, one after another.
    pool = InlinePool() if connection.in_atomic_block else ThreadPoolExecutor(
        max_workers=settings.DISPATCH_APPS_AT_ONCE, thread_name_prefix="dispatch")
    with pool:
        try:
            while time.monotonic() < stop_at:
                now = db_now()
                renewed = min(now + _seconds(ROLE_SECONDS), run_ends)
                if not roles.filter(held_until=role_until).update(held_until=renewed,
                                                                  last_tick_at=now):
                    break  # another dispatcher took over while this one was held up
                role_until = renewed
                if share == 0:
                    reap_abandoned_attempts(now=now)
                for app_id, turn in list(running.items()):
                    if turn.done():
                        sent += running.pop(app_id).result()
                due_soon = now + _seconds(CLAIM_AHEAD_SECONDS)  # claimed ahead of their time
                for app_id in due_app_ids(due_soon, share) - set(running):
                    running[app_id] = pool.submit(_app_turn, app_id, stop_at,
                                                  own_connection=not isinstance(pool, InlinePool))
                time.sleep(max(0.0, min(settings.DISPATCH_POLL_SECONDS,
                                        stop_at - time.monotonic())))
        finally:
            roles.filter(held_until=role_until).update(held_until=None)
            sent += sum(turn.result() for turn in running.values())
    return sent


# Longer than beat's one second between ticks, so one tick always arrives in time to wait.
HANDOVER_SECONDS = 1.5
HANDOVER_POLL_SECONDS = 0.02


def _take_role(share: int, run_seconds: float) -> tuple[dt.datetime, dt.datetime] | None:
    """The share's dispatcher role, on the database's clock: when it was taken and until when,
    or None when another dispatcher holds it beyond the next tick."""
    roles = DispatcherRole.objects.filter(share=share)
    while True:
        now = db_now()
        until = now + _seconds(min(ROLE_SECONDS, run_seconds))
        free = Q(held_until__isnull=True) | Q(held_until__lt=now)
        if roles.filter(free).update(held_until=until, last_tick_at=now):
            return now, until
        held_until = roles.values_list("held_until", flat=True).first()
        if held_until is not None and held_until - now > _seconds(HANDOVER_SECONDS):
            return None
        time.sleep(HANDOVER_POLL_SECONDS)


class InlinePool:
    """ThreadPoolExecutor's submit, run in the caller's thread."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _app_turn(app_id: int, stop_at: float, *, own_connection: bool) -> int:
    """One app's pushes, in its own thread, until it has nothing due or the run ends."""
    sent = 0
    try:
        app = App.objects.get(pk=app_id)
        while time.monotonic() < stop_at:
            pushed, wait = dispatch_next(app, now=db_now())
            sent += pushed
            if wait is None:
                break
            time.sleep(max(0.0, min(wait, stop_at - time.monotonic())))
    except Exception:
        log.exception("dispatching app %s", app_id)  # the next tick tries it again
    finally:
        if own_connection:
            connection.close()  # the thread's own, opened for this turn
    return sent


# A campaign is claimed this long before its app's gate opens or its time comes, whichever is
# later: the claim's queries and commit (tens of milliseconds, hundreds with many apps sharing
# the processor) then happen while the gate is shut, and the push leaves as it opens, on time.
# Far below the lease, which covers the wait.
CLAIM_AHEAD_SECONDS = 0.5


def dispatch_next(app: App, *, now: dt.datetime) -> tuple[bool, float | None]:
    """Try the app's earliest due campaign: whether a push was made, and the seconds until
    another try is worth its queries (None: nothing is due)."""
    gate = gate_of(app)
    if gate.lease_until and gate.lease_until >= now:
        return False, settings.DISPATCH_POLL_SECONDS  # a push of this app is in flight elsewhere
    if gate.next_allowed_at and gate.next_allowed_at - now >= _seconds(CLAIM_AHEAD_SECONDS):
        return False, (gate.next_allowed_at - now).total_seconds() - CLAIM_AHEAD_SECONDS + 0.001
    campaign = (Campaign.objects.filter(app=app, status=Status.SCHEDULED,
                                        due_at__lte=now + _seconds(CLAIM_AHEAD_SECONDS))
                .order_by("due_at", "id").first())
    if campaign is None:
        return False, None
    campaign.app = app
    claimed = _claim(campaign, gate, now)
    if claimed is None:
        return False, 0.0
    attempt, leaves_in = claimed
    # Counted on the database's clock: a host's clock, ahead or behind, cannot shorten this.
    time.sleep(max(0.0, leaves_in - time.monotonic()))
    _send(attempt, gate)
    # Its gate opens PUSH_MIN_INTERVAL_SECONDS after the answer: the next claim, ahead of that.
    return True, settings.PUSH_MIN_INTERVAL_SECONDS - CLAIM_AHEAD_SECONDS


@transaction.atomic
def _claim(campaign: Campaign, gate: PushGate,
           now: dt.datetime) -> tuple[Attempt, float] | None:
    """The gate's lease and the campaign, for a push once the gate opens (its previous push's
    answer more than PUSH_MIN_INTERVAL_SECONDS old) and the campaign is due: the attempt, and
    the moment (this host's monotonic clock) the push may leave."""
    soon = now + _seconds(CLAIM_AHEAD_SECONDS)
    lease_free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    opens_soon = Q(next_allowed_at__isnull=True) | Q(next_allowed_at__lt=soon)
    gates = PushGate.objects.filter(pk=gate.pk)
    if not gates.filter(lease_free, opens_soon).update(
            lease_until=now + _seconds(settings.PUSH_LEASE_SECONDS), attempt=None):
        return None
    # Read under the lease (only its holder moves it), with the database's time of reading.
    opens_at, read_at = gates.values_list("next_allowed_at", Now()).get()
    read = time.monotonic()
    app = campaign.app
    # The push leaves as the gate opens, not before the campaign's time.
    leaves_at = max(opens_at or campaign.due_at, campaign.due_at)
    day = quota_day_of(max(now, leaves_at), app)
    # Test sends that use the quota count under the day's lock too; taken before the
    # campaign's row, in the order bookings take them.
    quota_day_lock(day, app)
    if not campaign_transition(campaign, to=Status.SENDING,
                               where=Q(due_at__lte=soon, due_at=campaign.due_at)):
        transaction.set_rollback(True)  # sent, cancelled or moved since it was read
        return None
    campaign.refresh_from_db()
    campaign.app = app
    leaves_in = read + max(0.0, (leaves_at - read_at).total_seconds()) + 0.001
    if not campaign.allow_late and now - campaign.due_at > _seconds(
            settings.PUSH_ALLOWED_LATENESS_SECONDS):
        _settle(campaign, Status.FAILED, "missed", late=_late_words(now - campaign.due_at))
        gates.update(lease_until=None)
        return None
    if pushes_left_on(day, count_booked=False, app=app) == 0:
        _move_to_next_day(campaign, now, "moved_full_day")
        gates.update(lease_until=None)
        return None
    attempt = Attempt.objects.create(campaign=campaign, msg_random=campaign.msg_random,
                                     started_at=now, quota_day=day)
    gates.update(attempt=attempt)
    return attempt, leaves_in


def _late_words(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _send(attempt: Attempt, gate: PushGate) -> None:
    campaign = attempt.campaign
    error: Exception | None = None
    task_id = ""
    try:
        client = tencent.client(campaign.app)
        # An A/B test's winner goes through timpush/push, the one that takes TagsNot.
        sender = client.timpush if campaign.endpoint == Campaign.Endpoint.TIMPUSH else client
        result = sender.push_request({**campaign.push, "MsgRandom": attempt.msg_random},
                                     retries=0)
        task_id = result.task_id
    except (PayloadError, TencentError) as exc:
        error = exc
    finished = db_now()
    with transaction.atomic():
        _record_outcome(attempt, campaign, error, task_id, finished)
        PushGate.objects.filter(pk=gate.pk, attempt=attempt).update(
            lease_until=None, attempt=None,
            next_allowed_at=finished + _seconds(settings.PUSH_MIN_INTERVAL_SECONDS))


def _record_outcome(attempt: Attempt, campaign: Campaign, error, task_id: str,
                    finished: dt.datetime) -> None:
    if error is None:
        _attempt_ends(attempt, Attempt.Outcome.OK, finished_at=finished, task_id=task_id)
        # A late answer after the attempt was reaped still settles a campaign under review.
        _settle(campaign, Status.SENT, "", from_=(Status.SENDING, Status.NEEDS_REVIEW),
                task_id=task_id, sent_at=finished)
        return
    if isinstance(error, PayloadError):  # refused here, by Tencent's rules: nothing was sent
        _attempt_ends(attempt, Attempt.Outcome.REFUSED, finished_at=finished,
                      error_code=error.code, counts_quota=False)
        _settle(campaign, Status.FAILED, "invalid", rules=[
            {"field": v.field, "rule": v.rule, "params": v.params, "code": v.code}
            for v in error.violations])
        return
    # Only a refusal from Tencent proves the push did not happen; anything else may have used quota.
    _attempt_ends(attempt, Attempt.Outcome.UNKNOWN if error.outcome_unknown
                  else Attempt.Outcome.REFUSED, finished_at=finished, error_code=error.code,
                  error_info=error.info, counts_quota=error.outcome_unknown)
    tries = campaign.attempts.count()
    unanswered = error.code in (TRANSPORT_TIMEOUT, TRANSPORT_CONNECTION) and error.outcome_unknown
    words = {"code": error.code, "info": error.info}
    if error.kind is ErrorKind.QUOTA:
        _move_to_next_day(campaign, finished, "moved_quota_refused")
    elif unanswered and not settings.PUSH_RETRY_UNKNOWN_OUTCOME:
        _settle(campaign, Status.NEEDS_REVIEW, "unanswered", **words)
    elif error.kind is ErrorKind.RATE and tries < 4 * settings.PUSH_MAX_ATTEMPTS:
        _retry_at(campaign, finished + _seconds(settings.PUSH_MIN_INTERVAL_SECONDS), words)
    elif (error.retryable or unanswered) and tries < settings.PUSH_MAX_ATTEMPTS:
        _retry_at(campaign, finished + _seconds(backoff_seconds(tries, base=1, cap=60)), words)
    else:
        _settle(campaign, Status.FAILED, "refused", **words)


def _attempt_ends(attempt: Attempt, outcome: str, **fields) -> bool:
    """The attempt's answer, through the outcome state machine (no audit: the campaign's status
    move it causes is audited)."""
    return bool(ATTEMPT.move_all(Attempt.objects.filter(pk=attempt.pk), to=outcome, **fields))


def _settle(campaign: Campaign, status: str, reason: str, *, from_=(Status.SENDING,),
            due_at=None, **fields) -> None:
    """The sender's status changes; parameters that are not model fields word the reason."""
    changes = {k: fields.pop(k) for k in ("task_id", "sent_at") if k in fields}
    if due_at is not None:
        changes["due_at"] = due_at
    if campaign_transition(campaign, to=status, from_=from_, reason=reason, params=fields,
                           **changes):
        log.info("campaign %s %s %s", campaign.pk, status, reason)


def _retry_at(campaign: Campaign, when: dt.datetime, words: dict) -> None:
    _settle(campaign, Status.SCHEDULED, "retrying", due_at=when, **words)


def _move_to_next_day(campaign: Campaign, now: dt.datetime, reason: str) -> None:
    """To the start of the first later quota day with room, found as every booking finds room:
    under the day's lock (held to the end of the caller's transaction), with quota.py's one
    formula. Days are locked in date order, as bookings lock them, so no two wait on each
    other. No room within PUSH_SCHEDULE_MAX_DAYS: failed, in words, rather than overbooked."""
    app = campaign.app
    start = next_quota_day_start(now, app)
    for _day in range(settings.PUSH_SCHEDULE_MAX_DAYS):
        # Not into the workspace's quiet hours (in the campaign's zone): then when they end.
        start = (quiet_hours_end(start, ZoneInfo(campaign.timezone)) or start).astimezone(
            quota_zone(app))
        day = quota_day_of(start, app)
        quota_day_lock(day, app)
        if pushes_left_on(day, exclude_id=campaign.pk, app=app) > 0:
            _settle(campaign, Status.SCHEDULED, reason, due_at=start, day=day.isoformat(),
                    time=start.strftime("%H:%M"), zone=quota_zone(app).key)
            return
        start = next_quota_day_start(start, app)
    _settle(campaign, Status.FAILED, "no_room_ahead", days=settings.PUSH_SCHEDULE_MAX_DAYS)


def reap_abandoned_attempts(*, now: dt.datetime) -> int:
    """Attempts in flight past the lease belong to a dead worker: never resend blindly."""
    cutoff = now - _seconds(settings.PUSH_LEASE_SECONDS)
    reaped = 0
    for attempt in Attempt.objects.filter(outcome=Attempt.Outcome.IN_FLIGHT,
                                          started_at__lt=cutoff).select_related("campaign__app"):
        with transaction.atomic():
            # The campaign's reason ("worker_stopped") says why, in the reader's words.
            if _attempt_ends(attempt, Attempt.Outcome.UNKNOWN, from_=[Attempt.Outcome.IN_FLIGHT],
                             finished_at=now):
                reaped += 1
                _settle(attempt.campaign, Status.NEEDS_REVIEW, "worker_stopped")
                PushGate.objects.filter(attempt=attempt).update(
                    lease_until=None, attempt=None,
                    next_allowed_at=now + _seconds(settings.PUSH_MIN_INTERVAL_SECONDS))
    return reaped
