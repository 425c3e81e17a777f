"""The JSON API for scripts and integrations: token auth, the same rules and messages as the forms."""

from __future__ import annotations

import functools
import json

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from pushclient import explain

from . import roles, services
from .models import Campaign
from .quota import quota_read
from .security import authenticate_serially
from .services import CampaignInvalid, TransitionRefused
from .tokens import token_create, token_user


def error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def api_view(*methods: str, role=roles.is_marketer, authenticated: bool = True):
    """Method check, token auth, role check, JSON parsing and error mapping, in one place."""
    def decorate(view):
        @csrf_exempt  # token-authenticated: no cookie, so no cross-site request to forge
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return error(405, f"{request.method} is not allowed here; use "
                             f"{' or '.join(methods)}")
            if authenticated:
                scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
                user = token_user(raw.strip()) if scheme in ("Token", "Bearer") and raw else None
                if user is None:
                    return error(401, "Authentication required: send 'Authorization: Token "
                                 "<token>' with a token from POST /api/token/")
                if not role(user):
                    return error(403, "Your role does not allow this")
                request.user = user
            request.json = {}
            is_json = not request.content_type.startswith("multipart/")
            if not is_json:
                try:
                    request.POST, request.FILES  # noqa: B018 - parse now, to answer clearly
                except MultiPartParserError as exc:
                    return error(400, f"The multipart upload could not be read: {exc}")
            if request.method in ("POST", "PATCH", "PUT") and is_json and request.body:
                try:
                    request.json = json.loads(request.body)
                except (ValueError, UnicodeDecodeError):
                    return error(400, "The body is not valid JSON")
                if not isinstance(request.json, dict):
                    return error(400, "The body must be a JSON object")
            try:
                return view(request, *args, **kwargs)
            except CampaignInvalid as exc:
                return JsonResponse({"error": "Invalid input", "errors": exc.errors}, status=400)
            except TransitionRefused as exc:
                return error(409, str(exc))
            except Http404:
                return error(404, f"Nothing at {request.path}: no such id")
        return wrapper
    return decorate


def _send_at(value, *, allow_null: bool):
    if value is None:
        if allow_null:
            return None
        raise CampaignInvalid({"send_at": ["send_at is required"]})
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise CampaignInvalid({"send_at": ["send_at must be an ISO 8601 date and time, e.g. "
                                           "2026-11-23T09:30:00+08:00"]})
    if parsed.tzinfo is None:
        raise CampaignInvalid({"send_at": ["send_at must include a time zone offset, e.g. +08:00"]})
    return parsed


def _bool(data: dict, key: str):
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise CampaignInvalid({key: [f"{key} must be true or false"]})
    return value


def campaign_json(campaign: Campaign, *, with_attempts: bool = True) -> dict:
    data = {
        "id": campaign.pk, "name": campaign.name, "status": campaign.status,
        "status_reason": campaign.status_reason,
        "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
        "due_at": campaign.due_at.isoformat() if campaign.due_at else None,
        "sent_at": campaign.sent_at.isoformat() if campaign.sent_at else None,
        "task_id": campaign.task_id, "timezone": campaign.timezone,
        "allow_late": campaign.allow_late, "push": campaign.push,
    }
    if with_attempts:
        data["attempts"] = [{
            "msg_random": a.msg_random, "started_at": a.started_at.isoformat(),
            "finished_at": a.finished_at.isoformat() if a.finished_at else None,
            "outcome": a.outcome, "error_code": a.error_code, "error_info": a.error_info,
            "explanation": explain(a.error_code, a.error_info) if a.error_code else "",
            "task_id": a.task_id,
        } for a in campaign.attempts.all()]
    return data


@api_view("POST", authenticated=False)
def token(request):
    user = authenticate_serially(request, username=str(request.json.get("username", "")),
                                 password=str(request.json.get("password", "")))
    if user is None or not roles.is_marketer(user):
        return error(400, "username and password do not match an account allowed to use the API")
    _, raw = token_create(user=user, name=str(request.json.get("name", "api")))
    return JsonResponse({"token": raw}, status=201)


@api_view("GET", "POST")
def campaigns(request):
    if request.method == "POST":
        data = request.json
        campaign = services.campaign_create(
            user=request.user, name=data.get("name"), push=data.get("push"),
            send_at=_send_at(data.get("send_at"), allow_null=True),
            tz=data.get("timezone") if isinstance(data.get("timezone"), str) else None,
            allow_late=bool(_bool(data, "allow_late")))
        return JsonResponse(campaign_json(campaign), status=201)
    query = Campaign.objects.order_by("-created_at", "-id")
    status = request.GET.get("status")
    if status:
        if status not in Campaign.Status.values:
            return error(400, f"status must be one of {', '.join(Campaign.Status.values)}")
        query = query.filter(status=status)
    page = Paginator(query, 50).get_page(request.GET.get("page"))
    return JsonResponse({"count": page.paginator.count, "page": page.number,
                         "pages": page.paginator.num_pages,
                         "results": [campaign_json(c, with_attempts=False) for c in page]})


@api_view("GET", "PATCH")
def campaign(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    if request.method == "PATCH":
        data = request.json
        if "send_at" in data and data["send_at"] is not None:
            send_at = _send_at(data["send_at"], allow_null=False)
        else:
            send_at = None
        campaign = services.campaign_update(
            campaign=campaign, user=request.user, name=data.get("name"), push=data.get("push"),
            allow_late=_bool(data, "allow_late"))
        if send_at is not None:
            campaign = services.campaign_schedule(campaign=campaign, user=request.user,
                                                  send_at=send_at)
    return JsonResponse(campaign_json(campaign))


@api_view("POST")
def campaign_cancel(request, pk: int):
    campaign = services.campaign_cancel(campaign=get_object_or_404(Campaign, pk=pk),
                                        user=request.user)
    return JsonResponse(campaign_json(campaign))


@api_view("POST")
def campaign_schedule(request, pk: int):
    campaign = services.campaign_schedule(
        campaign=get_object_or_404(Campaign, pk=pk), user=request.user,
        send_at=_send_at(request.json.get("send_at"), allow_null=False))
    return JsonResponse(campaign_json(campaign))


@api_view("GET")
def quota(request):
    day = request.GET.get("day")
    parsed = parse_date(day) if day else None
    if day and parsed is None:
        return error(400, "day must be a date like 2026-11-23")
    return JsonResponse(quota_read(parsed))


def not_found(request, exception=None):
    """404s under /api/ answer in JSON like the rest of the API; pages keep Django's."""
    if request.path.startswith("/api/"):
        return error(404, f"Nothing at {request.path}: check the URL and the id")
    from django.views.defaults import page_not_found
    return page_not_found(request, exception)
