"""Celery tasks for audience jobs: thin doors into audience.jobs."""

from celery import shared_task
from django.conf import settings

from . import jobs, services


@shared_task(name="audience.tasks.run_job")
def run_job(job_id: int) -> None:
    # A long job is a chain of tasks that each end well inside Celery's time limit.
    jobs.job_run(job_id, run_seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT * 0.8)
    if jobs.job_is_running(job_id):
        run_job.delay(job_id)


# A large file's import may take longer than an ordinary task is allowed.
@shared_task(name="audience.tasks.import_segment", soft_time_limit=3500, time_limit=3600)
def import_segment(segment_id: int) -> None:
    services.segment_import_stored(segment_id=segment_id)


@shared_task(name="audience.tasks.resume_stalled_jobs")
def resume_stalled_jobs() -> list[int]:
    """Jobs and imports whose worker died are handed to a new one."""
    services.resume_stalled_imports()
    stalled = jobs.stalled_jobs()
    for job_id in stalled:
        services.job_enqueue(job_id=job_id)
    return stalled
