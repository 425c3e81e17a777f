"""Pages for working as a team: message templates, recurring series, delivery at each user's
local time, and approval. Kept apart from views.py so the editor pages can change on their own."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audience.selectors import attribute_names
from core import roles
from core.errors import InvalidInput, TransitionRefused
from core.text import whole_number
from core.times import is_zone, parse_day

from . import approval, library, local_time, recurring
from .models import Campaign, MessageTemplate, Series
from .permissions import campaign_offers
from .selectors import audience_short
from .states import approval_required
from .team_forms import LocalTimeForm, SeriesForm
from .views import marketer_required, role_required


def _errors_to_messages(request, exc: InvalidInput) -> None:
    for problems in exc.errors.values():
        for problem in problems:
            messages.error(request, problem)


# --- message templates ------------------------------------------------------------------


@marketer_required
def template_list(request):
    rows = [(t, audience_short(t.push.get("Condition"))) for t in library.template_list()]
    return render(request, "campaigns/templates_list.html", {"rows": rows})


@marketer_required
@require_POST
def template_save(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        template = library.template_save(campaign=campaign, user=request.user,
                                         name=request.POST.get("template_name", ""))
    except InvalidInput as exc:
        _errors_to_messages(request, exc)
        return redirect("campaign-detail", pk=pk)
    messages.success(request, _("Saved as the template “%(name)s”.") % {"name": template.name})
    return redirect("template-list")


@marketer_required
@require_POST
def template_use(request, pk: int):
    template = get_object_or_404(MessageTemplate, pk=pk)
    try:
        campaign = library.campaign_from_template(
            template=template, user=request.user,
            tz=request.session.get("pref_timezone", settings.TIME_ZONE))
    except (InvalidInput, TransitionRefused) as exc:
        messages.error(request, str(exc))
        return redirect("template-list")
    messages.success(request, _("A new draft from the template, for its audience: %(audience)s. "
                                "Check it and choose a time.")
                     % {"audience": audience_short(campaign.push.get("Condition"))})
    return redirect("campaign-edit", pk=campaign.pk)


@marketer_required
@require_POST
def template_delete(request, pk: int):
    template = get_object_or_404(MessageTemplate, pk=pk)
    library.template_delete(template=template, user=request.user)
    messages.success(request, _("Template deleted."))
    return redirect("template-list")


# --- recurring series --------------------------------------------------------------------


def _series_form_errors(form, exc: InvalidInput) -> None:
    for field, problems in exc.errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@marketer_required
def series_create(request, pk: int):
    """Repeat this campaign's push and audience on a rule."""
    campaign = get_object_or_404(Campaign, pk=pk)
    tz = request.session.get("pref_timezone", settings.TIME_ZONE)
    zone = campaign.timezone if is_zone(campaign.timezone) else tz
    # Tomorrow where the series runs, not on the server's calendar.
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(zone)) if is_zone(zone) else \
        timezone.localdate()
    form = SeriesForm(request.POST or None, initial={
        "name": campaign.name, "timezone": zone, "local_time": dt.time(9, 0),
        "starts_on": today + dt.timedelta(days=1)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series = recurring.series_create(
                campaign=campaign, user=request.user, rrule=data["rrule"], name=data["name"],
                starts_on=data["starts_on"], local_time=data["local_time"], tz=data["timezone"],
                full_day=data["full_day"])
        except InvalidInput as exc:
            _series_form_errors(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Recurring series saved; its occurrences for the next "
                                        "%(days)d days are booked.")
                             % {"days": settings.RECURRING_HORIZON_DAYS})
            return redirect("series-detail", pk=series.pk)
    return render(request, "campaigns/series_form.html", {
        "form": form, "campaign": campaign, "horizon": settings.RECURRING_HORIZON_DAYS})


@marketer_required
def series_list(request):
    rows = [(s, recurring.rule_words(s)) for s in
            Series.objects.select_related("updated_by").order_by("-created_at")[:200]]
    return render(request, "campaigns/series_list.html", {"rows": rows})


@marketer_required
def series_detail(request, pk: int):
    series = get_object_or_404(Series, pk=pk)
    form = SeriesForm(request.POST or None, initial=SeriesForm.initial_from(series))
    if request.method == "POST" and series.active and form.is_valid():
        data = form.cleaned_data
        try:
            recurring.series_update(
                series=series, user=request.user, rrule=data["rrule"], name=data["name"],
                starts_on=data["starts_on"], local_time=data["local_time"], tz=data["timezone"],
                full_day=data["full_day"])
        except InvalidInput as exc:
            _series_form_errors(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Series saved: future occurrences follow the new rule; "
                                        "those already sent are unchanged."))
            return redirect("series-detail", pk=pk)
    occurrences = series.occurrences.order_by("-occurrence_at", "-id")[:100]
    return render(request, "campaigns/series_detail.html", {
        "series": series, "form": form, "rule_words": recurring.rule_words(series),
        "occurrences": occurrences, "horizon": settings.RECURRING_HORIZON_DAYS,
        "not_sent": recurring.series_not_sent(series).count()})


