"""Health checks: /healthz for load balancers and people, `manage.py health` for compose.

Each check answers ok or down and never says why in words that could hold a credential
(a broker URL with its password, say).
"""

from __future__ import annotations

import datetime as dt
import os

import kombu
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from .dispatch import db_now
from .models import PushGate

# Beat starts a dispatcher tick every second and a running dispatcher renews it every poll:
# a minute of silence means no beat or no worker is taking the ticks.
SCHEDULER_STALE_AFTER = dt.timedelta(minutes=1)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means down
        return False


def broker_ok() -> bool:
    """The broker the settings name, reached as a worker would: Redis answers, or the default
    run's filesystem broker has a queue folder this process can write to."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"]
        return os.path.isdir(folder) and os.access(folder, os.W_OK)
    try:
        with kombu.Connection(url, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def scheduler_last_tick() -> tuple[dt.datetime | None, dt.datetime | None]:
    """The last tick and the database's time now: ticks are written on the database's clock,
    so they are compared with it, not with this host's."""
    try:
        return (PushGate.objects.filter(pk=1).values_list("last_tick_at", flat=True).first(),
                db_now())
    except Exception:
        return None, None


def health_state() -> dict:
    last_tick, now = scheduler_last_tick()
    state = {
        "database": "ok" if database_ok() else "down",
        "broker": "ok" if broker_ok() else "down",
        "scheduler": "ok" if last_tick and now - last_tick <= SCHEDULER_STALE_AFTER
        else "down",
    }
    healthy = all(v == "ok" for v in state.values())
    return {"status": "ok" if healthy else "down", **state,
            "scheduler_last_tick": last_tick.isoformat() if last_tick else None}


def healthz(request):
    """200 when the database, the broker and the scheduler answer; 503 naming what does not."""
    state = health_state()
    return JsonResponse(state, status=200 if state["status"] == "ok" else 503)
