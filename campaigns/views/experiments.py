"""A/B tests: the page that sets one up on a draft (its cost and reach before saving), and
cancelling one."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.current_app import in_my_apps
from core.errors import InvalidInput, NotPermitted, TransitionRefused
from core.pages import confirmed, form_errors
from core.roles import marketer_required
from core.times import local_to_aware

from .. import experiments
from ..forms import ExperimentForm
from ..models import Campaign, Experiment
from ..permissions import campaign_offers
from ..states import approval_required


def tomorrow_at_ten(campaign: Campaign) -> dt.datetime:
    """The time these pages start from: 10:00 tomorrow in the campaign's zone."""
    zone = ZoneInfo(campaign.timezone)
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10))


def _initial(campaign: Campaign) -> dict:
    """A saved plan's values, else the campaign's time (or tomorrow at 10:00) and defaults."""
    zone = ZoneInfo(campaign.timezone)
    initial = {"send_at_local": campaign.send_at.astimezone(zone).replace(tzinfo=None)
               if campaign.send_at else tomorrow_at_ten(campaign)}
    plan = Experiment.objects.filter(campaign=campaign).first()
    if plan is not None and plan.status == Experiment.Status.PLANNED:
        initial.update({"buckets_per_variant": len(plan.variants[0]["buckets"]),
                        "wait_hours": Decimal(plan.wait_minutes) / 60,
                        "significance": f"{plan.significance:g}",
                        "min_sample": plan.min_sample, "no_winner": plan.no_winner,
                        "route": plan.route})
        for variant in plan.variants:
            for name in experiments.MESSAGE_FIELDS:
                initial[f"{variant['label']}_{name}"] = variant.get(name, "")
    return initial


def _arguments(form: ExperimentForm, campaign: Campaign) -> dict:
    data = form.cleaned_data
    send_at = local_to_aware(data["send_at_local"], ZoneInfo(campaign.timezone),
                             field="send_at_local")
    return {"variants": form.variants(settings.EXPERIMENT_BUCKETS),
            "wait_minutes": int(data["wait_hours"] * 60), "significance": float(
                data["significance"]), "min_sample": data["min_sample"],
            "no_winner": data["no_winner"], "route": data["route"], "send_at": send_at}


@marketer_required
def experiment_setup(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if not campaign_offers(request.user, campaign)["ab_test"]:
        messages.error(request, _("An A/B test is set up on a draft campaign: edit the campaign "
                                  "to return it to draft first"))
        return redirect("campaign-detail", pk=pk)
    form = ExperimentForm(request.POST or None, initial=_initial(campaign),
                          bucket_count=settings.EXPERIMENT_BUCKETS)
    if request.POST.get("preview"):  # the page's script: cost and reach as the form stands
        return JsonResponse(_preview(form, campaign))
    if request.method == "POST" and form.is_valid():
        try:
            experiments.experiment_plan(campaign=campaign, user=request.user,
                                        **_arguments(form, campaign))
        except InvalidInput as exc:
            form_errors(form, _field_errors(exc, form.chosen_labels()))
        except (TransitionRefused, NotPermitted) as exc:
            messages.error(request, str(exc))
            return redirect("campaign-detail", pk=pk)
        else:
            messages.success(request, _(
                "A/B test saved on the draft. Submit it for approval: approving it books every "
                "variant and the winner's push.") if approval_required() else _(
                "A/B test booked: every variant at its time, and the winner's push after the "
                "wait."))
            return redirect("campaign-detail", pk=pk)
    return render(request, "campaigns/experiment.html", {
        "campaign": campaign, "form": form, "planning": approval_required(),
        **_preview(form, campaign)})


def _field_errors(exc: InvalidInput, labels: list[str]) -> InvalidInput:
    """The service's fields as the form's: a variant's field under that field ("variants[1].
    image" is B_image), the rest above the form."""
    fields = {"send_at": "send_at_local", "wait_minutes": "wait_hours"}
    errors: dict[str, list[str]] = {}
    for field, words in exc.errors.items():
        target = fields.get(field, field if field in ExperimentForm.base_fields else "__all__")
        found = VARIANT_FIELD.match(field)
        if found and int(found["index"]) < len(labels):
            target = f"{labels[int(found['index'])]}_{found['name']}"
        errors.setdefault(target, []).extend(words)
    return InvalidInput(errors)


VARIANT_FIELD = re.compile(r"^variants\[(?P<index>\d+)\]\.(?P<name>title|text|image|ext)$")


def _preview(form: ExperimentForm, campaign: Campaign) -> dict:
    """The cost and reach of what the form holds, valid or not yet: its raw values, read as
    leniently as the person typed them (what cannot be read keeps the initial value)."""
    values = form.data if form.is_bound else {}
    initial = {**{name: f.initial for name, f in form.fields.items()}, **form.initial}

    def read(name, clean):
        try:
            value = form.fields[name].clean(values.get(name, initial[name]))
            return clean(value) if value not in (None, "") else clean(initial[name])
        except (ValidationError, InvalidInput, TypeError, ValueError):
            return clean(initial[name])

    local = read("send_at_local", lambda v: v)
    per = read("buckets_per_variant", int)
    wait = read("wait_hours", lambda v: int(Decimal(str(v)) * 60))
    route = values.get("route") if values.get("route") in Experiment.Route.values \
        else initial["route"]
    variants = form.variants(settings.EXPERIMENT_BUCKETS, data=values or initial, per=per)
    try:
        send_at = local_to_aware(local, ZoneInfo(campaign.timezone), field="send_at_local")
    except InvalidInput:
        return {"cost_words": "", "full_words": "", "reach_lines": []}
    cost = experiments.experiment_cost(campaign, variants=len(variants), send_at=send_at,
                                       wait_minutes=wait)
    return {"cost_words": experiments.cost_words(cost),
            "full_words": experiments.full_day_words(cost),
            "reach_lines": experiments.reach_words(campaign, variants=variants, route=route)}


@marketer_required
@require_POST
def experiment_cancel(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if not confirmed(request, _("Tick the box to confirm; nothing was cancelled.")):
        return redirect("campaign-detail", pk=pk)
    try:
        experiments.experiment_cancel(experiment=campaign.experiment, user=request.user)
    except (TransitionRefused, NotPermitted, Experiment.DoesNotExist) as exc:
        messages.error(request, str(exc) if not isinstance(exc, Experiment.DoesNotExist)
                       else _("This campaign has no A/B test"))
    else:
        messages.success(request, _("The A/B test is cancelled, with every push of it not yet "
                                    "sent."))
    return redirect("campaign-detail", pk=pk)
