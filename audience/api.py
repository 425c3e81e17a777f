"""The audience part of the JSON API: an app's attribute names, bulk jobs, and reach. Each
request names its app ("app" in a body, ?app= in a query; none: the default app, or the
person's only one); a job of an app the person does not work in is not found."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Status, Body, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from core.api import ERRORS as API_ERRORS
from core.api import UNAVAILABLE_ERRORS
from core.payload_words import explain_words, words_by_field
from core.text import items_from_text, json_or_error
from core.api import ErrorOut, admin_auth, error
from core.current_app import app_named, mine
from pushclient import TencentError
from pushclient.payload import condition_violations

from . import services
from .buckets import accounts_without_bucket, bucket_job_active, bucket_sizes, buckets_assign
from .buckets import buckets_assign_words
from .models import Job, Segment
from .selectors import attribute_names, audience_reach
from .services import AudienceInvalid, RenameNeedsConfirmation

router = Router(tags=["audience"])
Action = Literal["add_tags", "remove_tags", "remove_all_tags", "set_attrs", "remove_attrs"]
# A job's action as read back: bucket jobs are started by POST /audience/buckets/ only.
JobAction = Literal["add_tags", "remove_tags", "remove_all_tags", "set_attrs", "remove_attrs",
                    "assign_buckets"]
ApiFamily = Literal["all_member_push", "timpush"]


ERRORS = {**API_ERRORS, 502: ErrorOut}
APP_HELP = "The app's short name (GET /api/apps/); none: the default app, or your only one"


class SegmentRef(Schema):
    id: int
    name: str
    status: str = Field(description="importing, ready or failed (large files import in a worker)")
    bytes_read: int
    bytes_total: int
    error: dict[str, list[str]] = Field(description="{field: [message]} when the import failed")


class JobOut(Schema):
    id: int
    app: str = Field(description="The app's short name")
    action: JobAction
    api: ApiFamily
    status: str
    total: int
    done: int
    failed: int
    calls: int
    segment: SegmentRef
    tags: list[str]
    attrs: dict[str, Any]
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    invalid_lines: list[list[Any]] | None = None


class JobIn(Schema):
    model_config = ConfigDict(extra="forbid")
    app: str | None = Field(None, max_length=40, description=APP_HELP)
    action: Action
    accounts: list[str] = Field(min_length=1, description="Account ids, one job for all")
    tags: list[str] | None = None
    attrs: dict[str, Any] | list[str] | None = Field(
        None, description="set_attrs: {name: value}; remove_attrs: [name, ...]")
    api: ApiFamily = "all_member_push"


class BucketSize(Schema):
    bucket: int
    tag: str = Field(description="The bucket's tag, e.g. ab:3")
    accounts: int = Field(description="Known accounts carrying the tag")


class BucketsOut(Schema):
    app: str = Field(description="The app's short name")
    prefix: str = Field(description="EXPERIMENT_BUCKET_PREFIX: a bucket's tag is the prefix "
                                    "and its number")
    count: int = Field(description="EXPERIMENT_BUCKETS: buckets 0 to count - 1")
    sizes: list[BucketSize]
    without_bucket: int = Field(description="Known accounts that carry no bucket tag yet")
    active_job: int | None = Field(description="The bucket job under way, if any "
                                               "(GET /api/audience/jobs/{id}/)")


class BucketsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    app: str | None = Field(None, max_length=40, description=APP_HELP)


class ReachIn(Schema):
    app: str | None = Field(None, max_length=40, description=APP_HELP)
    Condition: dict[str, Any] | None = None


class ReachOut(Schema):
    known: int
    matching: int


def job_json(job: Job, segment: Segment | None = None) -> dict:
    segment = segment or job.segment
    body = {"id": job.pk, "app": job.app.slug, "action": job.action, "api": job.api,
            "status": job.status,
            "total": job.total, "done": job.done, "failed": job.failed, "calls": job.calls,
            "segment": {"id": segment.pk, "name": segment.name, "status": segment.status,
                        "bytes_read": segment.bytes_read, "bytes_total": segment.bytes_total,
                        "error": segment.error_words()},
            "tags": job.tags, "attrs": job.attrs, "started_at": job.started_at,
            "finished_at": job.finished_at}
    return body


@router.get("/attribute-names/", auth=admin_auth, response={200: dict[str, str], **ERRORS})
def attr_names_read(request, app: str | None = Query(None, max_length=40, description=APP_HELP)):
    """The app's attribute names by index (Tencent allows each app ten)."""
    return attribute_names(app_named(request, app))


