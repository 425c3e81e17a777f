"""The Celery app; tasks live in each Django app's tasks.py, but for the default broker's upkeep."""

import fcntl
import os
from logging.config import dictConfig

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "resume-stalled-audience-jobs": {"task": "audience.tasks.resume_stalled_jobs",
                                     "schedule": 10.0, "options": {"expires": 10}},
    "prune-callback-keys": {"task": "reports.tasks.prune_callback_keys",
                            "schedule": 60.0, "options": {"expires": 60}},
    "poll-delivery-reports": {"task": "reports.tasks.poll_delivery_reports",
                              "schedule": 60.0, "options": {"expires": 60}},
    # A/B tests decide when their wait is over; held pushes go once the accounts they leave
    # out are marked: each within 10 s.
    "decide-experiments": {"task": "reports.tasks.decide_experiments",
                           "schedule": 10.0, "options": {"expires": 10}},
    "release-held-pushes": {"task": "campaigns.tasks.release_held_pushes",
                            "schedule": 10.0, "options": {"expires": 10}},
    # Recurring series keep their occurrences booked RECURRING_HORIZON_DAYS ahead.
    "book-recurring-ahead": {"task": "campaigns.tasks.book_recurring_ahead",
                             "schedule": 3600.0, "options": {"expires": 600}},
}
app.autodiscover_tasks()


def default_broker() -> bool:
    """Whether this is the default run's broker (no REDIS_URL): kombu's SQLAlchemy transport on a
    SQLite file (config/broker.py)."""
    return app.conf.broker_url.startswith("sqlite:")


@app.on_after_configure.connect
def dispatch_every_share_every_second(sender, **kwargs):
    """A dispatcher tick a second for each share of the apps (settings.DISPATCHERS)."""
    from django.conf import settings
    for share in range(settings.DISPATCHERS):
        sender.add_periodic_task(1.0, sender.signature(
            "campaigns.tasks.dispatch_due_campaigns", args=(share,)),
            name=f"dispatch-due-campaigns-{share}", expires=5)


@app.on_after_configure.connect
def drop_delivered_messages_every_ten_minutes(sender, **kwargs):
    if default_broker():
        sender.add_periodic_task(600.0, drop_delivered_messages.s(),
                                 name="drop-delivered-messages", expires=600)


def create_queues(broker, lock_path) -> None:
    """Add the queues' rows, one process at a time. kombu's SQLAlchemy transport adds a queue's
    row when a process first uses the queue; two processes adding it at once leave one stopped on
    an IntegrityError (UNIQUE constraint failed: kombu_queue.name), as on `make run`'s first
    start. So each worker and scheduler adds them before it starts, holding a lock on lock_path
    that the others wait for."""
    from django.conf import settings
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for queue in (app.conf.task_default_queue, settings.AUDIENCE_QUEUE):
            broker.default_channel.queue_declare(queue=queue)


@signals.worker_init.connect
@signals.beat_init.connect
def create_queues_before_starting(**kwargs):
    if default_broker():
        from django.conf import settings
        with app.connection_for_write() as broker:
            create_queues(broker, settings.VAR_DIR / "broker.lock")


def drop_delivered(broker) -> None:
    """kombu's SQLAlchemy transport keeps a delivered message's row (marked invisible) for good:
    the broker's file would grow by a row a second (the dispatch tick), and a worker's look for
    work, which reads past them, slow down (300 ms at 300,000 rows, holding the write lock).
    Dropping them loses nothing: a message given back unacknowledged is written anew."""
    channel = broker.default_channel
    channel.session.query(channel.message_cls).filter(
        channel.message_cls.visible.is_(False)).delete()
    channel.session.commit()


@app.task(name="config.celery.drop_delivered_messages")
def drop_delivered_messages():
    with app.connection_for_write() as broker:
        drop_delivered(broker)


@signals.setup_logging.connect
def use_django_logging(**kwargs):
    """Workers and beat log through the settings' LOGGING (LOG_LEVEL, LOG_FORMAT=json) instead
    of Celery's own format, so every process of the product writes lines of one shape."""
    from django.conf import settings
    dictConfig(settings.LOGGING)
