"""The reports part of the JSON API: a campaign's delivery report, as JSON or CSV, one
account's trace, and A/B tests (set up, read live, cancelled)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from campaigns import experiments as campaign_experiments
from campaigns import languages
from campaigns.api import SEND_AT_HELP, Strict, send_at_of
from campaigns.models import Campaign, Experiment
from core.api import ERRORS, error
from core.csv_export import csv_writer
from core.current_app import mine

from . import experiments, selectors
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


class VariantIn(Strict):
    buckets: list[StrictInt] = Field(description="Bucket numbers (0 to EXPERIMENT_BUCKETS - 1) "
                                     "this variant goes to; each bucket to one variant")
    title: str = Field("", max_length=2000, description="Replaces the push's title; empty: "
                       "the campaign's own")
    text: str = Field("", max_length=2000, description="Replaces the push text and the "
                      "message's text; empty: the campaign's own")
    image: str = Field("", max_length=2000, description="An https picture (iOS); empty: the "
                       "campaign's own")
    ext: str = Field("", max_length=2000, description="Custom data; empty: the campaign's own")


class ExperimentIn(Strict):
    variants: list[VariantIn] = Field(description="2 to 4 variants: A first (often the "
                                      "campaign's own message, all fields empty)")
    send_at: str | None = Field(None, description=SEND_AT_HELP + "; absent: the campaign's "
                                "send time")
    wait_minutes: StrictInt = Field(120, description="Minutes after sending before deciding "
                                    "(10 to 10080)")
    significance: float = Field(0.02, description="A winner needs p below this (0.001 to 0.1)")
    min_sample: StrictInt = Field(1000, description="Accounts reached each variant needs "
                                  "before a winner can be declared")
    no_winner: Literal["first", "best", "stop"] = Field(
        "stop", description="When nothing wins: send variant A, the best so far, or nothing")
    route: Literal["tags_not", "buckets"] = Field(
        "tags_not", description="tags_not: the winner goes with timpush/push to everyone else "
        "in the audience; buckets: with im_push to the buckets no variant used")


class ArmOut(Schema):
    label: str
    reached: int
    clicks: int
    rate: float
    low: float
    high: float


class ExperimentVariantOut(Schema):
    label: str
    buckets: list[int]
    title: str
    text: str
    image: str
    ext: str
    push: int | None
    push_status: str | None


class ExperimentOut(Schema):
    campaign: int
    status: str
    status_text: str
    variants: list[ExperimentVariantOut]
    wait_minutes: int
    significance: float
    min_sample: int
    no_winner: str
    route: str
    send_at: dt.datetime | None
    winner_push: int | None
    cost: str
    decision: dict[str, Any] | None
    decided_at: dt.datetime | None
    decision_text: str
    figures: list[ArmOut] | None = Field(None, description="Live: each variant's accounts "
                                         "reached, clicks and click rate with its interval")
    p_value: float | None = None


@router.post("/campaigns/{int:pk}/ab-test/", response={201: ExperimentOut, **ERRORS},
             operation_id="campaign_ab_test")
def campaign_ab_test(request, pk: int, body: ExperimentIn):
    """Send a draft as an A/B test: each variant to its buckets at the send time, the winner to
    everyone else after the wait. Booked at once (every push or none), or, with approval on,
    kept on the draft until it is approved."""
    given = body.model_dump()
    experiment = campaign_experiments.experiment_plan(
        campaign=_campaign(request, pk), user=request.user, variants=given["variants"], wait_minutes=body.wait_minutes,
        significance=body.significance, min_sample=body.min_sample, no_winner=body.no_winner,
        route=body.route, send_at=send_at_of(body.send_at))
    return Status(201, campaign_experiments.experiment_json(experiment))


@router.post("/campaigns/{int:pk}/ab-test/cancel/", response={200: ExperimentOut, **ERRORS},
             operation_id="campaign_ab_test_cancel")
def campaign_ab_test_cancel(request, pk: int):
    experiment = Experiment.objects.filter(campaign=_campaign(request, pk)).first()
    if experiment is None:
        return error(request, 404, _("This campaign has no A/B test"))
    return campaign_experiments.experiment_json(
        campaign_experiments.experiment_cancel(experiment=experiment, user=request.user))


@router.get("/campaigns/{int:pk}/ab-test/", response={200: ExperimentOut, **ERRORS},
            operation_id="campaign_ab_test_read")
def campaign_ab_test_read(request, pk: int):
    """The A/B test: its plan, pushes, live figures (accounts reached, clicks, click rate and
    its interval per variant, the p-value on them) and, once made, its decision."""
    campaign = _campaign(request, pk)
    experiment = Experiment.objects.filter(campaign=campaign).first()
    if experiment is None:
        return error(request, 404, _("This campaign has no A/B test"))
    data = campaign_experiments.experiment_json(experiment)
    if experiment.status != Experiment.Status.PLANNED:
        live = experiments.live_result(experiment)
        data["figures"] = [{k: arm[k] for k in ("label", "reached", "clicks", "rate", "low",
                                                "high")} for arm in live["arms"]]
        data["p_value"] = live["p_value"]
    return data


# --- one campaign, several languages -------------------------------------------------------

class VersionIn(Strict):
    language: str = Field(max_length=35, description="A language tag: zh-Hans, en, pt-BR")
    title: str = Field("", max_length=2000, description="The push's title in that language; "
                       "empty: the campaign's own")
    text: str = Field("", max_length=2000, description="The push text and the message's text")
    image: str = Field("", max_length=2000, description="An https picture (iOS)")
    ext: str = Field("", max_length=2000, description="Custom data")


class LanguagesIn(Strict):
    by: Literal["tags", "attr"] = Field("tags", description="tags: accounts carry "
                                        "LANGUAGE_TAG_PREFIX + the language (lang:zh-Hans); "
                                        "attr: an attribute holds the language")
    attribute: str = Field("", max_length=50, description="With by=attr, the attribute's name")
    versions: list[VersionIn] = Field(description="1 to 10 versions, one per language")
    default: Literal["tags_not", "none"] = Field(
        "tags_not", description="tags_not: everyone else gets the campaign's own message "
        "(timpush/push, TagsNot); none: nobody else gets a push")
    send_at: str | None = Field(None, description=SEND_AT_HELP + "; absent: the campaign's "
                                "send time")


class LanguagePushOut(Schema):
    language: str = Field(description='A version\'s language, or "*" for everyone else')
    campaign: int
    status: str
    sent: int
    delivered: int
    clicked: int


class LanguagesOut(Schema):
    campaign: int
    status: str
    plan: dict[str, Any]
    cost: str
    pushes: list[LanguagePushOut]


def _languages_json(campaign: Campaign) -> dict:
    pushes = list(campaign.buckets.exclude(language="").order_by("language"))
    figures = selectors.report_summaries(pushes)
    plan = languages.plan_view(campaign)
    return {"campaign": campaign.pk, "status": campaign.status, "plan": campaign.language_plan,
            "cost": plan["cost_words"] if plan else "",
            "pushes": [{"language": p.language, "campaign": p.pk, "status": p.status,
                        **(figures.get(p.pk) or {"sent": 0, "delivered": 0, "clicked": 0})}
                       for p in pushes]}


@router.post("/campaigns/{int:pk}/languages/", response={201: LanguagesOut, **ERRORS},
             operation_id="campaign_languages")
def campaign_languages(request, pk: int, body: LanguagesIn):
    """Send a draft as one push per language and, for everyone else, its own message: booked
    at once (every push or none), or, with approval on, kept on the draft until approved."""
    campaign = languages.languages_plan(
        campaign=_campaign(request, pk), user=request.user, by=body.by, key=body.attribute,
        versions=body.model_dump()["versions"], default=body.default,
        send_at=send_at_of(body.send_at))
    return Status(201, _languages_json(campaign))


@router.get("/campaigns/{int:pk}/languages/", response={200: LanguagesOut, **ERRORS},
            operation_id="campaign_languages_read")
def campaign_languages_read(request, pk: int):
    """The language versions: the plan, its cost, and each language's push with its figures."""
    campaign = _campaign(request, pk)
    if not campaign.language_plan:
        return error(request, 404, _("This campaign has no language versions"))
    return _languages_json(campaign)


@router.post("/campaigns/{int:pk}/languages/cancel/", response={200: LanguagesOut, **ERRORS},
             operation_id="campaign_languages_cancel")
def campaign_languages_cancel(request, pk: int):
    campaign = languages.languages_cancel(campaign=_campaign(request, pk), user=request.user)
    return _languages_json(campaign)