@marketer_required
@require_POST
def series_end(request, pk: int):
    series = get_object_or_404(Series, pk=pk)
    # Ending cancels every booked occurrence at once: only after the person ticked the box
    # that says how many (a browser without the `required` check still gets here).
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm ending the series; nothing was "
                                  "cancelled."))
        return redirect(f"{reverse('series-detail', args=[pk])}#end-series")
    try:
        recurring.series_end(series=series, user=request.user)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Series ended: occurrences not yet sent are cancelled."))
    return redirect("series-detail", pk=pk)


# --- delivery at each user's local time ---------------------------------------------------

ZONE_ATTRIBUTE_NAMES = ("tz", "timezone", "time_zone", "zone")


def _zone_source(request, names: list[str]) -> tuple[str, str]:
    """By attribute (which one) or by tags, from the form or the query string."""
    source = request.POST or request.GET
    by = source.get("by") or ("attr" if names else "tags")
    key = source.get("attribute") or next((n for n in names if n.lower() in ZONE_ATTRIBUTE_NAMES),
                                          names[0] if names else "")
    return by if by in ("attr", "tags") else "attr", key if key in names else ""


def _local_time_preview(campaign: Campaign, *, by: str, key: str, day: dt.date, hour: int,
                        zones: list[str], default_zone: str) -> dict:
    """The cost and reach a split would have, before anything is saved; an hour the clocks
    skip raises InvalidInput in the editor's words."""
    wrong = local_time.wrong_zone_values(by=by, key=key)
    cost = local_time.split_cost(day=day, hour=hour, zones=zones, default_zone=default_zone,
                                 wrong_values=len(wrong))
    reach = local_time.split_reach(campaign=campaign, by=by, key=key, buckets=(
        local_time.split_buckets(by=by, key=key, zones=zones, default_zone=default_zone)))
    return {**cost, "words": local_time.cost_words(cost), **reach,
            "reach_words": local_time.reach_words(reach)}


