"""Running a bulk job: its accounts become batches of at most 100, which crews on any number of
hosts claim, send under the shared limiter of the job's app, and mark done. A done batch is never
sent again; a batch whose worker died is claimed again when its lease runs out. Each app has its
own limiter and client (core/tencent.py), so two apps' jobs run side by side at each app's rate,
and one app's refusals hold no other's.

Only the HTTP work fans out: the calls run on sender threads that never touch the ORM, however
many are in flight; a cutter thread cuts, the task's own thread claims, and one to
AUDIENCE_MAX_RECORDERS threads record what the calls did (see Crew).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import queue
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from core import tencent
from core.chat_apps import connection as app_connection
from pushclient import PayloadError, TencentError, backoff_seconds
from pushclient.batching import chunks
from pushclient.errors import ErrorKind

from .buckets import bucket_job_after
from .rules import bucket_of, bucket_tag
from .models import Job, JobBatch, JobFailure, Segment, SegmentAccount
from .mirror import mirror_apply
from .states import batches_transition, job_transition

log = logging.getLogger(__name__)
BATCHES_PER_CUT = 50  # 5,000 accounts a transaction: the first calls need not wait for the rest
FIRST_CUT = 5  # the first slice is small, so the first call goes out at once
IDLE_POLL_SECONDS = 0.2
CREW_CHECK_SECONDS = 0.25
# The database thread records answers and hands out batches at most this often: ~20
# transactions a second, each for a handful of batches, whatever the rate.
LOOP_SECONDS = 0.05
# Batches claimed ahead of the senders, in seconds of calls at the full rate: a slice being cut
# or a slow commit on the database thread never leaves a sender without work.
PREFETCH_SECONDS = 0.3
CUT_POLL_SECONDS = 0.1  # how often a cutter waiting for its crew's first claim looks again


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


def job_cut_some(job_id: int) -> bool:
    """Cut the next slice of the segment into batches, in a transaction of its own, so calls
    start while a large segment is still being cut. Callers on any host take turns on the job's
    row lock and carry on from its cursor. True once every account is in a batch."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.prepared:
            return True
        cut = _cut_in_sql if connection.vendor == "postgresql" else _cut_in_python
        limit = (BATCHES_PER_CUT if job.batch_count else FIRST_CUT) * 100
        count, batches, last_pk = cut(job, limit)
        finished = count < limit
        Job.objects.filter(pk=job_id).update(
            prepared=finished, batch_count=job.batch_count + batches,
            prepared_through=last_pk if count else job.prepared_through)
        return finished


def _cut_in_python(job: Job, limit: int) -> tuple[int, int, int]:
    """Cut up to `limit` accounts: (accounts cut, batches made, the last account row's pk)."""
    rows = list(SegmentAccount.objects.filter(segment_id=job.segment_id,
                                              pk__gt=job.prepared_through)
                .order_by("pk").values_list("pk", "account")[:limit])
    batches = [JobBatch(job_id=job.pk, seq=job.batch_count + i, accounts=batch)
               for i, batch in enumerate(chunks(account for _, account in rows))]
    JobBatch.objects.bulk_create(batches)
    return len(rows), len(batches), rows[-1][0] if rows else 0


# The same cut done by PostgreSQL: for a 300,000-account segment the Python one took 2 s of a
# worker's CPU in the job's first seconds, while its calls needed that CPU.
CUT_SQL = """
WITH slice AS (
    SELECT id, account, (row_number() OVER (ORDER BY id) - 1) / 100 AS n
    FROM (SELECT id, account FROM {accounts} WHERE segment_id = %(segment)s AND id > %(after)s
          ORDER BY id LIMIT %(limit)s) AS next_accounts
), made AS (
    INSERT INTO {batches} (job_id, seq, accounts, status, tries, error_info)
    SELECT %(job)s, %(first_seq)s + n, jsonb_agg(account ORDER BY id), %(pending)s, 0, ''
    FROM slice GROUP BY n
    RETURNING 1
)
SELECT (SELECT count(*) FROM slice), (SELECT count(*) FROM made), (SELECT max(id) FROM slice)
"""


