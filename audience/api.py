"""The audience JSON API: attribute names, bulk jobs, and reach."""

import json

from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from campaigns import roles
from campaigns.api import api_view, error
from pushclient import TencentError, explain

from . import services
from .models import Job
from .selectors import attribute_names, audience_reach
from .services import AudienceInvalid, RenameNeedsConfirmation


def job_json(job: Job) -> dict:
    return {"id": job.pk, "action": job.action, "api": job.api, "status": job.status,
            "total": job.total, "done": job.done, "failed": job.failed, "calls": job.calls,
            "segment": {"id": job.segment_id, "name": job.segment.name,
                        "status": job.segment.status, "bytes_read": job.segment.bytes_read,
                        "bytes_total": job.segment.bytes_total, "error": job.segment.error},
            "tags": job.tags, "attrs": job.attrs,
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


@api_view("GET", "PUT", role=roles.is_admin)
def attr_names(request):
    if request.method == "PUT":
        names = {k: v for k, v in request.json.items() if k != "confirm_rename"}
        try:
            services.attribute_names_update(user=request.user, names=names,
                                            confirm_rename=request.json.get("confirm_rename") is True)
        except RenameNeedsConfirmation as exc:
            return error(409, str(exc))
        except TencentError as exc:
            return error(502, f"Tencent refused the names: {explain(exc.code, exc.info)} "
                         f"(error {exc.code})")
    return JsonResponse(attribute_names())


def _multipart_attrs(text: str | None):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise AudienceInvalid({"attrs": ['attrs must be JSON, e.g. {"city": "Shenzhen"}']}) from None


@api_view("POST", role=roles.is_admin)
@transaction.atomic  # a refused job leaves no segment behind
def jobs(request):
    data = request.json or request.POST
    uploaded = request.FILES.get("accounts_file")
    if uploaded is None:
        accounts = request.json.get("accounts")
        if not isinstance(accounts, list) or not accounts:
            raise AudienceInvalid({"accounts": ["accounts must be a non-empty list of account "
                                                "ids, or upload accounts_file"]})
        lines = (a if isinstance(a, str) else "" for a in accounts)
    tags = data.get("tags") if request.json else request.POST.getlist("tags")
    attrs = data.get("attrs") if request.json else _multipart_attrs(request.POST.get("attrs"))
    action = data.get("action")
    if action not in Job.Action.values:
        raise AudienceInvalid({"action": [f"action must be one of {', '.join(Job.Action.values)}"]})
    name, column = f"API upload for {action}", data.get("column") or None
    segment = (services.segment_upload(user=request.user, name=name, uploaded=uploaded,
                                       column=column) if uploaded is not None else
               services.segment_import(user=request.user, name=name, lines=lines, column=column))
    job = services.job_create(user=request.user, action=action, segment=segment, tags=tags,
                              attrs=attrs, api=data.get("api") or "all_member_push")
    body = job_json(job)
    body["invalid_lines"] = segment.invalid_lines
    return JsonResponse(body, status=202)


@api_view("GET", role=roles.is_admin)
def job(request, pk: int):
    return JsonResponse(job_json(get_object_or_404(Job.objects.select_related("segment"), pk=pk)))


@api_view("POST")
def reach(request):
    from pushclient.payload import by_field, condition_violations
    condition = request.json.get("Condition")
    if condition is not None:
        violations = condition_violations(condition, attr_names=attribute_names().values())
        if violations:
            raise AudienceInvalid(by_field(violations))
    return JsonResponse(audience_reach(condition))
