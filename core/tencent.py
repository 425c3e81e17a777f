"""The product's TimClients, configured from settings."""

from functools import cache

from django.conf import settings

from pushclient import TimClient

from .limiter import limiter_from_settings


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


def clear() -> None:
    client.cache_clear()