def _cut_in_sql(job: Job, limit: int) -> tuple[int, int, int]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(CUT_SQL.format(accounts=quote(SegmentAccount._meta.db_table),
                                      batches=quote(JobBatch._meta.db_table)),
                       {"segment": job.segment_id, "after": job.prepared_through,
                        "limit": limit, "job": job.pk, "first_seq": job.batch_count,
                        "pending": JobBatch.Status.PENDING})
        count, batches, last_pk = cursor.fetchone()
    return count, batches, last_pk or 0


@dataclasses.dataclass(frozen=True)
class Order:
    """One call for a sender thread: plain values, no model instance, nothing to query."""
    batch_id: int
    seq: int
    tries: int  # this try's number, as the claim wrote it: the lease holder's token
    accounts: list[str]


@dataclasses.dataclass(frozen=True)
class Outcome:
    order: Order
    result: object | None  # the client's BatchResult
    error: Exception | None


def _claim(job_id: int, count: int, *, after_seq: int = -1) -> list[Order]:
    """Up to `count` batches: retries whose backoff is over first, then untried ones after
    `after_seq`, then untried ones before it (given back unsent, or skipped by another crew),
    then ones whose worker's lease ran out.

    Retries go first so that a batch that failed is tried again while the job runs: left for
    last, the retries (and their retries, each backing off longer) made up the job's last
    seconds. Starting the untried ones from the caller's last batch matters on PostgreSQL: the
    index keeps the dead versions of finished batches until vacuum, and a scan from seq 0 would
    step over all of them on every claim (retries have a small index of their own)."""
    now = timezone.now()
    with transaction.atomic():
        batches = (JobBatch.objects.select_for_update(skip_locked=True).filter(job_id=job_id)
                   .only("pk", "seq", "tries", "accounts"))
        pending = batches.filter(status=JobBatch.Status.PENDING)
        untried = pending.filter(not_before__isnull=True).order_by("seq")
        claimed = list(pending.filter(not_before__lte=now).order_by("not_before")[:count])
        for more in (untried.filter(seq__gt=after_seq), untried.filter(seq__lte=after_seq),
                     batches.filter(status=JobBatch.Status.RUNNING, lease_until__lt=now)
                     .order_by("seq")):
            if len(claimed) < count:
                claimed += more[:count - len(claimed)]
        if not claimed:
            return []
        batches_transition(
            JobBatch.objects.filter(pk__in=[b.pk for b in claimed]), to=JobBatch.Status.RUNNING,
            tries=F("tries") + 1,
            lease_until=now + _seconds(settings.AUDIENCE_BATCH_LEASE_SECONDS))
    return [Order(b.pk, b.seq, b.tries + 1, b.accounts) for b in claimed]


def _call(client, job: Job, accounts: list[str]):
    api = client.timpush if job.api == "timpush" else client.members
    action = job.action
    if action == Job.Action.ADD_TAGS:
        return api.add_tags({a: job.tags for a in accounts})
    if action == Job.Action.REMOVE_TAGS:
        return api.remove_tags({a: job.tags for a in accounts})
    if action == Job.Action.REMOVE_ALL_TAGS:
        return api.remove_all_tags(accounts)
    if action == Job.Action.ASSIGN_BUCKETS:
        # add_tag takes a tag list per account: each its own bucket, the calls of tagging.
        return api.add_tags({a: [bucket_tag(bucket_of(a))] for a in accounts})
    if action == Job.Action.SET_ATTRS:
        return api.set_attrs({a: job.attrs for a in accounts})
    return api.remove_attrs({a: list(job.attrs) for a in accounts})


