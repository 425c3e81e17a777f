"""The product's one TimClient, configured from settings."""

from functools import cache

from django.conf import settings

from pushclient import TimClient


@cache
def client() -> TimClient:
    return TimClient(
        sdkappid=settings.TIM_SDKAPPID, secret_key=settings.TIM_SECRET_KEY,
        admin_identifier=settings.TIM_ADMIN_IDENTIFIER, region=settings.TIM_REGION or None,
        base_url=settings.TIM_API_BASE_URL or None,
        read_timeout=settings.TIM_READ_TIMEOUT_SECONDS,
    )
