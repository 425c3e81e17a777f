"""Which callback events are new: Tencent retries a callback it got no OK to, so the same
event (TaskId, To_Account, PushPlatform, PushStage, EventType) can arrive more than once. An
event is one app's: two apps' events with the same identity are two events.

Keys live only as long as Tencent may retry (TIM_CALLBACK_DEDUPE_SECONDS): in Redis with a TTL
when there is one (two script calls per request, memory bounded by the TTL), else in the
SeenEvent table, pruned by the sweeper. Either way a million-phone campaign leaves no permanent
row per phone.

An event counts as seen only once its count is committed. Redis is outside the database's
transaction, so a Redis key goes through two states: claimed by one request (its value is that
request's owner number) until the counters are committed, then counted ("1"). A request that
finds a key claimed by another is refused (Busy) rather than answered OK for events that may
yet be lost; a request that fails releases its own claims, and only its own, so Tencent's retry
counts them. The table needs none of this: its keys are inserted in the counters' transaction
and roll back with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import cache

import redis
from django.conf import settings
from django.db import connection

from core.models import App
from pushclient.callbacks import Event

from .models import SeenEvent

REDIS_PREFIX = b"cb:"
# Claims every key of a request in one command (a pipeline of 100 SETs costs the client
# several times more); returns the positions of the keys that were new, or -1 (claiming
# nothing) when another request holds a claim on one of them. ARGV: TTL, owner.
CLAIM = """
for _, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if value and value ~= '1' then return -1 end
end
local new = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[2], 'NX', 'EX', ARGV[1]) then new[#new + 1] = i end
end
return new
"""
# ARGV: owner. Marks the owner's claims counted ("1"), keeping their TTL. "1" is a small
# integer, which Redis stores shared: a counted key costs no memory for its value.
CONFIRM = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('SET', key, '1', 'KEEPTTL') end
end
"""
# ARGV: owner. Deletes the owner's claims: also those of a CLAIM whose answer was lost.
RELEASE = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
"""


class Busy(Exception):
    """Another request is counting some of these events: they are not stored yet."""


def event_key(event: Event, app: App) -> bytes:
    """16 bytes of SHA-256 over the event's identity and its app: short keys keep Redis small.
    The default app's keys are those it had before apps, so the keys of events counted before
    an upgrade still refuse Tencent's retries of them after it."""
    identity = event.key if app.from_settings else (f"app:{app.pk}", *event.key)
    raw = "\x1f".join(map(str, identity)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).digest()[:16]


@cache
def _redis() -> redis.Redis:
    # A stopped or unreachable Redis fails the request in seconds (Tencent then retries)
    # instead of holding it until Tencent gives up on the answer.
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


@cache
def _script(source: str):
    return _redis().register_script(source)


def new_owner() -> int:
    """A request's mark on the keys it claims; never 1 (counted)."""
    return secrets.randbelow(2**62) + 2


def _unique(events: list[Event], app: App) -> dict[bytes, Event]:
    unique: dict[bytes, Event] = {}
    for event in events:
        unique.setdefault(event_key(event, app), event)
    return unique


def claim_new(events: list[Event], *, app: App, owner: int) -> list[Event]:
    """The app's events seen for the first time, claimed for `owner`; repeats inside one
    request count once too. Raises Busy when another request is still counting one of them."""
    unique = _unique(events, app)
    if not unique:
        return []
    keys = list(unique)
    fresh = _claim_in_redis(keys, owner) if settings.REDIS_URL else _claim_in_table(keys)
    return [unique[k] for k in keys if k in fresh]


def confirm(events: list[Event], *, app: App, owner: int) -> None:
    """The owner's counts are committed: its claims become counted keys."""
    if settings.REDIS_URL:
        _script(CONFIRM)(keys=_redis_keys(events, app), args=[owner])


def release(events: list[Event], *, app: App, owner: int) -> None:
    """The owner's counts were not committed: forget its claims, so Tencent's retry counts
    them."""
    if settings.REDIS_URL:
        _script(RELEASE)(keys=_redis_keys(events, app), args=[owner])


def _redis_keys(events: list[Event], app: App) -> list[bytes]:
    return [REDIS_PREFIX + k for k in _unique(events, app)]


def _claim_in_redis(keys: list[bytes], owner: int) -> set[bytes]:
    new = _script(CLAIM)(keys=[REDIS_PREFIX + k for k in keys],
                         args=[settings.TIM_CALLBACK_DEDUPE_SECONDS, owner])
    if new == -1:
        raise Busy
    return {keys[i - 1] for i in new}


def _claim_in_table(keys: list[bytes]) -> set[bytes]:
    """One INSERT … ON CONFLICT DO NOTHING RETURNING: atomic on PostgreSQL and SQLite alike, so
    two requests racing with the same event cannot both count it (the second waits for the
    first's transaction). Runs inside the caller's transaction, so a failed count leaves no
    key behind."""
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