def sender_client(app=None):
    """The app's client (the default app's when None), waiting for the app's limiter. The job
    owns retries (each try is a claim, recorded on the batch): its client makes one attempt per
    call."""
    return tencent.client(app).with_retries(0)


def _send(client, job: Job, order: Order) -> Outcome:
    """Make one batch's call; touches no database."""
    try:
        return Outcome(order, _call(client, job, order.accounts), None)
    except Exception as exc:  # recorded by the database thread, which knows what to do with it
        return Outcome(order, None, exc)


def record(job: Job, outcomes: list[Outcome]) -> tuple[int, int]:
    """Record what the calls did, in one transaction; returns (accounts done, accounts failed).

    Only the lease holder records a batch (same try number, still running), so each batch is
    counted once even when a lease ran out and another worker took it over. A retryable failure
    goes back to pending with a backoff; any worker's next claim makes the retry, through the
    limiter like every call."""
    if not outcomes:
        return 0, 0
    now = timezone.now()
    done = failed = 0
    applied: list[str] = []
    failures: list[JobFailure] = []
    with transaction.atomic():
        held = set(JobBatch.objects.select_for_update()
                   .filter(pk__in=[o.order.batch_id for o in outcomes],
                           status=JobBatch.Status.RUNNING).values_list("pk", "tries"))
        succeeded = []
        for outcome in outcomes:
            order, exc = outcome.order, outcome.error
            if (order.batch_id, order.tries) not in held:
                continue
            mine = JobBatch.objects.filter(pk=order.batch_id)
            if exc is None:
                account_errors = {f.account: f for f in outcome.result.failed}
                applied += [a for a in order.accounts if a not in account_errors]
                failures += [JobFailure(job_id=job.pk, account=f.account, code=f.code,
                                        info=f.info)
                             for f in account_errors.values()]
                succeeded.append(order.batch_id)
                done += len(order.accounts) - len(account_errors)
                failed += len(account_errors)
            elif not isinstance(exc, (TencentError, PayloadError)):
                # A fault of ours (a bug, not Tencent's answer): the batch goes back, later.
                log.error("audience job %s batch %s failed unexpectedly", job.pk, order.seq,
                          exc_info=exc)
                batches_transition(mine, to=JobBatch.Status.PENDING, lease_until=None,
                                   not_before=now + _seconds(2))
            else:
                info = getattr(exc, "info", str(exc))
                retry = isinstance(exc, TencentError) and exc.kind in (ErrorKind.RETRYABLE,
                                                                      ErrorKind.RATE)
                if retry and order.tries < settings.AUDIENCE_BATCH_TRIES:
                    batches_transition(
                        mine, to=JobBatch.Status.PENDING, lease_until=None,
                        error_code=exc.code, error_info=info,
                        not_before=now + _seconds(backoff_seconds(
                            order.tries, base=settings.AUDIENCE_RETRY_BASE_SECONDS, cap=30)))
                    continue
                batches_transition(mine, to=JobBatch.Status.FAILED, error_code=exc.code,
                                   error_info=info)
                failures += [JobFailure(job_id=job.pk, account=a, code=exc.code, info=info)
                             for a in order.accounts]
                failed += len(order.accounts)
        batches_transition(JobBatch.objects.filter(pk__in=succeeded), to=JobBatch.Status.DONE,
                           error_code=None, error_info="")
        mirror_apply(action=job.action, accounts=applied, tags=job.tags, attrs=job.attrs,
                     app=job.app)
        JobFailure.objects.bulk_create(failures)
    return done, failed


def _release(orders: list[Order]) -> None:
    """Batches claimed here but never sent go back as they were, their try not spent."""
    for order in orders:
        batches_transition(JobBatch.objects.filter(pk=order.batch_id, tries=order.tries),
                           to=JobBatch.Status.PENDING, lease_until=None, tries=F("tries") - 1)


