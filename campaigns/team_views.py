"""Pages for working as a team: message templates, recurring series, delivery at each user's
local time, and approval. Kept apart from views.py so the editor pages can change on their own."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import InvalidInput, TransitionRefused

from . import library, recurring
from .models import Campaign, MessageTemplate, Series
from .team_forms import SeriesForm
from .views import marketer_required


def _errors_to_messages(request, exc: InvalidInput) -> None:
    for problems in exc.errors.values():
        for problem in problems:
            messages.error(request, problem)


# --- message templates ------------------------------------------------------------------


@marketer_required
def template_list(request):
    return render(request, "campaigns/templates_list.html",
                  {"templates": library.template_list()})


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
    messages.success(request, _("A new draft from the template: choose its audience and time."))
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
    form = SeriesForm(request.POST or None, initial={
        "name": campaign.name, "timezone": campaign.timezone or tz, "local_time": dt.time(9, 0),
        "starts_on": dt.date.today() + dt.timedelta(days=1)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series = recurring.series_create(
                campaign=campaign, user=request.user, rrule=data["rrule"], name=data["name"],
                starts_on=data["starts_on"], local_time=data["local_time"], tz=data["timezone"],
                full_day=data["full_day"])
        except InvalidInput as exc:
            _series_form_errors(form, exc)
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
        else:
            messages.success(request, _("Series saved: future occurrences follow the new rule; "
                                        "those already sent are unchanged."))
            return redirect("series-detail", pk=pk)
    occurrences = series.occurrences.order_by("-occurrence_at", "-id")[:100]
    return render(request, "campaigns/series_detail.html", {
        "series": series, "form": form, "rule_words": recurring.rule_words(series),
        "occurrences": occurrences, "horizon": settings.RECURRING_HORIZON_DAYS})


@marketer_required
@require_POST
def series_end(request, pk: int):
    series = get_object_or_404(Series, pk=pk)
    recurring.series_end(series=series, user=request.user)
    messages.success(request, _("Series ended: occurrences not yet sent are cancelled."))
    return redirect("series-detail", pk=pk)