@router.put("/attribute-names/", auth=admin_auth, response={200: dict[str, str], **ERRORS})
def attr_names_update(request, body: Body[dict[str, Any]]):
    """Set an app's names by index, e.g. {"0": "sex", "1": "city"}; add "confirm_rename": true
    to rename an index that already has a name, and "app": its short name for an app other
    than the default one."""
    names = {k: v for k, v in body.items() if k not in ("confirm_rename", "app")}
    app = app_named(request, None if body.get("app") is None else str(body["app"]))
    try:
        services.attribute_names_update(user=request.user, names=names, app=app,
                                        confirm_rename=body.get("confirm_rename") is True)
    except RenameNeedsConfirmation as exc:
        return error(request, 409, str(exc))
    except TencentError as exc:
        return error(request, 502, _("Tencent refused the names: %(why)s (error %(code)s)")
                     % {"why": explain_words(exc.code, exc.info), "code": exc.code})
    return attribute_names(app)


def _start(request, *, app, action, tags, attrs, api, make_segment):
    """A segment of the app and the job on it, in one transaction: a refused job leaves no
    segment behind."""
    app = app_named(request, app)
    with transaction.atomic():
        segment = make_segment(user=request.user, name=f"API upload for {action}", app=app)
        job = services.job_create(user=request.user, action=action, segment=segment,
                                  tags=tags, attrs=attrs, api=api)
    return Status(202, {**job_json(job, segment), "invalid_lines": segment.invalid_lines_words()})


@router.post("/audience/jobs/", auth=admin_auth,
             response={202: JobOut, **ERRORS, **UNAVAILABLE_ERRORS})
def job_create(request, body: JobIn):
    """Apply one action to the listed accounts of an app, in calls of at most 100."""
    return _start(request, app=body.app, action=body.action, tags=body.tags, attrs=body.attrs,
                  api=body.api,
                  make_segment=functools.partial(services.segment_import,
                                                 lines=iter(body.accounts)))


@router.post("/audience/jobs/upload/", auth=admin_auth,
             response={202: JobOut, **ERRORS, **UNAVAILABLE_ERRORS})
def job_upload(request, action: Form[Action], accounts_file: File[UploadedFile],
               tags: Form[list[str]] = None, attrs: Form[str] = None,
               column: Form[str] = None, api: Form[ApiFamily] = "all_member_push",
               app: Form[str] = None):
    """The same with the accounts in a file: one per line, or CSV with `column` naming the
    column (by header or number) that holds them; `tags` as in the admin form, separated as
    core.text.LIST_SEPARATORS says (the field may be repeated); `attrs` is JSON text."""
    if attrs:
        attrs = json_or_error(attrs, field="attrs",
                              invalid=_('attrs must be JSON, e.g. {"city": "Shenzhen"}'))
    return _start(request, app=app, action=action, tags=items_from_text(*(tags or [])),
                  attrs=attrs, api=api,
                  make_segment=functools.partial(services.segment_upload, uploaded=accounts_file,
                                                 column=column or None))


@router.get("/audience/jobs/{int:pk}/", auth=admin_auth, response={200: JobOut, **ERRORS})
def job_read(request, pk: int):
    return job_json(mine(request, Job.objects.select_related("segment", "app"), pk=pk))


@router.get("/audience/buckets/", auth=admin_auth, response={200: BucketsOut, **ERRORS})
def buckets_read(request, app: str | None = Query(None, max_length=40, description=APP_HELP)):
    """The app's A/B buckets: each bucket's known accounts (from what this product tagged),
    how many known accounts have none yet, and the bucket job under way."""
    app = app_named(request, app)
    active = bucket_job_active(app)
    return {"app": app.slug, "prefix": settings.EXPERIMENT_BUCKET_PREFIX,
            "count": settings.EXPERIMENT_BUCKETS,
            "sizes": [{"bucket": n, "tag": f"{settings.EXPERIMENT_BUCKET_PREFIX}{n}",
                       "accounts": size} for n, size in bucket_sizes(app).items()],
            "without_bucket": accounts_without_bucket(app),
            "active_job": active.pk if active else None}


@router.post("/audience/buckets/", auth=admin_auth,
             response={202: JobOut, **ERRORS, **UNAVAILABLE_ERRORS})
def buckets_start(request, body: BucketsIn):
    """Start a job that gives each known account of the app without a bucket tag its own
    (the tag its account id draws), 100 accounts a call at the jobs' rate; follow it with
    GET /api/audience/jobs/{id}/. The body is {} for the default app (or your only one), or
    {"app": its short name}. 409 when every known account has a bucket, or while another
    bucket job of the app is under way."""
    app = app_named(request, body.app)
    job = buckets_assign(user=request.user, app=app)
    if job is None:
        return error(request, 409, buckets_assign_words(None))
    return Status(202, job_json(job))


@router.post("/audience/reach/", response={200: ReachOut, **ERRORS})
def reach(request, body: ReachIn):
    """How many of an app's known accounts a Condition reaches (known: those this product
    tagged)."""
    app = app_named(request, body.app)
    if body.Condition is not None:
        violations = condition_violations(body.Condition,
                                          attr_names=attribute_names(app).values())
        if violations:
            raise AudienceInvalid(words_by_field(violations))
    return audience_reach(body.Condition, app=app)