class Crew:
    """One process's work on one job: a thread that cuts, the task's own thread that claims,
    AUDIENCE_MAX_IN_FLIGHT sender threads that make the calls, and a few that record them.

    Little's law: to make `rate` calls a second when each takes `latency` seconds, `rate ×
    latency` calls must be in flight: 2 at 20 ms from Tencent, 30 at 300 ms. The crew runs
    AUDIENCE_MAX_IN_FLIGHT senders whatever the latency (64: the ceiling up to about 600 ms);
    those not needed wait their turn at the limiter, in a queue local to the process, holding
    no connection and costing a thread's stack each. Each process aims at the whole rate, so
    one worker alone reaches the ceiling; with several, the shared limiter is the gate.

    Only the HTTP work fans out. A cutter thread cuts the segment; the thread that calls `run`
    (the task's own) claims batches onto the orders queue, enough for every sender plus a short
    prefetch. Senders only make HTTP calls and put the outcomes back; the claiming thread
    passes them, grouped, to recorders, which write each group in one transaction. Recorders
    follow the database work, not the calls: one to start, another while groups wait for one,
    up to AUDIENCE_MAX_RECORDERS (recording 100 batches a second is about 20,000 index entries
    of mirror rows, more than one connection keeps up with on a busy database host). So a crew
    holds 2 + AUDIENCE_MAX_RECORDERS database connections at most (the cutter's only while the
    segment is being cut), however many calls are in flight.

    Threads rather than asynchronous HTTP: the one TimClient (requests, its pooled session, the
    UserSig cache) and the limiter (a blocking acquire with a process-local queue) are shared by
    every path; an event loop would need a second client and an async limiter for the same
    calls, and a sender waiting on Tencent costs a thread's stack, not a database connection.
    """

    def __init__(self, job_id: int, stop_at: float):
        self.job_id, self.stop_at = job_id, stop_at
        self.rate = settings.TIM_CALLS_PER_SECOND  # the job's app's, once run() has read it
        self.size = max(1, settings.AUDIENCE_MAX_IN_FLIGHT)  # sender threads
        self.senders: list[threading.Thread] = []
        self.recorders: list[threading.Thread] = []
        self.orders: queue.SimpleQueue[Order | None] = queue.SimpleQueue()
        self.outcomes: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.groups: queue.SimpleQueue[list[Outcome] | None] = queue.SimpleQueue()
        self.recorded: queue.SimpleQueue[tuple[int, int, int]] = queue.SimpleQueue()
        self.out = 0  # batches claimed here and not yet recorded or released
        self.cursor = -1
        # Counts not yet added to the job's row: one UPDATE per tick, not one per batch.
        self.unflushed = {"done": 0, "failed": 0, "calls": 0}

    def flush(self) -> None:
        counts, self.unflushed = self.unflushed, dict.fromkeys(self.unflushed, 0)
        if counts["calls"]:  # once the job is finished, its counts are exact from the record
            Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
                heartbeat_at=timezone.now(), **{k: F(k) + v for k, v in counts.items()})

    def _sender(self) -> None:
        """Takes orders until told to stop. Never touches the database."""
        while (order := self.orders.get()) is not None:
            self.outcomes.put(_send(self.client, self.job, order))

    def _add_recorder(self) -> None:
        recorder = threading.Thread(target=self._recorder, daemon=True,
                                    name=f"job{self.job_id}-recorder{len(self.recorders)}")
        self.recorders.append(recorder)
        recorder.start()

    def _recorder(self) -> None:
        """Records groups of outcomes until told to stop, on a connection of its own."""
        try:
            while (group := self.groups.get()) is not None:
                done = failed = 0
                try:
                    done, failed = record(self.job, group)
                except Exception:  # e.g. a dropped connection: the leases run out, and the
                    log.exception("audience job %s: answers not recorded", self.job_id)
                    connection.close()  # batches are claimed again, here or elsewhere
                self.recorded.put((len(group), done, failed))
        finally:
            connection.close()

    def _hand_out(self) -> bool:
        """Claim batches to keep every sender busy and a short prefetch; True if any."""
        wanted = self.size + math.ceil(self.rate * PREFETCH_SECONDS) - self.out
        if wanted <= 0:
            return True
        orders = _claim(self.job_id, wanted, after_seq=self.cursor)
        for order in orders:
            self.orders.put(order)
            self.cursor = max(self.cursor, order.seq)
        self.out += len(orders)
        return bool(orders)

    def _pass_on(self, wait: float = 0.0) -> None:
        """Hand the answers that came back to the recorders, as one group."""
        found = []
        try:
            found.append(self.outcomes.get(timeout=wait) if wait > 0 else
                         self.outcomes.get_nowait())
            while True:
                found.append(self.outcomes.get_nowait())
        except queue.Empty:
            pass
        if found:
            self.groups.put(found)
        self._take_recorded()

    def _take_recorded(self) -> None:
        try:
            while True:
                calls, done, failed = self.recorded.get_nowait()
                self.out -= calls
                for key, value in (("done", done), ("failed", failed), ("calls", calls)):
                    self.unflushed[key] += value
        except queue.Empty:
            pass

    def run(self) -> None:
        """Hand out batches and pass their answers on until the job is finished here,
        cancelled, or out of time, while a cutter thread cuts the segment."""
        self.job = Job.objects.select_related("app").get(pk=self.job_id)
        self.client = sender_client(self.job.app)
        self.rate = app_connection(self.job.app).calls_per_second
        self.senders = [threading.Thread(target=self._sender, daemon=True,
                                         name=f"job{self.job_id}-sender{i}")
                        for i in range(self.size)]
        for sender in self.senders:
            sender.start()
        self._add_recorder()
        self.prepared, self.stopping = threading.Event(), threading.Event()
        self.cutter = threading.Thread(target=self._cutter, daemon=True,
                                       name=f"job{self.job_id}-cutter")
        self.cutter.start()
        next_check = next_claim = 0.0
        try:
            while (now := time.monotonic()) < self.stop_at:
                prepared = self.prepared.is_set()
                if not prepared and not self.cutter.is_alive():  # the cutter failed: cut here
                    prepared = job_cut_some(self.job_id)
                self._pass_on()
                if now >= next_check:
                    self.flush()
                    if not job_is_running(self.job_id):  # cancelled: stop within a tick
                        break
                    if self.groups.qsize() > 1 and \
                            len(self.recorders) < settings.AUDIENCE_MAX_RECORDERS:
                        self._add_recorder()  # answers wait: the database work needs help
                    next_check = now + CREW_CHECK_SECONDS
                if now >= next_claim and not self._hand_out():
                    # Nothing to take now: not cut yet, in flight elsewhere, or backing off.
                    if prepared and self.out == 0 and _all_batches_finished(self.job_id):
                        break
                    next_claim = now + (IDLE_POLL_SECONDS if prepared else LOOP_SECONDS)
                # Let answers gather: one transaction records several.
                self._pass_on(LOOP_SECONDS - (time.monotonic() - now))
        finally:
            self.stopping.set()
            self._wind_down()
            self.cutter.join()
            log.info("audience job %s: %d senders, %d recorders here", self.job_id, self.size,
                     len(self.recorders))

    def _cutter(self) -> None:
        """Cuts the segment a slice at a time on a connection of its own, so that claiming and
        recording never wait for a slice (with two crews, for the other crew's slice too).
        Past the first slice it waits for the crew's first claim: on SQLite, cutting holds the
        write lock that claiming needs, and the first calls came 1.4-2.0 s after queueing."""
        try:
            while not self.stopping.is_set():
                if self.cursor < 0:  # no claim yet: is there a first slice to claim from?
                    job = Job.objects.values("batch_count", "prepared").get(pk=self.job_id)
                    if job["batch_count"] and not job["prepared"]:
                        self.stopping.wait(CUT_POLL_SECONDS)
                        continue
                if job_cut_some(self.job_id):
                    self.prepared.set()
                    return
                # A breath between slices: on SQLite the claims and the records need the write
                # lock the cut holds, and two cutters back to back kept them out for seconds.
                self.stopping.wait(LOOP_SECONDS)
        except Exception:
            log.exception("audience job %s: cutting failed", self.job_id)
        finally:
            connection.close()

    def _wind_down(self) -> None:
        """Unsent batches go back; calls already made are waited for and recorded."""
        unsent = self._take_unsent()
        for _ in self.senders:
            self.orders.put(None)
        try:
            _release(unsent)
            self.out -= len(unsent)
        finally:
            while self._senders_with_answers_to_come():
                self._pass_on(wait=0.1)
            self._pass_on()
            for _ in self.recorders:
                self.groups.put(None)
            for recorder in self.recorders:
                recorder.join()
            self._take_recorded()
            self.flush()

    def _senders_with_answers_to_come(self) -> bool:
        return any(sender.is_alive() for sender in self.senders)

    def _take_unsent(self) -> list[Order]:
        unsent = []
        try:
            while True:
                unsent.append(self.orders.get_nowait())
        except queue.Empty:
            return [o for o in unsent if o is not None]


