"""Health checks: /healthz for load balancers and people, `manage.py health` for compose.

Each check answers ok or down and never says why in words that could hold a credential
(a broker URL with its password, say).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.http import JsonResponse

from core.queue import queue_reachable

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
    return queue_reachable()  # the check a request makes before it queues work


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
