"""API tokens: created once, shown once, stored as a hash, revocable."""

import secrets

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import ApiToken, hash_token


@transaction.atomic
def token_create(*, user, name: str = "script") -> tuple[ApiToken, str]:
    """From the tokens page or POST /api/token/: either way it is in the audit trail."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100] or "script",
                                    key_hash=hash_token(raw), prefix=raw[:8])
    audit_record(actor=user, verb="token.created", subject=token, subject_type="token",
                 name=token.name)
    return token, raw


def token_user(raw: str):
    """The active user a raw token belongs to, or None."""
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=hash_token(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


@transaction.atomic
def token_revoke(*, token: ApiToken, user) -> None:
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()):
        audit_record(actor=user, verb="token.revoked", subject=token, subject_type="token",
                     name=token.name)
