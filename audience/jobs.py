"""Running a bulk job: its accounts become batches of at most 100, which worker threads on any
number of hosts claim, send under the shared limiter, and mark done. A done batch is never sent
again; a batch whose worker died is claimed again when its lease runs out.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import tencent
from core.limiter import waited_seconds
from pushclient import PayloadError, TencentError, backoff_seconds, explain
from pushclient.batching import chunks
from pushclient.errors import ErrorKind

from .models import Job, JobBatch, JobFailure, Segment, SegmentAccount
from .mirror import mirror_apply

log = logging.getLogger(__name__)
BATCHES_PER_CUT = 50  # 5,000 accounts a transaction: the first calls need not wait for the rest
IDLE_POLL_SECONDS = 0.2
CREW_CHECK_SECONDS = 0.25
# Threads in flight beyond Little's law's minimum, for the slow tail of answers.
HEADROOM = 1.5


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
        rows = list(SegmentAccount.objects.filter(segment_id=job.segment_id,
                                                  pk__gt=job.prepared_through)
                    .order_by("pk").values_list("pk", "account")[:BATCHES_PER_CUT * 100])
        batches = [JobBatch(job_id=job_id, seq=job.batch_count + i, accounts=batch)
                   for i, batch in enumerate(chunks(account for _, account in rows))]
        JobBatch.objects.bulk_create(batches)
        finished = len(rows) < BATCHES_PER_CUT * 100
        Job.objects.filter(pk=job_id).update(
            prepared=finished, batch_count=job.batch_count + len(batches),
            prepared_through=rows[-1][0] if rows else job.prepared_through)
        return finished


def _claim(job_id: int, *, after_seq: int = -1) -> JobBatch | None:
    """The next pending batch after `after_seq`, else the first pending one (a retry), else one
    whose worker's lease ran out. Starting from the caller's last batch matters on PostgreSQL:
    the index keeps the dead versions of finished batches until vacuum, and a scan from seq 0
    would step over all of them on every claim."""
    now = timezone.now()
    ready = Q(not_before__isnull=True) | Q(not_before__lte=now)
    with transaction.atomic():
        batches = JobBatch.objects.select_for_update(skip_locked=True).filter(job_id=job_id)
        pending = batches.filter(ready, status=JobBatch.Status.PENDING).order_by("seq")
        batch = (pending.filter(seq__gt=after_seq).first() or pending.first()
                 or batches.filter(status=JobBatch.Status.RUNNING, lease_until__lt=now)
                 .order_by("seq").first())
        if batch is None:
            return None
        batch.status = JobBatch.Status.RUNNING
        batch.lease_until = now + _seconds(settings.AUDIENCE_BATCH_LEASE_SECONDS)
        batch.tries += 1
        batch.save(update_fields=["status", "lease_until", "tries"])
        return batch


def _call(job: Job, accounts: list[str]):
    # The job owns retries (each try is recorded on the batch): the client makes one attempt.
    client = tencent.client().with_retries(0)
    api = client.timpush if job.api == "timpush" else client.members
    action = job.action
    if action == Job.Action.ADD_TAGS:
        return api.add_tags({a: job.tags for a in accounts})
    if action == Job.Action.REMOVE_TAGS:
        return api.remove_tags({a: job.tags for a in accounts})
    if action == Job.Action.REMOVE_ALL_TAGS:
        return api.remove_all_tags(accounts)
    if action == Job.Action.SET_ATTRS:
        return api.set_attrs({a: job.attrs for a in accounts})
    return api.remove_attrs({a: list(job.attrs) for a in accounts})


def _run_batch(job: Job, batch: JobBatch) -> tuple[int, int]:
    """Make the batch's call and record what it did; returns (accounts done, accounts failed)
    for the crew to add to the job's counts."""
    try:
        result = _call(job, batch.accounts)
    except (TencentError, PayloadError) as exc:
        code = exc.code
        reason = explain(code, getattr(exc, "info", str(exc)))
        retry = isinstance(exc, TencentError) and exc.kind in (ErrorKind.RETRYABLE, ErrorKind.RATE)
        if retry and batch.tries < settings.AUDIENCE_BATCH_TRIES:
            JobBatch.objects.filter(pk=batch.pk).update(
                status=JobBatch.Status.PENDING, lease_until=None, error=reason,
                not_before=timezone.now() + _seconds(backoff_seconds(
                    batch.tries, base=settings.AUDIENCE_RETRY_BASE_SECONDS, cap=30)))
            return 0, 0
        with transaction.atomic():
            if not _settle(batch, JobBatch.Status.FAILED, f"{code}: {reason}"):
                return 0, 0
            JobFailure.objects.bulk_create([JobFailure(job_id=job.pk, account=a, code=code,
                                                       reason=reason) for a in batch.accounts])
        return 0, len(batch.accounts)
    failed = {f.account: f for f in result.failed}
    applied = [a for a in batch.accounts if a not in failed]
    with transaction.atomic():
        if not _settle(batch, JobBatch.Status.DONE, ""):
            return 0, 0
        mirror_apply(action=job.action, accounts=applied, tags=job.tags, attrs=job.attrs)
        JobFailure.objects.bulk_create([
            JobFailure(job_id=job.pk, account=f.account, code=f.code,
                       reason=explain(f.code, f.info) if f.code != 70107 else
                       "The account does not exist in the app (70107)")
            for f in failed.values()])
    return len(applied), len(failed)


