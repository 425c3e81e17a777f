"""Pages and the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from config.celery import app as celery_app


def healthz(request):
    """200 when the database and the broker answer, 503 naming the one that does not."""
    state = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        state["database"] = "ok"
    except Exception:  # any failure means down; the detail may hold credentials
        state["database"] = "down"
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        state["broker"] = "ok"
    except Exception:
        state["broker"] = "down"
    healthy = all(v == "ok" for v in state.values())
    return JsonResponse({"status": "ok" if healthy else "down", **state},
                        status=200 if healthy else 503)
