"""Security promises: every URL answers each role as allowed, CSP, no secrets."""

import logging

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from campaigns import services
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db

# The script strings are public: the login page needs them, and they hold no data.
PUBLIC = {"healthz", "login/", "api/openapi.json", "api/docs", "jsi18n/", "favicon.ico"}


def dashboard_routes(resolver=None, prefix=""):
    """Every URL pattern of ours, the API's included (Django admin's own are its business)."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route != "admin/":
                yield from dashboard_routes(entry, route)
            continue
        assert isinstance(entry, URLPattern)
        yield route


def concrete(route: str, pk: int) -> str:
    return "/" + route.replace("<int:pk>", str(pk)).replace("<slug:action>", "cancel").replace(
        "<slug:slug>", "main").replace("<slug>", "main")


def expected(route: str, role: str) -> set[int]:
    if route in ("api/openapi.json", "api/docs"):  # for signed-in people
        return {302} if role == "anonymous" else {200}
    if route in PUBLIC:
        return {200, 503} if route == "healthz" else {200, 302}
    api = route.startswith("api/")
    admin_only = route in ("audit/",) or route.startswith(("audiences/", "apps/")) or route in (
        "api/apps/", "api/apps/<slug>/",
        "api/attribute-names/", "api/audience/jobs/", "api/audience/jobs/<int:pk>/",
        "api/audience/jobs/upload/", "api/audience/buckets/")
    if route == "api/":
        return {404}  # the API's root holds nothing; its docs are at api/docs
    if route == "api/token/":
        return {405}  # GET is not how to ask for a token
    if role == "anonymous":
        return {401, 405} if api else {302, 405}
    if role == "nobody" or (role == "marketer" and admin_only):
        return {401, 403, 405} if api else {403, 405}
    if route == "api/campaigns/<int:pk>/trace/":
        return {400}  # ?account= is required, and names the rule
    return {200, 302, 404, 405}


@pytest.mark.parametrize("role", ["anonymous", "nobody", "marketer", "admin"])
def test_every_url_answers_each_role_as_allowed(client, role, settings):
    marketer = make_user("mia", "Marketers")
    campaign = services.campaign_create(user=marketer, name="c", push={"MsgBody": TEXT})
    users = {"nobody": make_user("nobody"), "marketer": marketer,
             "admin": make_user("ada", "Admins", is_staff=True)}
    if role != "anonymous":
        client.force_login(users[role])
        from core.tokens import token_create
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token_create(user=users[role])[1]}"
    routes = [r for r in dashboard_routes() if not r.startswith("admin/")]
    assert len(routes) > 20
    for route in routes:
        status = client.get(concrete(route, campaign.pk)).status_code
        assert status in expected(route, role), (route, role, status)


def test_pages_carry_a_content_security_policy(client):
    policy = client.get("/login/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_secrets_never_reach_logs_pages_or_errors(client, tim, caplog, settings):
    """A full run: tokens, a send, a refused send with the wrong key; then grep everything."""
    from campaigns import dispatch
    from core import tencent
    caplog.set_level(logging.DEBUG)
    marketer = make_user("mia", "Marketers")
    client.force_login(marketer)
    raw_token = client.post("/tokens/", {"name": "t"}, follow=True).context["new_token"]
    api_headers = {"HTTP_AUTHORIZATION": f"Token {raw_token}"}
    from django.utils import timezone
    sent = services.campaign_create(user=marketer, name="ok", push={"MsgBody": TEXT},
                                    send_at=timezone.now())
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    usersig = tencent.client()._usersig.get()
    settings.TIM_SECRET_KEY = "wrong-" + settings.TIM_SECRET_KEY
    wrong_key = settings.TIM_SECRET_KEY
    tencent.clear()
    failed = services.campaign_create(user=marketer, name="bad", push={"MsgBody": TEXT},
                                      send_at=timezone.now())
    import time
    time.sleep(1.1)
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    pages = "".join(client.get(url).content.decode() for url in (
        "/", "/campaigns/", f"/campaigns/{sent.pk}/", f"/campaigns/{failed.pk}/", "/tokens/"))
    pages += client.get(f"/api/campaigns/{failed.pk}/", **api_headers).content.decode()
    everything = pages + caplog.text
    assert "70009" in everything, "the failure is there, explained"
    for secret in (usersig, wrong_key, settings.TIM_SECRET_KEY.removeprefix("wrong-"),
                   raw_token):
        assert secret not in everything


def test_the_audit_log_shows_campaign_changes_jobs_and_names_with_who(client, tim):
    from audience import services as audience
    admin = make_user("ada", "Admins", is_staff=True)
    campaign = services.campaign_create(user=admin, name="Autumn", push={"MsgBody": TEXT})
    services.campaign_cancel(campaign=campaign, user=admin)
    audience.attribute_names_update(user=admin, names={"0": "city"})
    client.force_login(admin)
    page = client.get("/audit/").content.decode()
    for text in ("Autumn", "created the campaign", "status Draft → Cancelled",
                 "set attribute names: 0=city", "ada"):
        assert text in page, text
    client.force_login(make_user("mia", "Marketers"))
    assert client.get("/audit/").status_code == 403


def test_dashboard_forms_refuse_a_post_without_its_csrf_token(tim):
    from django.test import Client
    strict = Client(enforce_csrf_checks=True)
    marketer = make_user("mia", "Marketers")
    campaign = services.campaign_create(user=marketer, name="c", push={"MsgBody": TEXT})
    strict.force_login(marketer)
    for url in ("/campaigns/new/", f"/campaigns/{campaign.pk}/cancel/", "/tokens/",
                "/preferences/", "/campaigns/preview/"):
        assert strict.post(url, {}).status_code == 403, url
    assert services.Campaign.objects.get(pk=campaign.pk).status == "draft"


def test_production_settings_turn_on_secure_cookies_and_hsts():
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEVELOPMENT"}
    env["SECRET_KEY"] = "x" * 50
    code = ("import django, os, json; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
            "django.setup(); from django.conf import settings as s; print(json.dumps([s.DEBUG, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[false, true, true, 31536000]"
