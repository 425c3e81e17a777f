"""Celery tasks: thin doors into the dispatcher."""

from celery import shared_task

from . import dispatch


@shared_task(name="campaigns.tasks.dispatch_due_campaigns", acks_late=False)
def dispatch_due_campaigns() -> int:
    # acks_late off: a redelivered tick after a crash is useless, the next tick does its work.
    return dispatch.dispatch_due_campaigns()
