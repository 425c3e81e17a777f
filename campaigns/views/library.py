"""Message templates: the team's saved pushes, listed, used and deleted."""

from __future__ import annotations


from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.current_app import app_named, in_my_apps, make_current
from core.errors import InvalidInput, TransitionRefused
from core.pages import confirmed, flash_errors

from .. import library
from ..models import Campaign, MessageTemplate
from ..selectors import audience_short
from core.roles import marketer_required



@marketer_required
def template_list(request):
    rows = [(t, audience_short(t.push.get("Condition")))
            for t in library.template_list(request.app)]
    return render(request, "campaigns/templates_list.html", {"rows": rows})


@marketer_required
@require_POST
def template_save(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    try:
        template = library.template_save(campaign=campaign, user=request.user,
                                         name=request.POST.get("template_name", ""))
    except InvalidInput as exc:
        flash_errors(request, exc)
        return redirect("campaign-detail", pk=pk)
    messages.success(request, _("Saved as the template “%(name)s”.") % {"name": template.name})
    return redirect("template-list")


@marketer_required
@require_POST
def template_use(request, pk: int):
    template = in_my_apps(request, MessageTemplate.objects.select_related("app"), pk=pk)
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
def template_copy(request, pk: int):
    template = in_my_apps(request, MessageTemplate.objects.select_related("app"), pk=pk)
    try:
        copy = library.template_copy_to_app(
            template=template, user=request.user,
            app=app_named(request, request.POST.get("app") or "-"))
    except InvalidInput as exc:
        flash_errors(request, exc)
        return redirect("template-list")
    make_current(request, copy.app)
    messages.success(request, _("The template “%(name)s” is now in %(app)s too.")
                     % {"name": copy.name, "app": copy.app.label})
    return redirect("template-list")


@marketer_required
@require_POST
def template_delete(request, pk: int):
    template = in_my_apps(request, MessageTemplate.objects.select_related("app"), pk=pk)
    # Deleting takes the template from the whole team: only after the person ticked the box.
    if not confirmed(request, _("Tick the box to confirm deleting the template; nothing was "
                                "deleted.")):
        return redirect("template-list")
    library.template_delete(template=template, user=request.user)
    messages.success(request, _("Template deleted."))
    return redirect("template-list")
