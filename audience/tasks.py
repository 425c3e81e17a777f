"""Celery tasks for audience jobs: thin doors into audience.jobs."""

from celery import shared_task

from . import jobs


@shared_task(name="audience.tasks.run_job")
def run_job(job_id: int) -> None:
    jobs.job_run(job_id)


@shared_task(name="audience.tasks.resume_stalled_jobs")
def resume_stalled_jobs() -> list[int]:
    return jobs.resume_stalled_jobs()
