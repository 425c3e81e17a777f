"""Running a bulk job: its accounts become batches of at most 100, which worker threads on any
number of hosts claim, send under the shared limiter, and mark done. A done batch is never sent
again; a batch whose worker died is claimed again when its lease runs out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import tencent
from pushclient import PayloadError, TencentError, explain
from pushclient.batching import chunks
from pushclient.errors import ErrorKind

from .models import Job, JobBatch, JobFailure, SegmentAccount
from .services import mirror_apply

log = logging.getLogger(__name__)
BATCHES_PER_INSERT = 200
IDLE_POLL_SECONDS = 0.2
STATUS_CHECK_SECONDS = 1.0


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


def job_prepare(job: Job) -> None:
    """Cut the segment into batches once; a second caller waits for the first to finish."""
    if job.prepared:
        return
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.prepared:
            return
        accounts = (SegmentAccount.objects.filter(segment_id=job.segment_id).order_by("pk")
                    .values_list("account", flat=True).iterator(chunk_size=5000))
        pending: list[JobBatch] = []
        for seq, batch in enumerate(chunks(accounts)):
            pending.append(JobBatch(job_id=job.pk, seq=seq, accounts=batch))
            if len(pending) >= BATCHES_PER_INSERT:
                JobBatch.objects.bulk_create(pending)
                pending = []
        JobBatch.objects.bulk_create(pending)
        Job.objects.filter(pk=job.pk).update(prepared=True)


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
    api = tencent.audience_client().timpush if job.api == "timpush" else \
        tencent.audience_client().members
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


def _run_batch(job: Job, batch: JobBatch) -> None:
    try:
        result = _call(job, batch.accounts)
    except (TencentError, PayloadError) as exc:
        code = exc.code
        reason = explain(code, getattr(exc, "info", str(exc)))
        retry = isinstance(exc, TencentError) and exc.kind in (ErrorKind.RETRYABLE, ErrorKind.RATE)
        if retry and batch.tries < settings.AUDIENCE_BATCH_TRIES:
            JobBatch.objects.filter(pk=batch.pk).update(
                status=JobBatch.Status.PENDING, lease_until=None, error=reason,
                not_before=timezone.now() + _seconds(min(30, 2 ** batch.tries)))
            return
        with transaction.atomic():
            JobBatch.objects.filter(pk=batch.pk).update(status=JobBatch.Status.FAILED,
                                                        error=f"{code}: {reason}")
            JobFailure.objects.bulk_create([JobFailure(job_id=job.pk, account=a, code=code,
                                                       reason=reason) for a in batch.accounts])
            Job.objects.filter(pk=job.pk).update(failed=F("failed") + len(batch.accounts),
                                                 calls=F("calls") + 1,
                                                 heartbeat_at=timezone.now())
        return
    failed = {f.account: f for f in result.failed}
    applied = [a for a in batch.accounts if a not in failed]
    with transaction.atomic():
        mirror_apply(action=job.action, accounts=applied, tags=job.tags, attrs=job.attrs)
        if failed:
            JobFailure.objects.bulk_create([
                JobFailure(job_id=job.pk, account=f.account, code=f.code,
                           reason=explain(f.code, f.info) if f.code != 70107 else
                           "The account does not exist in the app (70107)")
                for f in failed.values()])
        # Only the lease holder marks it done, so a batch is counted once.
        if JobBatch.objects.filter(pk=batch.pk, status=JobBatch.Status.RUNNING,
                                   tries=batch.tries).update(status=JobBatch.Status.DONE,
                                                             error=""):
            Job.objects.filter(pk=job.pk).update(done=F("done") + len(applied),
                                                 failed=F("failed") + len(failed),
                                                 calls=F("calls") + 1,
                                                 heartbeat_at=timezone.now())


def _worker_loop(job_id: int, stop_at: float) -> None:
    cursor, next_status_check = -1, 0.0
    try:
        job = Job.objects.get(pk=job_id)
        while time.monotonic() < stop_at:
            if time.monotonic() >= next_status_check:  # a cancel takes effect within a second
                if Job.objects.filter(pk=job_id).values_list("status", flat=True).first() != \
                        Job.Status.RUNNING:
                    return
                next_status_check = time.monotonic() + STATUS_CHECK_SECONDS
            batch = _claim(job_id, after_seq=cursor)
            if batch is None:
                if not JobBatch.objects.filter(job_id=job_id).exclude(
                        status__in=[JobBatch.Status.DONE, JobBatch.Status.FAILED]).exists():
                    return
                time.sleep(IDLE_POLL_SECONDS)  # the rest are in flight elsewhere or backing off
                continue
            cursor = batch.seq
            try:
                _run_batch(job, batch)
            except Exception:  # e.g. a dropped database connection: the batch goes back
                log.exception("audience job %s batch %s failed unexpectedly", job_id, batch.seq)
                connection.close()
                JobBatch.objects.filter(pk=batch.pk, status=JobBatch.Status.RUNNING).update(
                    status=JobBatch.Status.PENDING, lease_until=None,
                    not_before=timezone.now() + _seconds(2))
    except Exception:
        log.exception("audience job %s worker thread failed", job_id)
    finally:
        connection.close()


def job_run(job_id: int, *, run_seconds: float = 3000) -> None:
    """Work on a job from this process with several threads, until it is finished or stopped."""
    now = timezone.now()
    Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now)
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.RUNNING:
        return
    job_prepare(job)
    stop_at = time.monotonic() + run_seconds
    threads = [threading.Thread(target=_worker_loop, args=(job_id, stop_at), daemon=True)
               for _ in range(settings.AUDIENCE_THREADS_PER_TASK)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job_finish_if_complete(job_id)


def job_finish_if_complete(job_id: int) -> None:
    if JobBatch.objects.filter(job_id=job_id).exclude(
            status__in=[JobBatch.Status.DONE, JobBatch.Status.FAILED]).exists():
        return
    job = Job.objects.get(pk=job_id)
    status = Job.Status.FAILED if job.total and job.failed == job.total else Job.Status.DONE
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=status, finished_at=timezone.now())


def resume_stalled_jobs(*, silent_for: float = 30.0) -> list[int]:
    """Jobs whose every worker died (no progress for a while) are handed to new workers."""
    from .services import job_enqueue
    cutoff = timezone.now() - _seconds(silent_for)
    stalled = list(Job.objects.filter(
        Q(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff) |
        Q(status=Job.Status.QUEUED, created_at__lt=cutoff)).values_list("pk", flat=True))
    for job_id in stalled:
        Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
        job_enqueue(job_id=job_id)
    return stalled