def _settle(batch: JobBatch, status: str, error: str) -> bool:
    """Only the lease holder settles a batch, so it is counted once."""
    return bool(JobBatch.objects.filter(pk=batch.pk, status=JobBatch.Status.RUNNING,
                                        tries=batch.tries).update(status=status, error=error))


class Crew:
    """The threads of one process working on one job, as many as the work needs.

    Little's law: to make `rate` calls a second when a batch keeps its thread busy for `busy`
    seconds (the round trip to Tencent plus our database work, not the time the limiter holds it
    back), `rate × busy` batches must be in flight. At 20 ms from Tencent that is a handful; at
    300 ms, 30 or more. The crew measures `busy` as it goes, adds threads when it grows (while
    adding them raises the rate: see `steer`) and lets threads go when it shrinks, within
    AUDIENCE_MAX_IN_FLIGHT. Each process aims at the whole rate, so one worker alone reaches the
    ceiling; with several, the shared limiter is the gate and the surplus threads wait there.
    """

    def __init__(self, job_id: int, stop_at: float):
        self.job_id, self.stop_at = job_id, stop_at
        self.rate = settings.TIM_CALLS_PER_SECOND
        self.cap = max(1, settings.AUDIENCE_MAX_IN_FLIGHT)
        self.busy: float | None = None  # exponentially weighted mean of a batch's busy seconds
        self.threads: list[threading.Thread] = []
        self.working = 0
        self.peak = 0
        # Counts not yet added to the job's row: one UPDATE per tick, not one per batch, so the
        # threads never queue on that row's lock.
        self.unflushed = {"done": 0, "failed": 0, "calls": 0}
        self.calls = 0
        self.history: list[tuple[float, int]] = []  # (when, calls) over the last second
        self.step: tuple[float, float, int] | None = None  # (when, rate before, size before)
        self.ceiling, self.hold_until = self.cap, 0.0
        self.finished = threading.Event()
        self._lock = threading.Lock()

    def wanted(self) -> int:
        if self.busy is None:
            return min(self.cap, settings.AUDIENCE_INITIAL_IN_FLIGHT)
        little = math.ceil(self.rate * self.busy * HEADROOM)
        return max(1, min(self.cap, self.ceiling, little))

    def observe(self, busy: float, done: int, failed: int) -> None:
        with self._lock:
            self.busy = busy if self.busy is None else 0.8 * self.busy + 0.2 * busy
            self.unflushed["done"] += done
            self.unflushed["failed"] += failed
            self.unflushed["calls"] += 1
            self.calls += 1

    def flush(self) -> None:
        with self._lock:
            counts, self.unflushed = self.unflushed, dict.fromkeys(self.unflushed, 0)
        if counts["calls"]:
            Job.objects.filter(pk=self.job_id).update(
                heartbeat_at=timezone.now(), **{k: F(k) + v for k, v in counts.items()})

    def steer(self) -> None:
        """Grow toward Little's law while growing raises the rate. When a step did not (the
        process or the machine is out of CPU, or other workers hold the limiter), hold the crew
        at its size before that step for a while: more threads would only add delay between a
        permit and its call."""
        now = time.monotonic()
        self.history.append((now, self.calls))
        while len(self.history) > 2 and self.history[1][0] <= now - 1.0:
            self.history.pop(0)
        (then, calls_then), rate = self.history[0], 0.0
        if now - then >= 0.5:
            rate = (self.calls - calls_then) / (now - then)
        if self.step and now - self.step[0] >= 1.0:
            _, rate_before, size_before = self.step
            if rate < rate_before * 1.05:
                self.ceiling, self.hold_until = max(size_before, 1), now + 10
            self.step = None
        if now >= self.hold_until:
            self.ceiling = self.cap
        if self.step is None and rate < 0.97 * self.rate and self.wanted() > self.working:
            self.step = (now, rate, self.working)
            self._grow()

    def _grow(self) -> None:
        with self._lock:
            missing = self.wanted() - self.working
            self.working += max(missing, 0)
            self.peak = max(self.peak, self.working)
        for _ in range(missing):
            thread = threading.Thread(target=self._work, daemon=True)
            self.threads.append(thread)
            thread.start()

    def _leave_if_surplus(self) -> bool:
        with self._lock:
            if self.working > self.wanted():
                self.working -= 1
                return True
            return False

    def run(self) -> None:
        """Cut the segment and keep the crew the right size until the job is finished here."""
        try:
            self._grow()
            prepared = False
            while not self.finished.is_set() and time.monotonic() < self.stop_at:
                if not prepared:
                    prepared = job_cut_some(self.job_id)
                else:
                    self.finished.wait(CREW_CHECK_SECONDS)
                self.flush()
                if not job_is_running(self.job_id):  # cancelled: stop within a tick
                    break
                self.steer()
        finally:
            self.finished.set()
            for thread in self.threads:
                thread.join()
            self.flush()
            connection.close()
            log.info("audience job %s: at most %d batches in flight here, %.0f ms busy each",
                     self.job_id, self.peak, (self.busy or 0) * 1000)

    def _work(self) -> None:
        cursor, left = -1, False
        try:
            job = Job.objects.get(pk=self.job_id)
            while not self.finished.is_set() and time.monotonic() < self.stop_at:
                started, waited = time.monotonic(), waited_seconds()
                batch = _claim(self.job_id, after_seq=cursor)
                if batch is None:
                    if _all_batches_finished(self.job_id):
                        self.finished.set()
                        return
                    time.sleep(IDLE_POLL_SECONDS)  # not cut yet, in flight elsewhere, or backing off
                    continue
                cursor = batch.seq
                done = failed = 0
                try:
                    done, failed = _run_batch(job, batch)
                except Exception:  # e.g. a dropped database connection: the batch goes back
                    log.exception("audience job %s batch %s failed unexpectedly", self.job_id,
                                  batch.seq)
                    connection.close()
                    JobBatch.objects.filter(pk=batch.pk, status=JobBatch.Status.RUNNING).update(
                        status=JobBatch.Status.PENDING, lease_until=None,
                        not_before=timezone.now() + _seconds(2))
                self.observe(time.monotonic() - started - (waited_seconds() - waited),
                             done, failed)
                left = self._leave_if_surplus()
                if left:
                    return
        except Exception:  # the crew starts another thread in its place
            log.exception("audience job %s worker thread failed", self.job_id)
        finally:
            if not left:
                with self._lock:
                    self.working -= 1
            connection.close()


