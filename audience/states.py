"""The audience's state machines: every status change of a bulk job, of one of its batches and
of a segment goes through the functions here, which know the allowed moves (core.states).

A job's and a segment's moves are few (a handful in a job's life) and each is audited. A
batch's are the job's hot path (up to 100 a second): each is one conditional UPDATE of many
batches, with no audit event; the batch keeps its tries and last error, and the job's own
moves are in the trail."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.states import StateMachine

from .models import Job, JobBatch, Segment

JobStatus, BatchStatus, SegmentStatus = Job.Status, JobBatch.Status, Segment.Status

# Each status, and the statuses it may be reached from. A job is created queued.
JOB_ALLOWED_FROM: dict[str, frozenset[str]] = {
    JobStatus.RUNNING: frozenset({JobStatus.QUEUED}),  # a worker took it
    JobStatus.DONE: frozenset({JobStatus.RUNNING}),  # every batch done or failed
    # every account failed, or its segment's file could not be imported
    JobStatus.FAILED: frozenset({JobStatus.RUNNING, JobStatus.QUEUED}),
    JobStatus.CANCELLED: frozenset({JobStatus.QUEUED, JobStatus.RUNNING}),  # by a person
    JobStatus.QUEUED: frozenset({JobStatus.CANCELLED}),  # resumed by a person
}
# A batch is created pending.
BATCH_ALLOWED_FROM: dict[str, frozenset[str]] = {
    # claimed; a running one whose worker's lease ran out is claimed again
    BatchStatus.RUNNING: frozenset({BatchStatus.PENDING, BatchStatus.RUNNING}),
    # handed back unsent, or to be tried again
    BatchStatus.PENDING: frozenset({BatchStatus.RUNNING}),
    BatchStatus.DONE: frozenset({BatchStatus.RUNNING}),
    BatchStatus.FAILED: frozenset({BatchStatus.RUNNING}),
}
# A segment is created ready (imported in the request) or importing (by a worker).
SEGMENT_ALLOWED_FROM: dict[str, frozenset[str]] = {
    SegmentStatus.READY: frozenset({SegmentStatus.IMPORTING}),
    SegmentStatus.FAILED: frozenset({SegmentStatus.IMPORTING}),
}

JOB = StateMachine(Job, JOB_ALLOWED_FROM, verb="job.status",
                   verbs={JobStatus.CANCELLED: "job.cancelled", JobStatus.QUEUED: "job.resumed"})
BATCH = StateMachine(JobBatch, BATCH_ALLOWED_FROM, verb="")
SEGMENT = StateMachine(Segment, SEGMENT_ALLOWED_FROM, verb="segment.status")


def job_transition(job: Job | int, *, to: str, actor=None, from_=None, where: Q | None = None,
                   **changes) -> bool:
    """Move one job (or its id) to `to`, audited; True if this call made the move."""
    return JOB.move(job, to=to, actor=actor, from_=from_, where=where, **changes)


def batches_transition(batches: QuerySet, *, to: str, from_=None, **changes) -> int:
    """Move the batches of `batches` that may move to `to`, in one UPDATE; how many moved."""
    return BATCH.move_all(batches, to=to, from_=from_, **changes)


def segment_transition(segment: Segment | int, *, to: str, actor=None, **changes) -> bool:
    """Move one segment to `to`, audited; True if this call made the move."""
    return SEGMENT.move(segment, to=to, actor=actor, **changes)
