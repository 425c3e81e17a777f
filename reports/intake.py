"""From an accepted callback to the counters: store the batch, answer, then count it.

The receiver (views.tencent_callback) checks the request and stores its events as one
CallbackBatch row: that single insert is all Tencent waits for. The batch is counted right
after the answer has gone out (`count_batch`, called when the response closes) and deleted in
the same transaction as the counters change, so an event is counted once or, if the process
dies first, left for the sweeper: never lost, never twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import asdict

from django.db import connection, transaction
from django.utils import timezone

from pushclient.callbacks import Event

from . import dedupe
from .models import CallbackBatch, DeliveryCount

log = logging.getLogger(__name__)
PENDING_GRACE = dt.timedelta(seconds=5)  # a batch younger than this is its receiver's to count


def batch_store(*, events: list[Event]) -> CallbackBatch:
    return CallbackBatch.objects.create(received_at=timezone.now(),
                                        events=[asdict(e) for e in events])


def count_batch(*, batch_id: int, events: list[dict] | None = None) -> int:
    """Count a stored batch once; returns how many new events it held. Whoever deletes the row
    counts it, so the receiver and the sweeper never both do."""
    claimed: list[bytes] = []
    try:
        with transaction.atomic():
            if events is None:
                row = CallbackBatch.objects.filter(pk=batch_id).first()
                if row is None:
                    return 0
                events = row.events
            if not CallbackBatch.objects.filter(pk=batch_id).delete()[0]:
                return 0  # counted by someone else
            fresh, claimed = dedupe.claim_new([Event(**e) for e in events])
            _add_to_counters(fresh)
            return len(fresh)
    except Exception:
        dedupe.release(claimed)  # Redis keys are outside the transaction
        raise


def count_pending(*, now: dt.datetime | None = None) -> int:
    """The sweeper: count batches whose receiver died before counting them, and prune keys."""
    now = now or timezone.now()
    counted = 0
    for batch_id in CallbackBatch.objects.filter(
            received_at__lt=now - PENDING_GRACE).order_by("pk").values_list("pk", flat=True)[:500]:
        counted += count_batch(batch_id=batch_id)
    dedupe.prune(now=now)
    return counted


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
    rows = [(*kind[:1], words[kind][0], *kind[1:], words[kind][1], n, now)
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
