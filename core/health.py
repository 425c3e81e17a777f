"""Health checks: /healthz for load balancers and people, `manage.py health` for compose.

Each check answers ok or down and never says why in words that could hold a credential
(a broker URL with its password, say). The site's own checks (database, broker) are here;
an app adds what only it can check in its AppConfig.ready (campaigns: the scheduler's ticks).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import JsonResponse

from .queue import queue_reachable

# A check answers whether it passes and what else /healthz may show (never a secret).
Check = Callable[[], tuple[bool, dict]]
_checks: dict[str, Check] = {}


def add_check(name: str, check: Check) -> None:
    _checks[name] = check


def check_names() -> list[str]:
    return list(_checks)


def database_ok() -> tuple[bool, dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, {}


def broker_ok() -> tuple[bool, dict]:
    return queue_reachable(), {}  # the check a request makes before it queues work


def health_state() -> dict:
    state, details = {}, {}
    for name, check in _checks.items():
        try:
            ok, extra = check()
        except Exception:  # any failure means down
            ok, extra = False, {}
        state[name] = "ok" if ok else "down"
        details.update(extra)
    healthy = all(value == "ok" for value in state.values())
    return {"status": "ok" if healthy else "down", **state, **details}


def healthz(request):
    """200 when every check passes; 503 naming what does not."""
    state = health_state()
    return JsonResponse(state, status=200 if state["status"] == "ok" else 503)
