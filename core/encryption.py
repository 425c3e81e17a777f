"""Secrets kept in the database (each app's Tencent secret key and callback token), encrypted
with Fernet under APP_SECRETS_KEY from the environment: a copy of the database alone reveals
none of them. Every value opened here is remembered so logs and error reports can redact it
(config/observability.py) though no setting names it."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Plain values this process has opened, for redaction (config/observability.py).
OPENED: set[str] = set()


@cache
def _fernet() -> MultiFernet:
    """APP_SECRETS_KEY: one or more Fernet keys separated by commas, newest first (older ones
    still open what they sealed: rotate by adding a key in front). Development derives one from
    SECRET_KEY so `make run` needs no set-up."""
    keys = [k.strip() for k in settings.APP_SECRETS_KEY.split(",") if k.strip()]
    if not keys:
        if not settings.DEVELOPMENT:
            raise ImproperlyConfigured("APP_SECRETS_KEY is required unless DJANGO_DEVELOPMENT=1")
        keys = [base64.urlsafe_b64encode(
            hashlib.sha256(b"app-secrets:" + settings.SECRET_KEY.encode()).digest()).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "APP_SECRETS_KEY must be Fernet keys (32 url-safe base64-encoded bytes each), "
            "comma-separated") from None


def can_seal() -> bool:
    """Whether this install can keep an app's secrets (production needs APP_SECRETS_KEY)."""
    return bool(settings.APP_SECRETS_KEY.strip() or settings.DEVELOPMENT)


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def open_sealed(token: str) -> str:
    if not token:
        return ""
    try:
        value = _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored app secret cannot be opened with APP_SECRETS_KEY (a key was changed "
            "instead of added in front)") from None
    OPENED.add(value)
    return value


def clear() -> None:
    _fernet.cache_clear()
