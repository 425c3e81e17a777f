"""The reports part of the JSON API: a campaign's delivery report, as JSON or CSV, and one
account's trace."""

from __future__ import annotations

import datetime as dt
import io

from django.http import HttpResponse
from ninja import Query, Router, Schema

from campaigns.models import Campaign
from core.api import ERRORS
from core.csv_export import csv_writer
from core.current_app import mine

from . import selectors
from .trace import campaign_trace

router = Router(tags=["reports"])


def _campaign(request, pk: int) -> Campaign:
    """A campaign of one of the person's apps; anyone else's is 404, as if it did not exist."""
    return mine(request, Campaign.objects.select_related("app"), pk=pk)


class VendorOut(Schema):
    platform: int
    vendor: str
    sent: int
    delivered: int
    clicked: int


class LossOut(Schema):
    platform: int
    vendor: str
    count: int
    reason: str
    err_code: int
    words: str


class TestSendsOut(Schema):
    sent: int
    delivered: int
    clicked: int
    vendors: list[VendorOut]
    losses: list[LossOut]
    last_figure_at: dt.datetime | None


class ReportOut(Schema):
    campaign: int
    task_id: str
    audience: int | None
    sent: int
    delivered: int
    clicked: int
    vendors: list[VendorOut]
    losses: list[LossOut]
    last_figure_at: dt.datetime | None
    statistics_at: dt.datetime | None
    test_sends: TestSendsOut


class StepOut(Schema):
    stage: str
    ok: bool
    words: str
    at: dt.datetime | None


class DeviceOut(Schema):
    vendor: str
    token: str
    summary: str
    steps: list[StepOut]


class TraceOut(Schema):
    account: str
    devices: list[DeviceOut]


@router.get("/campaigns/{int:pk}/report/", response={200: ReportOut, **ERRORS},
            operation_id="campaign_report")
def campaign_report(request, pk: int):
    """audience → sent → delivered → clicked, per vendor; losses in words; test sends apart.
    Each figure is the larger of the callback counters and Tencent's latest statistics."""
    return selectors.campaign_report(_campaign(request, pk))


CSV_RESPONSE = {"responses": {200: {"description": "The report as CSV", "content": {
    "text/csv": {"schema": {"type": "string"}}}}}}


@router.get("/campaigns/{int:pk}/report/csv/", response={200: str, **ERRORS},
            operation_id="campaign_report_csv", openapi_extra=CSV_RESPONSE)
def campaign_report_csv(request, pk: int):
    report = selectors.campaign_report(_campaign(request, pk))
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(selectors.CSV_HEADER)
    writer.writerows(selectors.report_rows(report))
    return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")


@router.get("/campaigns/{int:pk}/trace/", response={200: TraceOut, **ERRORS},
            operation_id="campaign_trace")
def campaign_account_trace(request, pk: int, account: str = Query(..., max_length=200)):
    """Why didn't this user get it: the account's devices and each step (sent campaigns,
    within 7 days; Tencent answers once a second)."""
    devices = campaign_trace(campaign=_campaign(request, pk), account=account)
    return {"account": account, "devices": devices}
