"""From an accepted callback to the counters.

The receiver (views.tencent_callback) checks the request and answers Tencent; the events are
counted right after the answer has gone out (when the response closes, in the same process):
de-duplicated, then added to the per task/vendor/stage counters in one upsert.

Why no durable inbox between the two: a stored batch costs two more commits per request, and
the callback counters are not the only record: the poller's statistics snapshots (Tencent's
own count) back every figure, and the report shows the larger of the two. A process killed in
the few milliseconds between answer and count loses at most that one batch from the live
counters until the next poll; a graceful stop (gunicorn's SIGTERM) finishes it.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from pushclient.callbacks import Event

from . import dedupe
from .models import DeliveryCount

log = logging.getLogger(__name__)


def count_events(*, events: list[Event]) -> int:
    """Count the events not seen before; returns how many were new."""
    claimed: list[bytes] = []
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The counters are backed by the poller's snapshots: not waiting for the WAL
                # flush halves the time a batch takes, and a database crash can cost at most
                # the last moments of live counts, never consistency.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            fresh, claimed = dedupe.claim_new(events)
            _add_to_counters(fresh)
            return len(fresh)
    except Exception:
        dedupe.release(claimed)  # Redis keys are outside the transaction: a retry counts them
        raise


def _add_to_counters(events: list[Event]) -> None:
    """One upsert for the whole batch: each counter row gains what the batch adds to it. Rows
    go in one order, so concurrent batches on PostgreSQL wait for each other, never deadlock."""
    if not events:
        return
    totals: Counter = Counter()
    words: dict[tuple, tuple[str, str]] = {}
    for e in events:
        kind = (e.task_id, e.platform, e.stage, e.event_type, e.err_code)
        totals[kind] += 1
        words.setdefault(kind, (e.data_id, e.err_info[:256]))
    now = timezone.now()
    rows = [(kind[0], words[kind][0], *kind[1:], words[kind][1], n, now)
            for kind, n in sorted(totals.items())]
    table = DeliveryCount._meta.db_table
    marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (task_id, data_id, platform, stage, event_type, err_code, "
            f"err_info, count, updated_at) VALUES {marks} "
            "ON CONFLICT (task_id, platform, stage, event_type, err_code) DO UPDATE SET "
            f"count = {table}.count + excluded.count, updated_at = excluded.updated_at",
            [value for row in rows for value in row])
