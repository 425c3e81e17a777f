"""The Celery app; tasks live in each Django app's tasks.py."""

import os
from logging.config import dictConfig

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "dispatch-due-campaigns": {"task": "campaigns.tasks.dispatch_due_campaigns",
                               "schedule": 1.0, "options": {"expires": 5}},
    "resume-stalled-audience-jobs": {"task": "audience.tasks.resume_stalled_jobs",
                                     "schedule": 10.0, "options": {"expires": 10}},
    "prune-callback-keys": {"task": "reports.tasks.prune_callback_keys",
                            "schedule": 60.0, "options": {"expires": 60}},
    "poll-delivery-reports": {"task": "reports.tasks.poll_delivery_reports",
                              "schedule": 60.0, "options": {"expires": 60}},
    # Recurring series keep their occurrences booked RECURRING_HORIZON_DAYS ahead.
    "book-recurring-ahead": {"task": "campaigns.tasks.book_recurring_ahead",
                             "schedule": 3600.0, "options": {"expires": 600}},
}
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs):
    """Workers and beat log through the settings' LOGGING (LOG_LEVEL, LOG_FORMAT=json) instead
    of Celery's own format, so every process of the product writes lines of one shape."""
    from django.conf import settings
    dictConfig(settings.LOGGING)
