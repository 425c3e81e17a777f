"""Tencent's result callback receiver, and the report's CSV and trace pages."""

from __future__ import annotations

import json
import logging
import time

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from core.chat_apps import app_of_sdkappid, connection
from core.current_app import in_my_apps
from core.models import App
from core.roles import marketer_required
from core.csv_export import csv_writer
from core.errors import InvalidInput
from core.text import ascii_digits
from pushclient import callbacks

from . import dedupe, intake, selectors
from .trace import campaign_trace

log = logging.getLogger(__name__)
SERVICE_DOWN = (redis.ConnectionError, redis.TimeoutError, OperationalError, InterfaceError)


def _refuse(status: int, info: str, errors: dict | None = None) -> JsonResponse:
    """Tencent's answer shape, with the problem in words; nothing was stored."""
    body = {"ActionStatus": "FAIL", "ErrorCode": status, "ErrorInfo": info}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


# The app each SdkAppid names, remembered by this process for a few seconds: the receiver asks
# the database about apps once in a while, not on every request. An app added, changed or
# removed here is forgotten at once; in the other processes its callbacks may be judged by
# what they remember for up to APP_REMEMBERED_SECONDS (a refusal Tencent retries).
APP_REMEMBERED_SECONDS = 10.0
_apps: dict[int, tuple[float, App]] = {}


def _callback_app(sdkappid: str) -> App | None:
    """The app the request's SdkAppid names (its exact ASCII digits), or None."""
    if not ascii_digits(sdkappid) or len(sdkappid) > 10:
        return None
    now = time.monotonic()
    remembered = _apps.get(int(sdkappid))
    if remembered and remembered[0] > now:
        return remembered[1]
    app = app_of_sdkappid(int(sdkappid))
    if app is not None:  # unknown ones are not kept: anyone can name those
        _apps[int(sdkappid)] = (now + APP_REMEMBERED_SECONDS, app)
    return app


@receiver(post_save, sender=App)
@receiver(post_delete, sender=App)
@receiver(post_migrate)  # also sent after a flush: the apps the process remembers are gone
@receiver(setting_changed)  # TIM_SDKAPPID names the default app
def forget_callback_apps(**_kwargs) -> None:
    _apps.clear()


def _signature_problem(request, app: App) -> str:
    """Why the request's signature does not hold with its app's callback token, or "" (spec
    §3.5). Never names the token. An app without a token takes unsigned callbacks only with
    TIM_CALLBACK_ALLOW_UNSIGNED."""
    token = connection(app).callback_token
    if not token:
        if settings.TIM_CALLBACK_ALLOW_UNSIGNED:
            return ""
        return ("callbacks are refused: no callback token is configured (TIM_CALLBACK_TOKEN)"
                if app.from_settings else "callbacks are refused: this SdkAppid's app has no "
                "callback token (set it on the dashboard's Apps page)")
    request_time, sign = request.GET.get("RequestTime", ""), request.GET.get("Sign", "")
    if not ascii_digits(request_time) or len(request_time) > 12:
        return "RequestTime must be a unix time in seconds"
    age = time.time() - int(request_time)
    if abs(age) > settings.TIM_CALLBACK_MAX_AGE_SECONDS:
        return (f"RequestTime is {int(abs(age))} s {'old' if age > 0 else 'ahead'}; at most "
                f"{settings.TIM_CALLBACK_MAX_AGE_SECONDS} s is accepted")
    if not sign or not callbacks.sign_matches(token, request_time, sign):
        return "Sign does not match the callback token of this SdkAppid's app and RequestTime"
    return ""


@csrf_exempt
@require_POST
def tencent_callback(request):
    """POST /tencent/callback/?SdkAppid=…&CallbackCommand=Push.AllMemberPush&Sign=…&RequestTime=…
    Every app's callbacks come here: SdkAppid names the app, and its token signs them."""
    try:
        app = _callback_app(request.GET.get("SdkAppid", ""))
    except SERVICE_DOWN as exc:
        log.error("a callback's app could not be looked up; answered FAIL: %r", exc)
        return _refuse(503, "the app could not be looked up just now: nothing was counted; "
                            "send it again")
    if app is None:
        return _refuse(403, "SdkAppid names no app of this dashboard")
    problem = _signature_problem(request, app)
    if problem:
        return _refuse(401, problem)
    if request.GET.get("CallbackCommand") != callbacks.COMMAND:
        return _refuse(400, f"CallbackCommand must be {callbacks.COMMAND}")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "the body is not valid JSON")
    except RecursionError:  # a callback is three levels deep; the parser recurses per level
        return _refuse(400, "the body is nested too deeply to be a callback")
    events, errors = callbacks.parse_events(body)
    if errors:
        return _refuse(400, "malformed events: nothing was counted", errors)
    try:
        intake.count_events(app=app, events=events)
    except dedupe.Busy:
        return _refuse(503, "another request is counting some of these events: nothing was "
                            "counted from this one; send it again")
    except Exception as exc:  # Redis or the database down: Tencent retries only what failed
        forget_callback_apps()  # in case the app was removed meanwhile: its retry looks again
        # An outage fails every request: one line each. Anything else is a bug: a traceback.
        log.error("%d callback events could not be stored; answered FAIL: %r", len(events), exc,
                  exc_info=not isinstance(exc, SERVICE_DOWN))
        return _refuse(503, "the events could not be stored just now: nothing was counted; "
                            "send them again")
    return JsonResponse(callbacks.OK_ANSWER)


@marketer_required
def report_csv(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    report = selectors.campaign_report(campaign)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{pk}-report.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese vendor names) only with a BOM
    writer = csv_writer(response)
    writer.writerow(selectors.CSV_HEADER)
    writer.writerows(selectors.report_rows(report))
    when = report["last_figure_at"]
    writer.writerow(["last_figure_at", when.isoformat() if when else ""])
    return response


@marketer_required
def trace(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    account = request.GET.get("account", "")
    devices, errors = None, []
    try:
        devices = campaign_trace(campaign=campaign, account=account)
    except InvalidInput as exc:
        errors = exc.errors.get("account", [])
    return render(request, "reports/trace.html", {
        "campaign": campaign, "account": account, "devices": devices, "errors": errors,
        "asked_at": timezone.now()})
