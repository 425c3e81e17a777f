"""Dashboard pages (server-rendered)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audience.selectors import attribute_names, audience_reach
from pushclient import explain
from pushclient.payload import ELEMENT_FIELDS, IMAGE_INFO_FIELDS

from . import roles, selectors, services
from .forms import TIMEZONES, CampaignForm
from .middleware import remember_preferences
from .models import ApiToken, Campaign, Preference
from .quota import quota_day_of, quota_read
from .services import CampaignInvalid, TransitionRefused
from .tokens import token_create, token_revoke


def role_required(check=roles.is_marketer):
    """Anonymous users go to the login page; signed-in users without the role get 403."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


marketer_required = role_required(roles.is_marketer)


@marketer_required
def home(request):
    return render(request, "campaigns/home.html", selectors.home_overview())


@marketer_required
def campaign_list(request):
    status = request.GET.get("status", "")
    day = parse_date(request.GET.get("day", "") or "") if request.GET.get("day") else None
    search = request.GET.get("q", "").strip()
    query = selectors.campaign_list(status=status, day=day, search=search)
    page = Paginator(query, 25).get_page(request.GET.get("page"))
    return render(request, "campaigns/list.html", {
        "page": page, "status": status, "day": request.GET.get("day", ""), "q": search,
        "statuses": Campaign.Status.choices})


def _editor_context(form, campaign=None) -> dict:
    return {"form": form, "campaign": campaign,
            "element_fields": ELEMENT_FIELDS, "image_info_fields": IMAGE_INFO_FIELDS,
            "rule_errors": form.rule_errors}


def _save(request, form, campaign=None):
    """Create or update from a valid form; service errors come back onto the form."""
    data = form.cleaned_data
    try:
        if campaign is None:
            campaign = services.campaign_create(
                user=request.user, name=data["name"], push=form.push, tz=data["send_tz"],
                allow_late=data["allow_late"], attr_names=form.attr_names.values())
        else:
            campaign = services.campaign_update(
                campaign=campaign, user=request.user, name=data["name"], push=form.push,
                allow_late=data["allow_late"], tz=data["send_tz"],
                attr_names=form.attr_names.values())
        if data["send_at"] is not None:
            campaign = services.campaign_schedule(campaign=campaign, user=request.user,
                                                  send_at=data["send_at"])
    except CampaignInvalid as exc:
        form.add_rule_errors(exc.errors)
        return None
    return campaign


@marketer_required
def campaign_create(request):
    names = attribute_names()
    tz = request.session.get("pref_timezone", settings.TIME_ZONE)
    form = CampaignForm(request.POST or None, attr_names=names,
                        initial={"send_tz": tz if tz in TIMEZONES else "Asia/Shanghai"})
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        if campaign:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign-detail", pk=campaign.pk)
    return render(request, "campaigns/editor.html", _editor_context(form))


@marketer_required
def campaign_edit(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    if campaign.status not in Campaign.EDITABLE:
        messages.error(request, _("Only drafts and scheduled campaigns can be edited."))
        return redirect("campaign-detail", pk=pk)
    form = CampaignForm(request.POST or None, attr_names=attribute_names(),
                        initial=CampaignForm.initial_from(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save(request, form, campaign)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
            return redirect("campaign-detail", pk=pk)
        if saved:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign-detail", pk=pk)
    return render(request, "campaigns/editor.html", _editor_context(form, campaign))


@marketer_required
@require_POST
def campaign_preview(request):
    """The exact request body and the rules' verdict, for the editor's live preview."""
    form = CampaignForm(request.POST, attr_names=attribute_names())
    form.is_valid()
    push = getattr(form, "push", {})
    condition_ok = not any(k.startswith("Condition") for k in form.rule_errors)
    reach = audience_reach(push.get("Condition")) if push and condition_ok else None
    return JsonResponse({"request": {"MsgRandom": "<chosen when saved>", **push}, "reach": reach,
                         "errors": form.rule_errors,
                         "form_errors": {k: [str(m) for m in v] for k, v in form.errors.items()}})


@marketer_required
def capacity(request):
    """The quota day a chosen local time falls on, with what remains of it."""
    try:
        local = dt.datetime.fromisoformat(request.GET.get("at", ""))
        moment = local.replace(tzinfo=zoneinfo.ZoneInfo(request.GET.get("tz", "UTC")))
    except (ValueError, KeyError):
        moment = timezone.now()
    return JsonResponse(quota_read(quota_day_of(moment)))


@marketer_required
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related("created_by"), pk=pk)
    attempts = [(a, explain(a.error_code, a.error_info) if a.error_code else "")
                for a in campaign.attempts.all()]
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "attempts": attempts,
        "events": campaign.events.select_related("actor"),
        "request_json": json.dumps({"MsgRandom": campaign.msg_random, **campaign.push},
                                   ensure_ascii=False, indent=2)})


ACTIONS = {
    "cancel": lambda c, u, _: services.campaign_cancel(campaign=c, user=u),
    "send-now": lambda c, u, _: services.campaign_schedule(campaign=c, user=u,
                                                            send_at=timezone.now()),
    "mark-sent": lambda c, u, _: services.campaign_mark_sent(campaign=c, user=u),
    "send-again": lambda c, u, _: services.campaign_send_again(campaign=c, user=u),
    "duplicate": lambda c, u, _: services.campaign_duplicate(campaign=c, user=u),
    "reschedule": lambda c, u, at: services.campaign_schedule(campaign=c, user=u, send_at=at),
}


@marketer_required
@require_POST
def campaign_action(request, pk: int, action: str):
    campaign = get_object_or_404(Campaign, pk=pk)
    if action not in ACTIONS:
        raise PermissionDenied
    send_at = None
    if action == "reschedule":
        try:
            local = dt.datetime.fromisoformat(request.POST.get("send_at_local", ""))
            send_at = local.replace(tzinfo=zoneinfo.ZoneInfo(campaign.timezone))
        except ValueError:
            messages.error(request, _("Pick the date and time to send"))
            return redirect("campaign-detail", pk=pk)
    try:
        result = ACTIONS[action](campaign, request.user, send_at)
    except (TransitionRefused, CampaignInvalid) as exc:
        messages.error(request, str(exc))
        return redirect("campaign-detail", pk=pk)
    if action == "duplicate":
        messages.success(request, _("Copied. This is the new draft."))
        return redirect("campaign-edit", pk=result.pk)
    messages.success(request, _("Done."))
    return redirect("campaign-detail", pk=pk)


@marketer_required
def calendar_view(request):
    today = quota_day_of(timezone.now())
    try:
        year, month = (int(p) for p in request.GET.get("month", "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    return render(request, "campaigns/calendar.html", selectors.calendar_month(year, month))


@marketer_required
def tokens(request):
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token = get_object_or_404(ApiToken, pk=request.POST["revoke"], user=request.user)
            token_revoke(token=token)
            messages.success(request, _("Token revoked."))
            return redirect("tokens")
        _token, new_token = token_create(user=request.user,
                                    name=request.POST.get("name", "").strip() or "script")
    return render(request, "campaigns/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "new_token": new_token})


@role_required(roles.is_admin)
def audit(request):
    return render(request, "campaigns/audit.html", {"rows": selectors.audit_log()})


@marketer_required
@require_POST
def preferences(request):
    preference, _created = Preference.objects.get_or_create(user=request.user)
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        preference.language = language
    zone = request.POST.get("timezone")
    if zone in TIMEZONES:
        preference.timezone = zone
    preference.save()
    remember_preferences(request, preference)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "home"
    return redirect(target)
