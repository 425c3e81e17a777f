"""Login throttling around django-axes, and the Content-Security-Policy header."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; "
          "base-uri 'self'; form-action 'self'")


def content_security_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
    return middleware


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXIES=N the address that the N-th
    proxy from us appended to X-Forwarded-For. Entries further left were written by whoever
    sent the request and prove nothing, so they are never used."""
    hops = settings.TRUSTED_PROXIES
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return ngettext(
        "Too many failed logins for this account from your address. Try again in %(minutes)d "
        "minute, or ask an admin to clear the lockout.",
        "Too many failed logins for this account from your address. Try again in %(minutes)d "
        "minutes, or ask an admin to clear the lockout.", minutes) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out person sees: the reason, not "wrong password" (429, as axes does)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": lockout_message(),
                             "errors": {"username": [lockout_message()]}}, status=429)
    form = AuthenticationForm(request)
    return render(request, "login.html", {"form": form, "lockout": lockout_message()},
                  status=429)


def authenticate_serially(request, *, username: str, password: str):
    """authenticate(), one attempt at a time per username: the lockout check, the password
    check and the recorded failure happen together, so concurrent guesses cannot all slip
    past the check before any failure is counted."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                               ["login:" + username.lower()])
        # SQLite's transactions take the write lock at BEGIN (settings: IMMEDIATE): serial too.
        return authenticate(request, username=username, password=password)


class SerialAuthenticationMixin:
    """Django's login forms, authenticating through authenticate_serially."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate_serially(self.request, username=username,
                                                    password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginForm(SerialAuthenticationMixin, AuthenticationForm):
    pass


class AdminLoginForm(SerialAuthenticationMixin, AdminAuthenticationForm):
    pass

