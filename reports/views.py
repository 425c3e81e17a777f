"""Tencent's result callback receiver, and the report's CSV and trace pages."""

from __future__ import annotations

import csv
import json
import logging
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.views import marketer_required
from core.errors import InvalidInput
from core.text import ascii_digits
from pushclient import callbacks

from . import intake, selectors
from .trace import campaign_trace

log = logging.getLogger(__name__)


class AnswerThenCount(JsonResponse):
    """Tencent's answer, sent before the events are counted: the server calls close() once
    the response has gone out, and counting happens then, in the same process."""

    def __init__(self, events: list, **kwargs):
        super().__init__(callbacks.OK_ANSWER, **kwargs)
        self._events = events

    def close(self):
        super().close()
        try:
            intake.count_events(events=self._events)
        except Exception:  # the poller's statistics still bring the figures in
            log.exception("%d callback events were answered but not counted",
                          len(self._events))


def _refuse(status: int, info: str, errors: dict | None = None) -> JsonResponse:
    """Tencent's answer shape, with the problem in words; nothing was stored."""
    body = {"ActionStatus": "FAIL", "ErrorCode": status, "ErrorInfo": info}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def _signature_problem(request) -> str:
    """Why the request's signature does not hold, or "" (spec §3.5). Never names the token."""
    token = settings.TIM_CALLBACK_TOKEN
    if not token:
        return "" if settings.TIM_CALLBACK_ALLOW_UNSIGNED else (
            "callbacks are refused: no callback token is configured (TIM_CALLBACK_TOKEN)")
    request_time, sign = request.GET.get("RequestTime", ""), request.GET.get("Sign", "")
    if not ascii_digits(request_time) or len(request_time) > 12:
        return "RequestTime must be a unix time in seconds"
    age = time.time() - int(request_time)
    if abs(age) > settings.TIM_CALLBACK_MAX_AGE_SECONDS:
        return (f"RequestTime is {int(abs(age))} s {'old' if age > 0 else 'ahead'}; at most "
                f"{settings.TIM_CALLBACK_MAX_AGE_SECONDS} s is accepted")
    if not sign or not callbacks.sign_matches(token, request_time, sign):
        return "Sign does not match the configured callback token and RequestTime"
    return ""


@csrf_exempt
@require_POST
def tencent_callback(request):
    """POST /tencent/callback/?SdkAppid=…&CallbackCommand=Push.AllMemberPush&Sign=…&RequestTime=…"""
    if request.GET.get("SdkAppid") != str(settings.TIM_SDKAPPID):
        return _refuse(403, "SdkAppid does not match this app's TIM_SDKAPPID")
    problem = _signature_problem(request)
    if problem:
        return _refuse(401, problem)
    if request.GET.get("CallbackCommand") != callbacks.COMMAND:
        return _refuse(400, f"CallbackCommand must be {callbacks.COMMAND}")
    try:
        body = json.loads(request.body)
    except RecursionError:  # a few thousand brackets; Tencent nests three levels
        return _refuse(400, "the body is nested too deeply")
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "the body is not valid JSON")
    events, errors = callbacks.parse_events(body)
    if errors:
        return _refuse(400, "malformed events: nothing was counted", errors)
    return AnswerThenCount(events)


@marketer_required
def report_csv(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    report = selectors.campaign_report(campaign)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{pk}-report.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese vendor names) only with a BOM
    writer = csv.writer(response)
    writer.writerow(selectors.CSV_HEADER)
    writer.writerows(selectors.report_rows(report))
    when = report["last_figure_at"]
    writer.writerow(["last_figure_at", when.isoformat() if when else ""])
    return response


@marketer_required
def trace(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    account = request.GET.get("account", "")
    devices, errors = None, []
    try:
        devices = campaign_trace(campaign=campaign, account=account)
    except InvalidInput as exc:
        errors = exc.errors.get("account", [])
    return render(request, "reports/trace.html", {
        "campaign": campaign, "account": account, "devices": devices, "errors": errors,
        "asked_at": timezone.now()})
