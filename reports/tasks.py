"""Celery tasks: thin doors into the callback sweeper and the report poller."""

from celery import shared_task

from . import intake, poller


@shared_task(name="reports.tasks.count_pending_callbacks", acks_late=False)
def count_pending_callbacks() -> int:
    return intake.count_pending()


@shared_task(name="reports.tasks.poll_delivery_reports", acks_late=False)
def poll_delivery_reports() -> int:
    return poller.poll_delivery_reports()