def _all_batches_finished(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, prepared=True).exists() and not \
        JobBatch.objects.filter(job_id=job_id).exclude(
            status__in=[JobBatch.Status.DONE, JobBatch.Status.FAILED]).exists()


def job_run(job_id: int, *, run_seconds: float = 3000) -> Crew | None:
    """Work on a job from this process until it is finished, stopped, or `run_seconds` pass."""
    now = timezone.now()
    # A job on a segment still importing waits: the import starts it when done.
    Job.objects.filter(pk=job_id, status=Job.Status.QUEUED,
                       segment__status=Segment.Status.READY).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now)
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
    # Exact counts from the record: a worker that died may not have added its last ones.
    job = Job.objects.get(pk=job_id)
    failed = JobFailure.objects.filter(job_id=job_id).count()
    status = Job.Status.FAILED if job.total and failed == job.total else Job.Status.DONE
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=status, finished_at=timezone.now(), failed=failed, done=job.total - failed)


def stalled_jobs(*, silent_for: float = 30.0) -> list[int]:
    """Jobs whose every worker died (no progress for a while), marked as taken in hand: the
    caller hands them to new workers."""
    cutoff = timezone.now() - _seconds(silent_for)
    stalled = list(Job.objects.filter(
        Q(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff) |
        Q(status=Job.Status.QUEUED, created_at__lt=cutoff, segment__status=Segment.Status.READY))
        .values_list("pk", flat=True))
    for job_id in stalled:
        Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
    return stalled
