"""The product's TimClients, configured from settings."""

from functools import cache

from django.conf import settings

from pushclient import TimClient

from .limiter import limiter_from_settings

# Spec §3.3: recall answers 90051 past one call a second.
REVOKE_CALLS_PER_SECOND = 1
# Test sends and recalls are made while a person waits on a web request: with Redis (their
# shared limiter) away this long, they are told so (503), well inside gunicorn's 30 s.
PERSON_WAITS_FOR_REDIS_SECONDS = 3.0


def _client(**extra) -> TimClient:
    return TimClient(
        sdkappid=settings.TIM_SDKAPPID, secret_key=settings.TIM_SECRET_KEY,
        admin_identifier=settings.TIM_ADMIN_IDENTIFIER, region=settings.TIM_REGION or None,
        base_url=settings.TIM_API_BASE_URL or None,
        read_timeout=settings.TIM_READ_TIMEOUT_SECONDS, **extra)


@cache
def client() -> TimClient:
    """The one client of every path (pushes, attribute names, account lookup, bulk jobs): every
    call but im_push waits for the shared limiter; the push gate (campaigns/dispatch.py) paces
    pushes. Callers that own their retries take `client().with_retries(0)`."""
    return _client(pool_size=settings.AUDIENCE_MAX_IN_FLIGHT + 4,
                   throttle=limiter_from_settings().acquire,
                   max_permit_age=settings.TIM_PERMIT_MAX_AGE_SECONDS)


@cache
def test_send_client() -> TimClient:
    """For timpush/batch: its own limit (TIM_BATCH_CALLS_PER_SECOND) in its own shared limiter.
    No retries: a test send whose answer never came is reported, not sent twice."""
    return _client(pool_size=8, retries=0, throttle=limiter_from_settings(
        name="batch", limit=settings.TIM_BATCH_CALLS_PER_SECOND,
        give_up_after=PERSON_WAITS_FOR_REDIS_SECONDS).acquire)


@cache
def recall_client() -> TimClient:
    """For timpush/revoke: one call a second in its own shared limiter. A repeated recall
    is harmless (Tencent answers 90050, already recalled), so retryable failures are retried."""
    return _client(pool_size=2, throttle=limiter_from_settings(
        name="revoke", limit=REVOKE_CALLS_PER_SECOND,
        give_up_after=PERSON_WAITS_FOR_REDIS_SECONDS).acquire)


def clear() -> None:
    for factory in (client, test_send_client, recall_client):
        factory.cache_clear()
