"""The Celery app; tasks live in each Django app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "dispatch-due-campaigns": {"task": "campaigns.tasks.dispatch_due_campaigns",
                               "schedule": 1.0, "options": {"expires": 5}},
    "resume-stalled-audience-jobs": {"task": "audience.tasks.resume_stalled_jobs",
                                     "schedule": 10.0, "options": {"expires": 10}},
}
app.autodiscover_tasks()
