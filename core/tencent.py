"""The product's TimClient for each app, and the one door to Tencent's rate limits.

Tencent keeps its limits per SDKAppID, so each app has limiters of its own. Every call but
im_push (paced by the app's push gate, campaigns/dispatch.py) waits for the shared limiter of
its family, and so does each retry: pushclient asks `throttle` before every try."""

import logging
from functools import cache, partial

from django.conf import settings

from pushclient import TimClient

from .chat_apps import Connection, connection

from .limiter import limiter_from_settings

log = logging.getLogger(__name__)

# Spec §3.3: recall answers 90051 past one call a second.
REVOKE_CALLS_PER_SECOND = 1
# Test sends and recalls are made while a person waits on a web request: with Redis (their
# shared limiter) away this long, they are told so (503), well inside gunicorn's 30 s.
PERSON_WAITS_FOR_REDIS_SECONDS = 3.0
REPORT_COMMANDS = ("all_member_push_statistics", "all_member_push_loss", "all_member_push_trace")


def limiter(command: str, conn: Connection | None = None):
    """The shared limiter a Tencent command waits for: each app's, each family its own."""
    conn = conn or connection()
    if command in ("batch", "revoke") or command in REPORT_COMMANDS:
        return _limiter(command, conn.sdkappid, conn.batch_calls_per_second)
    # attribute names, attributes, tags, lookups: one limit (§2)
    return _limiter("calls", conn.sdkappid, conn.calls_per_second)


@cache
def _limiter(family: str, sdkappid: int, rate: int):
    """One per family, app and process: its threads queue on one local lock (core/limiter.py).
    The default app keeps the names limiters had before apps (its keys in Redis unchanged)."""
    own = "" if sdkappid == settings.TIM_SDKAPPID else f":{sdkappid}"
    if family == "batch":  # §3.2 test sends: 10, 30 or 40 a second by edition
        return limiter_from_settings(name="batch" + own, limit=rate,
                                     give_up_after=PERSON_WAITS_FOR_REDIS_SECONDS)
    if family == "revoke":  # §3.3
        return limiter_from_settings(name="revoke" + own, limit=REVOKE_CALLS_PER_SECOND,
                                     give_up_after=PERSON_WAITS_FOR_REDIS_SECONDS)
    if family in REPORT_COMMANDS:  # §3.5: each command 1 a second
        return limiter_from_settings(name=f"report:{family}" + own,
                                     limit=settings.REPORT_CALLS_PER_SECOND)
    return limiter_from_settings(name="calls" + own, limit=rate)


def throttle(command: str, conn: Connection | None = None) -> None:
    """Wait for the command's limiter; the caller sends at once. The limiter counts a call when
    it grants its permit, Tencent when it arrives: a permit that waited too long here (a host
    out of CPU, a thread kept from running) would land its call in the same second as calls
    granted a whole window after it. It is given back unused and another taken, so every call
    leaves within TIM_PERMIT_MAX_AGE_SECONDS of its grant, inside the window's margin."""
    while (permit := limiter(command, conn).acquire()).age() > settings.TIM_PERMIT_MAX_AGE_SECONDS:
        permit.give_back()
        log.info("%s: rate permit %.0f ms old before sending, taking another", command,
                 permit.age() * 1000)


def client(app=None) -> TimClient:
    """The one client of every path, for `app` (the default app when None). Callers that own
    their retries (bulk jobs) take `client(app).with_retries(0)`."""
    return _client(connection(app))


@cache
def _client(conn: Connection) -> TimClient:
    # A changed connection (an admin's edit, a test's settings) is another key: a new client.
    return TimClient(
        sdkappid=conn.sdkappid, secret_key=conn.secret_key,
        admin_identifier=conn.admin_identifier, region=conn.region or None,
        base_url=conn.base_url or None, read_timeout=settings.TIM_READ_TIMEOUT_SECONDS,
        pool_size=settings.AUDIENCE_MAX_IN_FLIGHT + 4, throttle=partial(throttle, conn=conn))


def test_send_client(app=None) -> TimClient:
    """For timpush/batch. No retries: a test send whose answer never came is reported, not
    sent twice."""
    return _test_send_client(connection(app))


@cache
def _test_send_client(conn: Connection) -> TimClient:
    return _client(conn).with_retries(0)


def recall_client(app=None) -> TimClient:
    """For timpush/revoke. A repeated recall is harmless (Tencent answers 90050, already
    recalled), so retryable failures are retried."""
    return client(app)


def clear() -> None:
    for factory in (_client, _test_send_client, _limiter):
        factory.cache_clear()
