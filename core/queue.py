"""The job queue (the Celery broker) as a web request meets it.

A request that stores work for a worker checks first that the queue can be reached, and only
then stores the work and queues it once committed. Queueing inside the transaction would let a
worker look for the work before it is committed; queueing after the commit cannot undo the
commit when the queue is down. So with the queue down the request stores nothing and says so
(503). Should the queue go down between the check and the commit, the work is stored and stays
queued: beat hands queued jobs and silent imports to a worker once the queue is back."""

from __future__ import annotations

import logging

import kombu
from celery import current_app
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import Unavailable

log = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0


def queue_reachable() -> bool:
    """Whether the broker the settings name can take a message (also /healthz's broker check):
    Redis answers, or the default run's SQLite file opens. By the URL, not the app's configured
    transport, which could answer for another URL."""
    url = settings.CELERY_BROKER_URL
    default_broker = url.startswith("sqlite:")
    transport = "config.broker:SQLiteTransport" if default_broker else None
    try:
        with kombu.Connection(url, transport=transport,
                              connect_timeout=CHECK_TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
            if default_broker:
                # kombu's SQLAlchemy transport opens the file only when a queue is used.
                broker.default_channel.queue_declare(queue="celery", passive=True)
        return True
    except Exception:  # any failure to connect means unreachable
        return False


def require_queue() -> None:
    """Refuse, before anything is stored, when the job queue cannot be reached."""
    if not queue_reachable():
        raise Unavailable(_("The job queue is not reachable; nothing was stored. Try again in "
                            "a minute."))


def enqueue(task: str, *args) -> None:
    """Queue a task by its name (the caller's module need not import the task's)."""
    current_app.send_task(task, args=args)

