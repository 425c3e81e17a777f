"""Celery tasks: thin doors into the report poller and the pruning of de-duplication keys."""

from celery import shared_task
from django.utils import timezone

from . import dedupe, experiments, poller


@shared_task(name="reports.tasks.prune_callback_keys", acks_late=False)
def prune_callback_keys() -> int:
    return dedupe.prune(now=timezone.now())


@shared_task(name="reports.tasks.poll_delivery_reports", acks_late=False)
def poll_delivery_reports() -> int:
    return poller.poll_delivery_reports()


@shared_task(name="reports.tasks.decide_experiments", acks_late=False)
def decide_experiments() -> int:
    return experiments.decide_due_experiments()
