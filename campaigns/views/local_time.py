"""Delivery at each user's local time: a campaign split into one push per time zone."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from audience.selectors import attribute_names
from core.current_app import in_my_apps
from core.errors import InvalidInput, TransitionRefused
from core.pages import confirmed, form_errors
from core.text import whole_number
from core.times import parse_day

from .. import local_time
from ..models import Campaign
from ..permissions import campaign_offers
from ..states import approval_required
from ..forms import LocalTimeForm
from core.roles import marketer_required



ZONE_ATTRIBUTE_NAMES = ("tz", "timezone", "time_zone", "zone")


def _zone_source(request, names: list[str], campaign: Campaign) -> tuple[str, str]:
    """By attribute (which one) or by tags, from the form or the query string; at first, the
    draft's plan's, or the kind the campaign's audience uses (Tencent refuses tags and
    attributes together)."""
    source = request.POST or request.GET
    plan = campaign.local_plan if approval_required() else {}
    condition = campaign.push.get("Condition") or {}
    uses_tags = any(k.startswith("Tags") for k in condition)
    by = source.get("by") or plan.get("by") or ("attr" if names and not uses_tags else "tags")
    key = source.get("attribute") or plan.get("key") or next(
        (n for n in names if n.lower() in ZONE_ATTRIBUTE_NAMES), names[0] if names else "")
    return by if by in ("attr", "tags") else "attr", key if key in names else ""


def _local_time_preview(campaign: Campaign, *, by: str, key: str, day: dt.date, hour: int,
                        zones: list[str], default_zone: str) -> dict:
    """The cost and reach a split would have, before anything is saved; an hour the clocks
    skip raises InvalidInput in the editor's words."""
    app = campaign.app
    wrong = local_time.wrong_zone_values(by=by, key=key, push=campaign.push, app=app)
    cost = local_time.split_cost(day=day, hour=hour, zones=zones, default_zone=default_zone,
                                 wrong_values=len(wrong), app=app)
    reach = local_time.split_reach(campaign=campaign, by=by, key=key, buckets=(
        local_time.split_buckets(by=by, key=key, zones=zones, default_zone=default_zone,
                                 push=campaign.push, app=app)))
    return {**cost, "words": local_time.cost_words(cost), **reach,
            "reach_words": local_time.reach_words(reach)}


@marketer_required
def local_time_split(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    offers = campaign_offers(request.user, campaign)
    # With approval on, a draft saves the split as a plan its approval books.
    planning = offers["plan_local_time"]
    if not (offers["local_time"] or planning):  # only what may be done
        messages.error(request, _(
            "With approval on, an approver who did not write it repeats an approved campaign on "
            "a rule or splits it by time zone: those are new send times.") if approval_required()
            else _("Only a draft (an approved campaign, when approval is on) can be delivered at "
                   "each user's local time"))
        return redirect("campaign-detail", pk=pk)
    names = list(attribute_names(campaign.app).values())
    by, key = _zone_source(request, names, campaign)
    zones = local_time.offered_zones(by=by, key=key, push=campaign.push, app=campaign.app)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    plan = local_time.plan_arguments(campaign.local_plan) if planning and campaign.local_plan \
        else {"day": tomorrow, "hour": 9, "zones": list(zones)}
    form = LocalTimeForm(request.POST or None, attribute_names=names, zones=zones, initial={
        **plan, "by": by, "attribute": key})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {"campaign": campaign, "user": request.user, "day": data["day"],
                     "hour": data["hour"], "by": data["by"], "key": data["attribute"],
                     "zones": data["zones"], "default_zone": data["default_zone"],
                     "quiet_hours": data["quiet_hours"]}
        try:
            if planning:
                local_time.local_plan_save(**arguments)
            else:
                children = local_time.campaign_split_by_zone(**arguments)
        except InvalidInput as exc:
            form_errors(form, exc)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
            return redirect("campaign-detail", pk=pk)
        else:
            messages.success(request, _(
                "Plan saved on the draft. Submit it for approval: approving it books one push "
                "per time zone.") if planning else ngettext(
                "Booked %(n)d push, one per time zone.", "Booked %(n)d pushes, one per time zone.",
                len(children)) % {"n": len(children)})
            return redirect("campaign-detail", pk=pk)
    chosen = form.data.getlist("zones") if form.is_bound else list(plan["zones"])
    cleaned = getattr(form, "cleaned_data", {}) if form.is_bound else plan
    hour = cleaned.get("hour")
    try:
        preview = _local_time_preview(
            campaign, by=by, key=key, day=cleaned.get("day") or tomorrow,
            hour=9 if hour is None else hour, zones=[z for z in chosen if z in zones],
            default_zone=cleaned.get("default_zone") or "")
    except InvalidInput as exc:  # the hour is skipped somewhere: the form's error says so
        preview = {"words": " ".join(m for ms in exc.errors.values() for m in ms),
                   "reach_words": ""}
    # Zones read from where this audience cannot be split: said first, with no reach to claim.
    refused = [m for ms in local_time.source_errors(campaign, by=by, key=key).values()
               for m in ms]
    no_push = local_time.no_push_words(by=by, key=key, push=campaign.push, app=campaign.app)
    return render(request, "campaigns/local_time.html", {
        "campaign": campaign, "form": form, "cost_words": preview["words"],
        "reach_words": "" if refused else preview["reach_words"],
        "source_errors": [] if form.is_bound else refused,
        "no_push": no_push, "by": by,
        # The default zone takes in values that are not zones, never accounts with no zone:
        # offered only when there are such values.
        "wrong_values": bool(no_push) and bool(local_time.wrong_zone_values(
            by=by, key=key, push=campaign.push, app=campaign.app)),
        "key": key, "planning": planning})


@marketer_required
def local_time_cost(request, pk: int):
    """The split's cost and reach for the page, before anything is saved."""
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    names = list(attribute_names(campaign.app).values())
    by, key = _zone_source(request, names, campaign)
    offered = local_time.offered_zones(by=by, key=key, push=campaign.push, app=campaign.app)
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
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    # It cancels every booked push at once: only after the person ticked the box.
    if not confirmed(request, _("Tick the box to confirm; nothing was cancelled.")):
        return redirect("campaign-detail", pk=pk)
    try:
        local_time.split_cancel(campaign=campaign, user=request.user)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cancelled, with every time-zone push not yet sent."))
    return redirect("campaign-detail", pk=pk)
