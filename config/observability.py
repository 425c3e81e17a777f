"""What leaves the process about errors and logs: JSON log lines, Sentry events and Django's
debug page, each with credentials taken out (UserSigs, the Tencent secret key, passwords in
service URLs, the callback's Sign)."""

from __future__ import annotations

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

from core.encryption import OPENED
from pushclient.client import USERSIG_IN_URL

REDACTED = "[redacted]"
# scheme://user:password@host — the password part of a database, Redis or Sentry URL.
PASSWORD_IN_URL = re.compile(r"(?P<prefix>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.I)
# A Tencent callback's query string (Sentry sends it with an error): its Sign and RequestTime
# would let anyone post other bodies under that signature for a minute.
CALLBACK_SIGNATURE_IN_QUERY = re.compile(r"\b(?P<name>Sign|RequestTime)=[^&\s\"']*")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    text = PASSWORD_IN_URL.sub(rf"\g<prefix>{REDACTED}@", text)
    text = USERSIG_IN_URL.sub(f"usersig={REDACTED}", text)
    text = CALLBACK_SIGNATURE_IN_QUERY.sub(rf"\g<name>={REDACTED}", text)
    # Apps' secrets kept in the database are known once opened (core/encryption.py).
    for secret in (*secrets, *OPENED):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def scrub(value, secrets: tuple[str, ...] = ()):
    """The same structure with every string redacted."""
    if isinstance(value, str):
        return redact(str(value), secrets)
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(v, secrets) for v in value)
    return value


class RedactArguments(logging.Filter):
    """Redacts a record's text arguments: runserver (django.server) logs each request line,
    query string included."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


class CredentialFilter(SafeExceptionReporterFilter):
    """Django's debug page and error mails already hide settings named like KEY or PASSWORD;
    this also hides passwords inside URLs (REDIS_URL, CELERY_BROKER_URL, the environment in
    request.META under runserver), whatever the setting is called."""

    def cleanse_setting(self, key, value):
        return scrub(super().cleanse_setting(key, value))


def sentry_init(*, dsn: str, environment: str, secrets: tuple[str, ...]) -> None:
    """Errors from web requests and Celery tasks go to Sentry, scrubbed before they leave."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn, environment=environment, send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=lambda event, hint: scrub(event, secrets),
        before_breadcrumb=lambda crumb, hint: scrub(crumb, secrets),
    )
