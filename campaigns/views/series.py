"""Recurring series: a campaign's push repeated on a rule, listed, shown and ended."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.current_app import in_my_apps
from core.errors import InvalidInput, TransitionRefused
from core.pages import confirmed, form_errors
from core.times import is_zone

from .. import recurring
from ..models import Campaign, Series
from ..forms import SeriesForm
from core.roles import marketer_required



def _rule_fields(data: dict) -> dict:
    """The series form's fields as the recurring services take them."""
    return {"rrule": data["rrule"], "name": data["name"], "starts_on": data["starts_on"],
            "local_time": data["local_time"], "tz": data["timezone"],
            "full_day": data["full_day"]}


@marketer_required
def series_create(request, pk: int):
    """Repeat this campaign's push and audience on a rule."""
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    tz = request.session.get("pref_timezone", settings.TIME_ZONE)
    zone = campaign.timezone if is_zone(campaign.timezone) else tz
    # Tomorrow where the series runs, not on the server's calendar.
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(zone)) if is_zone(zone) else \
        timezone.localdate()
    form = SeriesForm(request.POST or None, initial={
        "name": campaign.name, "timezone": zone, "local_time": dt.time(9, 0),
        "starts_on": today + dt.timedelta(days=1)})
    if request.method == "POST" and form.is_valid():
        try:
            series = recurring.series_create(campaign=campaign, user=request.user,
                                             **_rule_fields(form.cleaned_data))
        except InvalidInput as exc:
            form_errors(form, exc)
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
            Series.objects.filter(app=request.app).select_related("updated_by")
            .order_by("-created_at")[:200]]
    return render(request, "campaigns/series_list.html", {"rows": rows})


@marketer_required
def series_detail(request, pk: int):
    series = in_my_apps(request, Series.objects.select_related("app"), pk=pk)
    form = SeriesForm(request.POST or None, initial=SeriesForm.initial_from(series))
    if request.method == "POST" and series.active and form.is_valid():
        try:
            recurring.series_update(series=series, user=request.user,
                                    **_rule_fields(form.cleaned_data))
        except InvalidInput as exc:
            form_errors(form, exc)
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
    series = in_my_apps(request, Series.objects.select_related("app"), pk=pk)
    # Ending cancels every booked occurrence at once: only after the person ticked the box
    # that says how many.
    if not confirmed(request, _("Tick the box to confirm ending the series; nothing was "
                                "cancelled.")):
        return redirect(f"{reverse('series-detail', args=[pk])}#end-series")
    try:
        recurring.series_end(series=series, user=request.user)
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Series ended: occurrences not yet sent are cancelled."))
    return redirect("series-detail", pk=pk)
