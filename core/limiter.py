"""One rate limit per Tencent call family, shared by every worker on every host.

A sliding-window log: a call may start only if fewer than `limit` calls started in the last
`window` seconds. Permits are also paced, `window / limit` apart on average with bursts of at
most BURST (a generic cell rate algorithm): a bare window lets a first burst of permits recur
every window, and a burst is where a busy host delays some calls more than others, so that 101
of them reach Tencent within one second. Pacing costs no rate: the window allows that average
anyway, and the burst allowance absorbs a late caller. In Redis, one Lua script decides
atomically on Redis's own clock, so hosts with drifting clocks still share one window. Without
Redis (the laptop run, one host) a file under VAR_DIR, locked with flock, holds the log.

Within one process, callers queue on a local lock and only the head of the queue asks the shared
gate: dozens of job threads then cost one Redis round trip per permit, not one each per wake-up.

A permit can be given back unused (core/tencent.py lets go of one that grew too old before its
call could leave): it leaves the log and its pacing step is undone, so it costs no rate.

Which limiter a call waits for is decided in one place, core/tencent.py.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import Unavailable

log = logging.getLogger(__name__)
BURST = 4  # permits that may go out back to back after a pause


@dataclass(frozen=True)
class Permit:
    granted_at: float  # on the gate's clock: Redis's, or this host's for the file limiter
    asked_at: float  # time.monotonic() here, just before the request that was granted
    give_back: Callable[[], None]  # out of the window, its pacing step undone: no call made

    def age(self) -> float:
        """Seconds since the granted request went out: no less than the time since the grant,
        whatever the clocks of this host and the gate say."""
        return time.monotonic() - self.asked_at

ACQUIRE = """
local key, limit, window_us = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_us)
local spacing = math.floor(window_us / limit)
local tat = tonumber(redis.call('GET', key .. ':tat') or '0')
if tat - spacing * tonumber(ARGV[3]) > now then
  return {0, tat - spacing * tonumber(ARGV[3]) - now}
end
if redis.call('ZCARD', key) < limit then
  local seq = redis.call('INCR', key .. ':seq')
  redis.call('ZADD', key, now, now .. ':' .. seq)
  redis.call('PEXPIRE', key, math.ceil(window_us / 500))
  redis.call('SET', key .. ':tat', math.max(tat, now) + spacing, 'PX', math.ceil(window_us / 500))
  return {1, now, now .. ':' .. seq}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window_us - now + 1}
"""

# While permits are in demand the pace, not the window, decides when the next one comes: a
# step kept for a call never made would lower the rate by the share of permits given back.
GIVE_BACK = """
local key, limit, window_us = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('ZREM', key, ARGV[3]) == 1 then
  local tat = redis.call('GET', key .. ':tat')
  if tat then
    redis.call('SET', key .. ':tat', tonumber(tat) - math.floor(window_us / limit), 'KEEPTTL')
  end
end
"""


class RedisLimiter:
    """`give_up_after`: seconds of Redis away after which a waiting caller is told so
    (Unavailable) instead of waiting on; None (bulk jobs' workers) waits for Redis's return.
    A person waiting on a web request (a test send, a recall) must not wait for ever."""

    def __init__(self, url: str, *, limit: int, window: float, key: str = "tim:calls",
                 give_up_after: float | None = None):
        # Timeouts: a Redis host that stops answering is "away" in seconds, not the OS's minutes.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.give_up_after = give_up_after
        self._script = self._redis.register_script(ACQUIRE)
        self._give_back_script = self._redis.register_script(GIVE_BACK)
        self.limit, self.window, self.key = limit, window, key
        self._recovering = False
        self._queue = threading.Lock()

    def acquire(self) -> Permit:
        """Wait for a permit, granted on Redis's clock."""
        with self._queue:
            return self._acquire()

    def _acquire(self) -> Permit:
        away_since = None
        while True:
            asked = time.monotonic()
            try:
                granted, micros, *entry = self._script(
                    keys=[self.key], args=[self.limit, int(self.window * 1e6), BURST])
            except redis.RedisError:
                away_since = asked if away_since is None else away_since
                if self.give_up_after is not None and \
                        asked - away_since + self.window > self.give_up_after:
                    log.warning("rate limiter %s: Redis unavailable, giving up", self.key)
                    raise Unavailable(_("The shared rate limiter (Redis) is not reachable; "
                                        "nothing was sent. Try again in a minute.")) from None
                # Redis is away (a restart loses the log): wait, and then a whole window more,
                # so the calls made before the outage are out of any window when we resume.
                log.warning("rate limiter: Redis unavailable, waiting")
                time.sleep(self.window)
                self._recovering = True
                continue
            if self._recovering:
                self._recovering = False
                time.sleep(self.window)
                continue
            if granted:
                return Permit(micros / 1e6, asked, functools.partial(self._give_back, *entry))
            time.sleep(micros / 1e6)  # until a permit may be free

    def _give_back(self, entry: bytes) -> None:
        try:
            self._give_back_script(keys=[self.key],
                                   args=[self.limit, int(self.window * 1e6), entry])
        except redis.RedisError:  # kept in the log: a slot lost, never a call too many
            log.warning("rate limiter: Redis unavailable, a permit not given back")


class FileLimiter:
    def __init__(self, path: Path, *, limit: int, window: float):
        self.path, self.limit, self.window = path, limit, window
        path.touch(exist_ok=True)
        self._queue = threading.Lock()

    def acquire(self) -> Permit:
        """Wait for a permit, granted on this host's clock."""
        with self._queue:
            return self._acquire()

    def _acquire(self) -> Permit:
        while True:
            asked = time.monotonic()
            with open(self.path, "r+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                now = time.time()
                text = handle.read()
                state = json.loads(text) if text else {}
                calls = [t for t in state.get("log", []) if t > now - self.window]
                spacing = self.window / self.limit
                tat = state.get("tat", 0.0)
                if tat - spacing * BURST > now:
                    wait = tat - spacing * BURST - now
                elif len(calls) < self.limit:
                    calls.append(now)
                    handle.seek(0)
                    handle.truncate()
                    handle.write(json.dumps({"log": calls, "tat": max(tat, now) + spacing}))
                    return Permit(now, asked, functools.partial(self._give_back, now))
                else:
                    wait = calls[0] + self.window - now
            time.sleep(max(wait, 0.0005))

    def _give_back(self, granted_at: float) -> None:
        with open(self.path, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            text = handle.read()
            state = json.loads(text) if text else {}
            if granted_at in state.get("log", []):
                state["log"].remove(granted_at)
                state["tat"] = state.get("tat", 0.0) - self.window / self.limit  # see GIVE_BACK
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(state))


def limiter_from_settings(*, name: str, limit: int, give_up_after: float | None = None):
    """The shared limiter called `name`, allowing `limit` calls a TIM_RATE_WINDOW_SECONDS.
    `give_up_after`: see RedisLimiter (the file limiter has no server to lose)."""
    window = settings.TIM_RATE_WINDOW_SECONDS
    if settings.REDIS_URL:
        return RedisLimiter(settings.REDIS_URL, limit=limit, window=window, key=f"tim:{name}",
                            give_up_after=give_up_after)
    return FileLimiter(Path(settings.VAR_DIR) / f"tim-{name.replace(':', '-')}.json",
                       limit=limit, window=window)
