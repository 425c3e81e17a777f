"""One campaign, several languages: the page that sets the versions up on a draft (their cost
and reach before saving), and cancelling them."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audience.selectors import attribute_names
from core.current_app import in_my_apps
from core.errors import InvalidInput, NotPermitted, TransitionRefused
from core.pages import confirmed, form_errors
from core.roles import marketer_required
from core.times import local_to_aware

from .. import languages
from ..forms import LANGUAGE_ROWS, LanguagesForm
from ..models import Campaign
from ..permissions import campaign_offers
from ..states import approval_required
from ..versions import with_message
from .experiments import tomorrow_at_ten

SERVICE_FIELDS = {"send_at": "send_at_local", "attribute": "attribute", "by": "by",
                  "default": "default"}


def _initial(campaign: Campaign) -> dict:
    zone = ZoneInfo(campaign.timezone)
    initial = {"send_at_local": campaign.send_at.astimezone(zone).replace(tzinfo=None)
               if campaign.send_at else tomorrow_at_ten(campaign)}
    plan = campaign.language_plan
    if plan:
        initial.update({"by": plan["by"], "attribute": plan["key"], "default": plan["default"]})
        for i, version in enumerate(plan["versions"][:LANGUAGE_ROWS]):
            initial.update({f"v{i}_{name}": value for name, value in version.items()})
    else:
        initial.update({"v0_language": "zh-Hans", "v1_language": "en"})
    return initial


VERSION_FIELD = re.compile(r"^versions\[(?P<index>\d+)\](\.(?P<name>\w+))?$")


def _refusal_on_form(form: LanguagesForm, exc: InvalidInput) -> None:
    rows = form.rows_used()
    errors: dict[str, list[str]] = {}
    for field, words in exc.errors.items():
        target = SERVICE_FIELDS.get(field, "__all__")
        found = VERSION_FIELD.match(field)
        if found and int(found["index"]) < len(rows):  # the n-th version is the n-th row used
            target = f"v{rows[int(found['index'])]}_{found['name'] or 'language'}"
        errors.setdefault(target, []).extend(words)
    form_errors(form, InvalidInput(errors))


@marketer_required
def languages_setup(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if not campaign_offers(request.user, campaign)["languages"]:
        messages.error(request, _("Language versions are set up on a draft campaign: edit the "
                                  "campaign to return it to draft first"))
        return redirect("campaign-detail", pk=pk)
    names = list(attribute_names(campaign.app).values())
    form = LanguagesForm(request.POST or None, initial=_initial(campaign),
                         attribute_names=names)
    if request.POST.get("preview"):  # the page's script: cost and reach as the form stands
        preview = _preview(form, campaign)
        return JsonResponse({**{k: preview[k] for k in ("cost_words", "full_words",
                                                        "reach_lines")},
                             "preview_html": render_to_string(
                                 "campaigns/_language_previews.html", preview, request)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            send_at = local_to_aware(data["send_at_local"], ZoneInfo(campaign.timezone),
                                     field="send_at")
            languages.languages_plan(campaign=campaign, user=request.user, by=data["by"],
                                     key=data["attribute"], versions=form.versions(),
                                     default=data["default"], send_at=send_at)
        except InvalidInput as exc:
            _refusal_on_form(form, exc)
        except (TransitionRefused, NotPermitted) as exc:
            messages.error(request, str(exc))
            return redirect("campaign-detail", pk=pk)
        else:
            messages.success(request, _(
                "Language versions saved on the draft. Submit it for approval: approving it "
                "books one push per language.") if approval_required() else _(
                "Booked: one push per language, at the time chosen."))
            return redirect("campaign-detail", pk=pk)
    return render(request, "campaigns/languages.html", {
        "campaign": campaign, "form": form, "planning": approval_required(),
        **_preview(form, campaign)})


def _preview(form: LanguagesForm, campaign: Campaign) -> dict:
    """What the form holds, valid or not yet: the languages offered, each version's preview,
    the cost and who is reached."""
    values = form.data if form.is_bound else {**{n: f.initial for n, f in form.fields.items()},
                                              **form.initial}
    by = values.get("by") if values.get("by") in ("tags", "attr") else "tags"
    key = values.get("attribute") or ""
    default = values.get("default") if values.get("default") in ("tags_not", "none") \
        else "tags_not"
    rows = [i for i in range(LANGUAGE_ROWS) if (values.get(f"v{i}_language") or "").strip()]
    chosen = [values[f"v{i}_language"].strip() for i in rows]
    cost_words = full = ""
    try:
        local = form.fields["send_at_local"].to_python(values.get("send_at_local"))
        if local is not None:
            cost = languages.languages_cost(
                campaign, versions=len(chosen), default=default,
                send_at=local_to_aware(local, ZoneInfo(campaign.timezone), field="send_at"))
            cost_words, full = languages.cost_words(cost), languages.full_words(cost)
    except (ValidationError, InvalidInput):
        pass  # a time that cannot be read: the form's error says so
    return {"offered": languages.language_counts(campaign, by=by, key=key),
            "cost_words": cost_words, "full_words": full,
            "previews": [{"language": values[f"v{i}_language"].strip(),
                          **_version_preview(campaign, values, i)} for i in rows],
            "reach_lines": languages.reach_words(campaign, by=by, key=key, languages=chosen,
                                                 default=default)}


def _version_preview(campaign: Campaign, values, row: int) -> dict:
    push = with_message(campaign.push, {name: values.get(f"v{row}_{name}") or ""
                                        for name in ("title", "text", "image", "ext")})
    info = push.get("OfflinePushInfo") or {}
    return {"title": info.get("Title", ""), "text": info.get("Desc", "")}


@marketer_required
@require_POST
def languages_cancel(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if not confirmed(request, _("Tick the box to confirm; nothing was cancelled.")):
        return redirect("campaign-detail", pk=pk)
    try:
        languages.languages_cancel(campaign=campaign, user=request.user)
    except (TransitionRefused, NotPermitted) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Cancelled, with every language push not yet sent."))
    return redirect("campaign-detail", pk=pk)
