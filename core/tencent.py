"""The product's TimClient, configured from settings, and the one door to Tencent's rate limits.

Every call but im_push (paced by the push gate, campaigns/dispatch.py) waits for the shared
limiter of its family, and so does each retry: pushclient asks `throttle` before every try."""

import logging
from functools import cache

from django.conf import settings

from pushclient import TimClient

from .limiter import limiter_from_settings

log = logging.getLogger(__name__)

# Spec §3.3: recall answers 90051 past one call a second.
REVOKE_CALLS_PER_SECOND = 1
# Test sends and recalls are made while a person waits on a web request: with Redis (their
# shared limiter) away this long, they are told so (503), well inside gunicorn's 30 s.
PERSON_WAITS_FOR_REDIS_SECONDS = 3.0
REPORT_COMMANDS = ("all_member_push_statistics", "all_member_push_loss", "all_member_push_trace")


def limiter(command: str):
    """The shared limiter a Tencent command waits for: each family its own (spec limits)."""
    if command in ("batch", "revoke") or command in REPORT_COMMANDS:
        return _limiter(command)
    return _limiter("calls")  # attribute names, attributes, tags, lookups: one limit (§2)


@cache
def _limiter(family: str):
    """One per family and process: its threads queue on one local lock (core/limiter.py)."""
    if family == "batch":  # §3.2 test sends: 10, 30 or 40 a second by edition
        return limiter_from_settings(name="batch", limit=settings.TIM_BATCH_CALLS_PER_SECOND,
                                     give_up_after=PERSON_WAITS_FOR_REDIS_SECONDS)
    if family == "revoke":  # §3.3
        return limiter_from_settings(name="revoke", limit=REVOKE_CALLS_PER_SECOND,
                                     give_up_after=PERSON_WAITS_FOR_REDIS_SECONDS)
    if family in REPORT_COMMANDS:  # §3.5: each command 1 a second
        return limiter_from_settings(name=f"report:{family}",
                                     limit=settings.REPORT_CALLS_PER_SECOND)
    return limiter_from_settings(name="calls", limit=settings.TIM_CALLS_PER_SECOND)


def throttle(command: str) -> None:
    """Wait for the command's limiter; the caller sends at once. The limiter counts a call when
    it grants its permit, Tencent when it arrives: a permit that waited too long here (a host
    out of CPU, a thread kept from running) would land its call in the same second as calls
    granted a whole window after it. It is given back unused and another taken, so every call
    leaves within TIM_PERMIT_MAX_AGE_SECONDS of its grant, inside the window's margin."""
    while (permit := limiter(command).acquire()).age() > settings.TIM_PERMIT_MAX_AGE_SECONDS:
        permit.give_back()
        log.info("%s: rate permit %.0f ms old before sending, taking another", command,
                 permit.age() * 1000)


@cache
def client() -> TimClient:
    """The one client of every path. Callers that own their retries (bulk jobs) take
    `client().with_retries(0)`."""
    return TimClient(
        sdkappid=settings.TIM_SDKAPPID, secret_key=settings.TIM_SECRET_KEY,
        admin_identifier=settings.TIM_ADMIN_IDENTIFIER, region=settings.TIM_REGION or None,
        base_url=settings.TIM_API_BASE_URL or None,
        read_timeout=settings.TIM_READ_TIMEOUT_SECONDS,
        pool_size=settings.AUDIENCE_MAX_IN_FLIGHT + 4, throttle=throttle)


@cache
def test_send_client() -> TimClient:
    """For timpush/batch. No retries: a test send whose answer never came is reported, not
    sent twice."""
    return client().with_retries(0)


def recall_client() -> TimClient:
    """For timpush/revoke. A repeated recall is harmless (Tencent answers 90050, already
    recalled), so retryable failures are retried."""
    return client()


def clear() -> None:
    for factory in (client, test_send_client, _limiter):
        factory.cache_clear()
