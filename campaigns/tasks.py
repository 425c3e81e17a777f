"""Celery tasks: thin doors into the dispatcher."""

from celery import shared_task

from . import dispatch, recurring


@shared_task(name="campaigns.tasks.dispatch_due_campaigns", acks_late=False)
def dispatch_due_campaigns(share: int = 0) -> int:
    # acks_late off: a redelivered tick after a crash is useless, the next tick does its work.
    return dispatch.dispatch_due_campaigns(share)


@shared_task(name="campaigns.tasks.book_recurring_ahead")
def book_recurring_ahead() -> int:
    return recurring.series_book_all_ahead()
