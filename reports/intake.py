"""From an accepted callback to the counters, before Tencent hears OK.

The receiver (views.tencent_callback) checks the request, then counts its events inside the
request for the app its SdkAppid names: de-duplicated (reports.dedupe), then added to the app's
per task/vendor/stage counters in one upsert, committed (synchronous commit: an OK must survive a database crash). Only then is
Tencent answered OK. Tencent posts again only a callback that failed, so when the events cannot
be stored (Redis or the database down) the receiver answers FAIL and nothing is counted; the
events come again with Tencent's retry.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from core.models import App
from pushclient.callbacks import Event

from . import dedupe
from .models import DeliveryCount

log = logging.getLogger(__name__)


def count_events(*, app: App, events: list[Event]) -> int:
    """Count the app's events not seen before and commit; returns how many were new. Raises
    when they could not be stored, having released their claims so that a retry counts them."""
    owner = dedupe.new_owner()
    try:
        with transaction.atomic():
            fresh = dedupe.claim_new(events, app=app, owner=owner)
            _add_to_counters(app, fresh)
    except BaseException:
        try:
            dedupe.release(events, app=app, owner=owner)
        except Exception as exc:  # Redis down too: any claims stay until their TTL
            log.warning("could not release the claims of %d callback events that were not "
                        "counted (%r): if any reached Redis, Tencent's retries of those events "
                        "are refused until the keys expire", len(events), exc)
        raise
    try:
        dedupe.confirm(events, app=app, owner=owner)
    except Exception as exc:  # counted all the same; a concurrent retry is refused, not recounted
        log.warning("%d callback events were counted but their keys stay claimed until they "
                    "expire (%r)", len(events), exc)
    return len(fresh)


def _add_to_counters(app: App, events: list[Event]) -> None:
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
    rows = [(app.pk, kind[0], words[kind][0], *kind[1:], words[kind][1], n, now)
            for kind, n in sorted(totals.items())]
    table = DeliveryCount._meta.db_table
    marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (app_id, task_id, data_id, platform, stage, event_type, "
            f"err_code, err_info, count, updated_at) VALUES {marks} "
            "ON CONFLICT (app_id, task_id, platform, stage, event_type, err_code) DO UPDATE SET "
            f"count = {table}.count + excluded.count, updated_at = excluded.updated_at",
            [value for row in rows for value in row])
