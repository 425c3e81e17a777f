"""Celery tasks for audience jobs: thin doors into audience.jobs."""

from celery import shared_task
from django.conf import settings

from . import jobs


@shared_task(name="audience.tasks.run_job")
def run_job(job_id: int) -> None:
    # A long job is a chain of tasks that each end well inside Celery's time limit.
    jobs.job_run(job_id, run_seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT * 0.8)
    if jobs.job_is_running(job_id):
        run_job.delay(job_id)


@shared_task(name="audience.tasks.resume_stalled_jobs")
def resume_stalled_jobs() -> list[int]:
    return jobs.resume_stalled_jobs()