@marketer_required
def local_time_split(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not campaign_offers(request.user, campaign)["local_time"]:  # only what may be done
        messages.error(request, _(
            "With approval on, an approver who did not write it repeats an approved campaign on "
            "a rule or splits it by time zone: those are new send times.") if approval_required()
            else _("Only a draft (an approved campaign, when approval is on) can be delivered at "
                   "each user's local time"))
        return redirect("campaign-detail", pk=pk)
    names = list(attribute_names().values())
    by, key = _zone_source(request, names)
    zones = local_time.offered_zones(by=by, key=key)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    form = LocalTimeForm(request.POST or None, attribute_names=names, zones=zones, initial={
        "by": by, "attribute": key, "day": tomorrow, "hour": 9, "zones": list(zones)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            children = local_time.campaign_split_by_zone(
                campaign=campaign, user=request.user, day=data["day"], hour=data["hour"],
                by=data["by"], key=data["attribute"], zones=data["zones"],
                default_zone=data["default_zone"], quiet_hours=data["quiet_hours"])
        except InvalidInput as exc:
            _series_form_errors(form, exc)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
            return redirect("campaign-detail", pk=pk)
        else:
            messages.success(request, _("Booked %(n)d pushes, one per time zone.")
                             % {"n": len(children)})
            return redirect("campaign-detail", pk=pk)
    chosen = form.data.getlist("zones") if form.is_bound else list(zones)
    cleaned = getattr(form, "cleaned_data", {})
    hour = cleaned.get("hour")
    try:
        preview = _local_time_preview(
            campaign, by=by, key=key, day=cleaned.get("day") or tomorrow,
            hour=9 if hour is None else hour, zones=[z for z in chosen if z in zones],
            default_zone=cleaned.get("default_zone") or "")
    except InvalidInput as exc:  # the hour is skipped somewhere: the form's error says so
        preview = {"words": " ".join(m for ms in exc.errors.values() for m in ms),
                   "reach_words": ""}
    return render(request, "campaigns/local_time.html", {
        "campaign": campaign, "form": form, "cost_words": preview["words"],
        "reach_words": preview["reach_words"],
        "no_push": local_time.no_push_words(by=by, key=key), "by": by, "key": key})


@marketer_required
def local_time_cost(request, pk: int):
    """The split's cost and reach for the page, before anything is saved."""
    campaign = get_object_or_404(Campaign, pk=pk)
    names = list(attribute_names().values())
    by, key = _zone_source(request, names)
    offered = local_time.offered_zones(by=by, key=key)
    try:  # without a day or an hour: tomorrow at 09:00, as the page starts
        day = parse_day(request.GET["day"], field="day") if "day" in request.GET else \
            timezone.localdate() + dt.timedelta(days=1)
        hour = whole_number(request.GET.get("hour", "9"), max_digits=2)
        if hour is None or not 0 <= hour <= 23:
            raise ValueError
        try:
            default_zone = LocalTimeForm.base_fields["default_zone"].clean(
                request.GET.get("default_zone", ""))
        except ValidationError as exc:
            raise InvalidInput({"default_zone": exc.messages}) from None
        preview = _local_time_preview(
            campaign, by=by, key=key, day=day, hour=hour, default_zone=default_zone,
            zones=[z for z in request.GET.getlist("zones") if z in offered])
    except ValueError:
        return JsonResponse({"error": _("Invalid input"), "errors": {
            "hour": [_("The local hour must be a whole hour from 0 to 23")]}}, status=400)
    except InvalidInput as exc:
        return JsonResponse({"error": _("Invalid input"), "errors": exc.errors}, status=400)
    return JsonResponse(preview)


@marketer_required
@require_POST
def local_time_cancel(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    # It cancels every booked push at once: only after the person ticked the box.
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm; nothing was cancelled."))
        return redirect("campaign-detail", pk=pk)
    try:
        local_time.split_cancel(campaign=campaign, user=request.user)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cancelled, with every time-zone push not yet sent."))
    return redirect("campaign-detail", pk=pk)


# --- approval ---------------------------------------------------------------------------


def _approval_step(request, pk: int, step) -> object:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        warning = step(campaign)
    except (InvalidInput, TransitionRefused) as exc:
        if isinstance(exc, InvalidInput):
            _errors_to_messages(request, exc)
        else:
            messages.error(request, str(exc))
        return redirect("campaign-detail", pk=pk)
    if isinstance(warning, str) and warning:
        messages.warning(request, warning)
    else:
        messages.success(request, _("Done."))
    return redirect("campaign-detail", pk=pk)


@marketer_required
@require_POST
def approval_submit(request, pk: int):
    return _approval_step(request, pk, lambda c: approval.campaign_submit(
        campaign=c, user=request.user))


@require_POST  # first: a GET is 405 for everyone, as on every other action
@role_required(roles.is_approver)
def approval_approve(request, pk: int):
    return _approval_step(request, pk, lambda c: approval.campaign_approve(
        campaign=c, user=request.user))


@require_POST  # first: a GET is 405 for everyone, as on every other action
@role_required(roles.is_approver)
def approval_send_back(request, pk: int):
    return _approval_step(request, pk, lambda c: approval.campaign_send_back(
        campaign=c, user=request.user, comment=request.POST.get("comment", "")))
