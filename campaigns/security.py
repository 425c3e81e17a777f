"""Login throttling and the Content-Security-Policy header."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; "
          "base-uri 'self'; form-action 'self'")


def content_security_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
    return middleware


def _key(username: str, request) -> str:
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return "login-fail:" + hashlib.sha256(f"{username.lower()}|{ip}".encode()).hexdigest()


class ThrottledModelBackend(ModelBackend):
    """After LOGIN_FAILURES_ALLOWED wrong passwords for one username from one address,
    refuse further tries for LOGIN_LOCKOUT_SECONDS (the dashboard and /api/token/ alike)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        key = _key(username or "", request)
        if cache.get(key, 0) >= settings.LOGIN_FAILURES_ALLOWED:
            raise PermissionDenied("Too many failed logins; try again later")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
            cache.incr(key)
        else:
            cache.delete(key)
        return user
