"""Which callback events are new: Tencent retries a callback it got no answer to, so the same
event (TaskId, To_Account, PushPlatform, PushStage, EventType) can arrive more than once.

Keys live only as long as Tencent may retry (TIM_CALLBACK_DEDUPE_SECONDS): in Redis with a TTL
when there is one (one pipelined round trip per request, memory bounded by the TTL), else in
the SeenEvent table, pruned by the sweeper. Either way a million-phone campaign leaves no
permanent row per phone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache

import redis
from django.conf import settings
from django.db import connection

from pushclient.callbacks import Event

from .models import SeenEvent

REDIS_PREFIX = b"cb:"
# Claims every key of a request in one command (a pipeline of 100 SETs costs the client
# several times more); returns the positions of the keys that were new.
CLAIM = """
local new = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then new[#new + 1] = i end
end
return new
"""


def event_key(event: Event) -> bytes:
    """16 bytes of SHA-256 over the event's identity: short keys keep Redis small."""
    raw = "\x1f".join(map(str, event.key)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).digest()[:16]


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def claim_new(events: list[Event]) -> tuple[list[Event], list[bytes]]:
    """The events seen for the first time (and the keys claimed for them, to release if
    counting fails). Repeats inside one request count once too."""
    unique: dict[bytes, Event] = {}
    for event in events:
        unique.setdefault(event_key(event), event)
    if not unique:
        return [], []
    keys = list(unique)
    if settings.REDIS_URL:
        fresh = _claim_in_redis(keys)
    else:
        fresh = _claim_in_table(keys)
    return [unique[k] for k in keys if k in fresh], [k for k in keys if k in fresh]


def release(keys: list[bytes]) -> None:
    """Forget keys claimed for events that were then not counted, so a retry counts them."""
    if not keys:
        return
    if settings.REDIS_URL:
        _redis().delete(*[REDIS_PREFIX + k for k in keys])
    else:
        SeenEvent.objects.filter(key__in=[k.hex() for k in keys]).delete()


@cache
def _claim_script():
    return _redis().register_script(CLAIM)


def _claim_in_redis(keys: list[bytes]) -> set[bytes]:
    new = _claim_script()(keys=[REDIS_PREFIX + k for k in keys],
                          args=[settings.TIM_CALLBACK_DEDUPE_SECONDS])
    return {keys[i - 1] for i in new}


def _claim_in_table(keys: list[bytes]) -> set[bytes]:
    """One INSERT … ON CONFLICT DO NOTHING RETURNING: atomic on PostgreSQL and SQLite alike, so
    two requests racing with the same event cannot both count it. Runs inside the caller's
    transaction, so a failed count leaves no key behind."""
    table = SeenEvent._meta.db_table
    now = dt.datetime.now(dt.UTC)
    marks = ", ".join(["(%s, %s)"] * len(keys))
    params = [value for key in keys for value in (key.hex(), now)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (key, seen_at) VALUES {marks} "
                       "ON CONFLICT (key) DO NOTHING RETURNING key", params)
        return {bytes.fromhex(row[0]) for row in cursor.fetchall()}


def prune(*, now: dt.datetime) -> int:
    """Drop table keys older than Tencent's retries (Redis expires its own)."""
    cutoff = now - dt.timedelta(seconds=settings.TIM_CALLBACK_DEDUPE_SECONDS)
    return SeenEvent.objects.filter(seen_at__lt=cutoff).delete()[0]
