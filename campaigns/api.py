"""The campaigns part of the JSON API: tokens, campaigns and their actions, the quota. The rules
and messages are the services', the same as the dashboard's."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from ninja import Status, Field, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, StrictInt

from core import roles
from core.current_app import app_named, mine
from core.api import ERRORS, UNAVAILABLE_ERRORS, UPSTREAM_ERRORS, admin_auth, error
from core.times import parse_day, parse_iso_aware
from core.tokens import token_create
from core.payload_words import explain_words as explain

from . import approval, services
from .models import Campaign
from .quota import quota_limit_set, quota_summary
from .recall import campaign_recall, recall_deadline
from .tester_sends import campaign_test_send, test_send_json
from core.security import authenticate_serially, lockout_response

router = Router(tags=["campaigns"])
StatusName = Literal["draft", "scheduled", "sending", "sent", "failed", "cancelled", "needs_review",
                     "recalled", "split", "pending_approval", "approved", "ab_test", "held"]
PUSH_HELP = ("The im_push body without MsgRandom: MsgBody, and optionally Condition, "
             "OfflinePushInfo, MsgLifeTime, From_Account (Tencent's field names).")
SEND_AT_HELP = "ISO 8601 with an offset, e.g. 2026-11-23T09:30:00+08:00"
APP_HELP = ("The app's short name (GET /api/apps/); none: the default app, or your only one")


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class TokenIn(Strict):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    name: str = Field("api", max_length=100)


class TokenOut(Schema):
    token: str


class CampaignIn(Strict):
    app: str | None = Field(None, max_length=40, description=APP_HELP)
    name: str
    push: dict[str, Any] = Field(description=PUSH_HELP)
    send_at: str | None = Field(None, description=SEND_AT_HELP + "; null or absent: a draft")
    timezone: str | None = Field(None, description="IANA zone the campaign is planned in")
    allow_late: StrictBool = False


class CampaignPatch(Strict):
    name: str | None = None
    push: dict[str, Any] | None = Field(None, description=PUSH_HELP)
    send_at: str | None = Field(None, description=SEND_AT_HELP + "; books the campaign")
    timezone: str | None = None
    allow_late: StrictBool | None = None


class ScheduleIn(Strict):
    send_at: str = Field(description=SEND_AT_HELP)


class AttemptOut(Schema):
    msg_random: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: str
    error_code: int | None
    error_info: str
    explanation: str
    task_id: str


class CampaignOut(Schema):
    id: int
    app: str = Field(description="The app's short name")
    name: str
    status: StatusName
    status_reason: str = Field(description="A code; see status_reason_text for the words")
    status_reason_text: str
    send_at: dt.datetime | None
    due_at: dt.datetime | None
    sent_at: dt.datetime | None
    task_id: str
    timezone: str
    allow_late: bool
    push: dict[str, Any]
    recallable_until: dt.datetime | None = Field(
        None, description="While sent: until when POST .../recall/ can recall it (24 h)")
    attempts: list[AttemptOut] | None = None


class CampaignPage(Schema):
    count: int
    page: int
    pages: int
    results: list[CampaignOut]


class QuotaOut(Schema):
    app: str = Field(description="The app's short name")
    day: dt.date
    limit: int
    used: int
    booked: int
    remaining: int
    test_sends: int = Field(description="Test sends made that day, counted apart")
    test_sends_use_quota: bool = Field(description="Whether they are also in `used` "
                                                   "(PUSH_TEST_SENDS_USE_QUOTA)")
    resets_at: dt.datetime


class QuotaIn(Strict):
    app: str | None = Field(None, max_length=40, description=APP_HELP)
    limit: StrictInt = Field(description="Pushes a quota day allows, as bought in Tencent's console")


class TestSendIn(Strict):
    accounts: list[str] | None = Field(
        None, description="A few account ids typed in: 1 to TEST_SEND_TYPED_ACCOUNTS (10 by "
                          "default); more go in a test group")
    group: StrictInt | None = Field(None, description="The id of one of the team's test groups")


class AccountResultOut(Schema):
    account: str
    code: int = Field(description="0: Tencent took it; 70107: no such account; …")
    info: str
    words: str


class TestSendOut(Schema):
    id: int
    campaign: int
    outcome: Literal["in_flight", "ok", "refused", "unknown"]
    task_id: str
    data_id: str
    push_digest: str = Field(description="sha256 of the campaign's push value that was sent")
    current_version: bool
    accounts: int
    reached: int
    error_code: int | None
    explanation: str
    results: list[AccountResultOut]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    sent_by: str


class RecallIn(Strict):
    OfflinePushInfo: dict[str, Any] = Field(
        description="The replacement notification: Title and Desc (required), and any other "
                    "OfflinePushInfo field")




def campaign_json(campaign: Campaign, *, with_attempts: bool = True) -> dict:
    data = {
        "id": campaign.pk, "app": campaign.app.slug, "name": campaign.name,
        "status": campaign.status,
        "status_reason": campaign.status_reason,
        "status_reason_text": campaign.status_reason_text,
        "send_at": campaign.send_at, "due_at": campaign.due_at, "sent_at": campaign.sent_at,
        "task_id": campaign.task_id, "timezone": campaign.timezone,
        "allow_late": campaign.allow_late, "push": campaign.push,
        "recallable_until": recall_deadline(campaign),
    }
    if with_attempts:
        data["attempts"] = [{
            "msg_random": a.msg_random, "started_at": a.started_at,
            "finished_at": a.finished_at, "outcome": a.outcome, "error_code": a.error_code,
            "error_info": a.error_info,
            "explanation": explain(a.error_code, a.error_info) if a.error_code else "",
            "task_id": a.task_id,
        } for a in campaign.attempts.all()]
    return data


def send_at_of(value: str | None):
    return None if value is None else parse_iso_aware(value, field="send_at")


@router.post("/token/", auth=None, response={201: TokenOut, **ERRORS})
def token(request, body: TokenIn):
    """Trade a username and password for an API token (shown once; stored hashed)."""
    try:
        user = authenticate_serially(request, username=body.username, password=body.password)
    except PermissionDenied:  # axes: locked out; say so instead of "wrong password"
        return lockout_response(request)
    if user is None or not roles.is_marketer(user):
        return error(request, 400, _("username and password do not match an account allowed "
                                     "to use the API"))
    _token, raw = token_create(user=user, name=body.name)
    return Status(201, {"token": raw})


@router.get("/campaigns/", response={200: CampaignPage, **ERRORS})
def campaign_list(request, status: StatusName | None = None,
                  page: int = Query(1, ge=1, le=1_000_000),
                  app: str | None = Query(None, max_length=40, description=APP_HELP)):
    query = Campaign.objects.filter(app=app_named(request, app)).select_related("app").order_by(
        "-created_at", "-id")
    if status:
        query = query.filter(status=status)
    found = Paginator(query, 50).get_page(page)
    return {"count": found.paginator.count, "page": found.number,
            "pages": found.paginator.num_pages,
            "results": [campaign_json(c, with_attempts=False) for c in found]}


def _links(*operations: str) -> dict:
    """OpenAPI links from a campaign answer to what can be done with it next (the stateful
    fuzzer follows them: create -> patch -> schedule -> cancel)."""
    return {"responses": {201: {
        "description": "Created",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CampaignOut"}}},
        "links": {op: {"operationId": op, "parameters": {"pk": "$response.body#/id"}}
                  for op in operations}}}}


CAMPAIGN_NEXT = ("campaign_read", "campaign_update", "campaign_schedule", "campaign_send_now",
                 "campaign_cancel")


@router.post("/campaigns/", response={201: CampaignOut, **ERRORS},
             operation_id="campaign_create", openapi_extra=_links(*CAMPAIGN_NEXT))
def campaign_create(request, body: CampaignIn):
    campaign = services.campaign_create(
        user=request.user, app=app_named(request, body.app), name=body.name, push=body.push,
        send_at=send_at_of(body.send_at), tz=body.timezone, allow_late=body.allow_late)
    return Status(201, campaign_json(campaign))


@router.get("/campaigns/{int:pk}/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_read")
def campaign_read(request, pk: int):
    return campaign_json(mine(request, Campaign.objects.select_related("app"), pk=pk))


@router.patch("/campaigns/{int:pk}/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_update")
def campaign_update(request, pk: int, body: CampaignPatch):
    """Change any of the fields; with send_at, book it too. All or nothing."""
    given = body.model_dump(exclude_unset=True)
    send_at = send_at_of(given.get("send_at"))
    campaign = services.campaign_update(
        campaign=mine(request, Campaign.objects.select_related("app"), pk=pk), user=request.user,
        name=given.get("name"), push=given.get("push"), allow_late=given.get("allow_late"),
        tz=given.get("timezone"), send_at=send_at if send_at is not None else services.UNSET)
    return campaign_json(campaign)


@router.post("/campaigns/{int:pk}/schedule/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_schedule")
def campaign_schedule(request, pk: int, body: ScheduleIn):
    campaign = services.campaign_schedule(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk),
                                          user=request.user, send_at=send_at_of(body.send_at))
    return campaign_json(campaign)


@router.post("/campaigns/{int:pk}/send-now/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_send_now")
def campaign_send_now(request, pk: int):
    campaign = services.campaign_send_now(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk),
                                          user=request.user)
    return campaign_json(campaign)


@router.post("/campaigns/{int:pk}/cancel/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_cancel")
def campaign_cancel(request, pk: int):
    campaign = services.campaign_cancel(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk),
                                        user=request.user)
    return campaign_json(campaign)


class CopyIn(Strict):
    app: str = Field(max_length=40, description="The short name of the app to copy it to")


@router.post("/campaigns/{int:pk}/copy/", response={201: CampaignOut, **ERRORS},
             operation_id="campaign_copy")
def campaign_copy(request, pk: int, body: CopyIn):
    """A draft of the campaign in another of your apps (tried on staging, sent from
    production), to be scheduled and approved there."""
    campaign = services.campaign_copy_to_app(
        campaign=mine(request, Campaign.objects.select_related("app"), pk=pk),
        user=request.user, app=app_named(request, body.app))
    return Status(201, campaign_json(campaign))


@router.post("/campaigns/{int:pk}/test/",
             response={201: TestSendOut, **UPSTREAM_ERRORS, **UNAVAILABLE_ERRORS},
             operation_id="campaign_test_send")
def campaign_test(request, pk: int, body: TestSendIn):
    """Send the campaign's offline push to a test group or a few typed accounts, now
    (v4/timpush/batch, DataId "test:<id>"); per account what Tencent answered. Each person and
    the team have a daily number of test-send accounts (TEST_SEND_ACCOUNTS_PER_PERSON_DAY,
    TEST_SEND_ACCOUNTS_PER_DAY)."""
    test = campaign_test_send(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk), user=request.user,
                              accounts=body.accounts, group=body.group)
    return Status(201, test_send_json(test))


@router.post("/campaigns/{int:pk}/recall/",
             response={200: CampaignOut, **UPSTREAM_ERRORS, **UNAVAILABLE_ERRORS},
             operation_id="campaign_recall")
def campaign_recall_endpoint(request, pk: int, body: RecallIn):
    """Within 24 h of sending: stop delivery and replace the shown notification with this one
    (Xiaomi, OPPO, vivo and Meizu keep theirs). The campaign becomes `recalled`."""
    campaign = campaign_recall(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk), user=request.user,
                               offline_push_info=body.OfflinePushInfo)
    return campaign_json(campaign)


# --- approval (CAMPAIGN_APPROVAL=1; campaigns/approval.py) ---------------------------------


class SendBackIn(Strict):
    comment: str = Field(max_length=1000, description="What should change")


@router.post("/campaigns/{int:pk}/submit/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_submit")
def campaign_submit(request, pk: int):
    campaign = approval.campaign_submit(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk),
                                        user=request.user)
    return campaign_json(campaign)


@router.post("/campaigns/{int:pk}/approve/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_approve")
def campaign_approve(request, pk: int):
    """Approvers and admins. A campaign with a future send_at is booked at once; if it cannot be
    (a full day, quiet hours), it stays approved, to be booked with /schedule/ or /send-now/."""
    campaign = mine(request, Campaign.objects.select_related("app"), pk=pk)
    approval.campaign_approve(campaign=campaign, user=request.user)
    campaign.refresh_from_db()
    return campaign_json(campaign)


@router.post("/campaigns/{int:pk}/send-back/", response={200: CampaignOut, **ERRORS},
             operation_id="campaign_send_back")
def campaign_send_back(request, pk: int, body: SendBackIn):
    campaign = approval.campaign_send_back(campaign=mine(request, Campaign.objects.select_related("app"), pk=pk),
                                           user=request.user, comment=body.comment)
    return campaign_json(campaign)


@router.get("/quota/", response={200: QuotaOut, **ERRORS})
def quota(request, day: str | None = Query(None, description="A quota day, e.g. 2026-11-23"),
          app: str | None = Query(None, max_length=40, description=APP_HELP)):
    return quota_summary(parse_day(day) if day is not None else None, app_named(request, app))


@router.put("/quota/", response={200: QuotaOut, **ERRORS}, auth=admin_auth)
def quota_set(request, body: QuotaIn):
    """Admins: an app's daily push limit (after buying more in Tencent's console). Effective at
    once for the dispatcher, bookings and the calendar; audited."""
    app = app_named(request, body.app)
    quota_limit_set(user=request.user, limit=body.limit, app=app)
    return quota_summary(app=app)



