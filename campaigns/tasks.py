"""Celery tasks: thin doors into the dispatcher, series and held pushes."""

from celery import shared_task

from . import dispatch, held, recurring


@shared_task(name="campaigns.tasks.dispatch_due_campaigns", acks_late=False)
def dispatch_due_campaigns(share: int = 0) -> int:
    # acks_late off: a redelivered tick after a crash is useless, the next tick does its work.
    return dispatch.dispatch_due_campaigns(share)


@shared_task(name="campaigns.tasks.book_recurring_ahead")
def book_recurring_ahead() -> int:
    return recurring.series_book_all_ahead()


@shared_task(name="campaigns.tasks.release_held_pushes", acks_late=False)
def release_held_pushes() -> int:
    return held.release_held_pushes()
