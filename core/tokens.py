"""API tokens: created once, shown once, stored as a hash, revocable."""

import secrets

from django.utils import timezone

from .models import ApiToken, hash_token


def token_create(*, user, name: str = "script") -> tuple[ApiToken, str]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100] or "script",
                                    key_hash=hash_token(raw), prefix=raw[:8])
    return token, raw


def token_user(raw: str):
    """The active user a raw token belongs to, or None."""
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=hash_token(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
