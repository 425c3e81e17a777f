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
    """For pushes: the push gate (campaigns/dispatch.py) paces these."""
    return _client()


@cache
def audience_client() -> TimClient:
    """For attribute and tag calls: every request waits for the shared limiter."""
    return _client(pool_size=64, throttle=limiter_from_settings().acquire)


def clear() -> None:
    client.cache_clear()
    audience_client.cache_clear()
