"""Dashboard pages (server-rendered)."""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audience.selectors import attribute_names, audience_reach
from core import roles
from core.errors import InvalidInput, TransitionRefused
from core.models import ApiToken
from core.text import unsafe_text_errors
from core.times import parse_day, parse_local, parse_month
from core.tokens import token_create, token_revoke
from pushclient import explain
from pushclient.payload import ELEMENT_FIELDS, IMAGE_INFO_FIELDS

from . import selectors, services
from .forms import TIMEZONES, CampaignForm
from .middleware import remember_preferences
from .models import Campaign, Preference
from .quota import quota_day_of, quota_read
from .team_selectors import campaign_team_context, home_team_context, quiet_hours_words


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
    return render(request, "campaigns/home.html", {**selectors.home_overview(),
                                                   **home_team_context(request.user)})


def _query_errors(request, exc: InvalidInput) -> None:
    for problems in exc.errors.values():
        for problem in problems:
            messages.error(request, problem)


def _query_text(request, key: str) -> str:
    """A free-text query parameter, or "" (with a message) when it holds unusable characters."""
    value = request.GET.get(key, "").strip()[:200]
    errors = unsafe_text_errors(value, key)
    if errors:
        _query_errors(request, InvalidInput(errors))
        return ""
    return value


@marketer_required
def campaign_list(request):
    status = request.GET.get("status", "")
    status = status if status in Campaign.Status.values else ""
    day = None
    if request.GET.get("day"):
        try:
            day = parse_day(request.GET["day"])
        except InvalidInput as exc:
            _query_errors(request, exc)
    search = _query_text(request, "q")
    query = selectors.campaign_list(status=status, day=day, search=search)
    page = Paginator(query, 25).get_page(request.GET.get("page"))
    return render(request, "campaigns/list.html", {
        "page": page, "status": status, "day": day.isoformat() if day else "", "q": search,
        "statuses": Campaign.Status.choices})


def _editor_context(form, campaign=None) -> dict:
    return {"form": form, "campaign": campaign,
            "element_fields": ELEMENT_FIELDS, "image_info_fields": IMAGE_INFO_FIELDS,
            "rule_errors": form.rule_errors, "quiet_hours": quiet_hours_words()}


def _save(request, form, campaign=None):
    """Create or update from a valid form in one service call; its errors come back onto the
    form. An edit books the campaign again only when its time was changed."""
    data = form.cleaned_data
    try:
        if campaign is None:
            return services.campaign_create(
                user=request.user, name=data["name"], push=form.push, tz=data["send_tz"],
                allow_late=data["allow_late"], send_at=data["send_at"],
                quiet_hours=data["quiet_hours"] or "refuse")
        return services.campaign_update(
            campaign=campaign, user=request.user, name=data["name"], push=form.push,
            allow_late=data["allow_late"], tz=data["send_tz"],
            quiet_hours=data["quiet_hours"] or None,
            send_at=data["send_at"] if form.schedule_changed() else services.UNSET)
    except InvalidInput as exc:
        form.add_rule_errors(exc.errors)
        return None


@marketer_required
def campaign_create(request):
    tz = request.session.get("pref_timezone", settings.TIME_ZONE)
    form = CampaignForm(request.POST or None, attr_names=attribute_names(),
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
    if not request.GET.get("at"):
        return JsonResponse(quota_read())
    try:
        moment = parse_local(request.GET["at"], request.GET.get("tz", "UTC"), field="at",
                             zone_field="tz")
    except InvalidInput as exc:
        return JsonResponse({"error": _("Invalid input"), "errors": exc.errors}, status=400)
    return JsonResponse(quota_read(quota_day_of(moment)))


@marketer_required
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related("created_by"), pk=pk)
    attempts = [(a, explain(a.error_code, a.error_info) if a.error_code else "")
                for a in campaign.attempts.all()]
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "attempts": attempts,
        "events": selectors.campaign_timeline(campaign),
        "request_json": json.dumps({"MsgRandom": campaign.msg_random, **campaign.push},
                                   ensure_ascii=False, indent=2),
        **campaign_team_context(campaign)})


ACTIONS = {
    "cancel": lambda c, u, _: services.campaign_cancel(campaign=c, user=u),
    "send-now": lambda c, u, _: services.campaign_send_now(campaign=c, user=u),
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
    try:
        if action == "reschedule":
            send_at = parse_local(request.POST.get("send_at_local", ""), campaign.timezone,
                                  field="send_at_local")
        result = ACTIONS[action](campaign, request.user, send_at)
    except (TransitionRefused, InvalidInput) as exc:
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
    year, month = today.year, today.month
    if request.GET.get("month"):
        try:
            year, month = parse_month(request.GET["month"])
        except InvalidInput as exc:
            _query_errors(request, exc)
    return render(request, "campaigns/calendar.html", selectors.calendar_month(year, month))


NEW_TOKEN_KEY = "new_token"


@marketer_required
def tokens(request):
    """Create and revoke tokens; each POST redirects, so a reload never makes a second token.
    A new token is shown once, from the session, then forgotten."""
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = request.POST["revoke"]
            token = get_object_or_404(ApiToken, pk=int(revoke) if revoke.isdigit() else 0,
                                      user=request.user)
            token_revoke(token=token, user=request.user)
            messages.success(request, _("Token revoked."))
            return redirect("tokens")
        name = request.POST.get("name", "").strip()[:100]
        if unsafe_text_errors(name, "name"):
            messages.error(request, _("The name holds characters that cannot be stored"))
            return redirect("tokens")
        _token, raw = token_create(user=request.user, name=name or "script")
        request.session[NEW_TOKEN_KEY] = raw
        return redirect("tokens")
    return render(request, "campaigns/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "new_token": request.session.pop(NEW_TOKEN_KEY, None)})


@role_required(roles.is_admin)
def audit(request):
    filters = {"actor": _query_text(request, "actor"), "kind": request.GET.get("kind", "")}
    for key in ("since", "until"):
        filters[key] = None
        if request.GET.get(key):
            try:
                filters[key] = parse_day(request.GET[key], field=key)
            except InvalidInput as exc:
                _query_errors(request, exc)
    page = Paginator(selectors.audit_events(**filters), 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/audit.html", {
        "page": page, "rows": selectors.audit_rows(page.object_list), "filters": filters,
        "kinds": selectors.AUDIT_KINDS})


@marketer_required
@require_POST
def preferences(request):
    preference, _created = Preference.objects.get_or_create(user=request.user)
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        preference.language = language
    zone = request.POST.get("timezone")
    if zone in TIMEZONES:  # the editor's list, every one a real zone
        preference.timezone = zone
    preference.save()
    remember_preferences(request, preference)
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}):
        return redirect("home")  # redirect() would read any other word as a view's name
    return HttpResponseRedirect(target)