def _all_batches_finished(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, prepared=True).exists() and not \
        JobBatch.objects.filter(job_id=job_id).exclude(
            status__in=[JobBatch.Status.DONE, JobBatch.Status.FAILED]).exists()


def job_run(job_id: int, *, run_seconds: float = 3000) -> Crew | None:
    """Work on a job from this process until it is finished, stopped, or `run_seconds` pass."""
    now = timezone.now()
    # A job on a segment still importing waits: the import starts it when done.
    job_transition(job_id, to=Job.Status.RUNNING, where=Q(segment__status=Segment.Status.READY),
                   started_at=now, heartbeat_at=now)
    if Job.objects.get(pk=job_id).status != Job.Status.RUNNING:
        return None
    crew = Crew(job_id, time.monotonic() + run_seconds)
    crew.run()
    job_finish_if_complete(job_id)
    return crew


def job_is_running(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).exists()


def job_finish_if_complete(job_id: int) -> None:
    if not _all_batches_finished(job_id):
        return
    # Exact counts from the record: a worker that died may not have added its last ones, and
    # a crew still winding down adds none after this (see Crew.flush). Every try was one call.
    job = Job.objects.get(pk=job_id)
    failed = JobFailure.objects.filter(job_id=job_id).count()
    calls = JobBatch.objects.filter(job_id=job_id).aggregate(calls=Sum("tries"))["calls"] or 0
    status = Job.Status.FAILED if job.total and failed == job.total else Job.Status.DONE
    if job_transition(job_id, to=status, from_=[Job.Status.RUNNING], finished_at=timezone.now(),
                      failed=failed, done=job.total - failed, calls=calls):
        # Only the call that made the move: two crews finishing the job start one bucket job.
        bucket_job_after(job)


def stalled_jobs(*, silent_for: float = 30.0) -> list[int]:
    """Jobs whose every worker died (no progress for a while), and queued jobs no worker took
    (their task messages lost, e.g. with a restarted Redis), marked as taken in hand: the
    caller hands them to new workers. A queued job is handed out again at most once per
    `silent_for`: one still waiting for a free worker otherwise gained two more tasks at every
    sweep, and all of them joined it once it started."""
    cutoff = timezone.now() - _seconds(silent_for)
    stalled = list(Job.objects.filter(
        Q(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff) |
        (Q(status=Job.Status.QUEUED, created_at__lt=cutoff, segment__status=Segment.Status.READY)
         & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))))
        .values_list("pk", flat=True))
    for job_id in stalled:
        Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
    return stalled
