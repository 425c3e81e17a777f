"""The site's own pages: a person's API tokens and preferences (language, time zone), and for
admins the audit trail and the apps."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import roles
from .chat_apps import EDITABLE, app_people_set, app_save, default_app
from .forms import AppForm
from .audit import AUDIT_KINDS, audit_events, audit_rows
from .errors import InvalidInput
from .models import ApiToken, App, Preference
from .pages import flash_errors, form_errors, query_text
from .preferences import remember_preferences
from .roles import role_required
from .text import unsafe_text_errors, whole_number
from .times import parse_day
from .tokens import token_create, token_revoke
from .zones import zone_from_text


NEW_TOKEN_KEY = "new_token"


@role_required(roles.is_marketer)
def tokens(request):
    """Create and revoke tokens; each POST redirects, so a reload never makes a second token.
    A new token is shown once, from the session, then forgotten."""
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = request.POST["revoke"]
            token = get_object_or_404(ApiToken, pk=whole_number(revoke) or 0,
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
    return render(request, "core/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "new_token": request.session.pop(NEW_TOKEN_KEY, None)})


@role_required(roles.uses_dashboard)
@require_POST
def preferences(request):
    preference, _created = Preference.objects.get_or_create(user=request.user)
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        preference.language = language
    if request.POST.get("timezone") is not None:
        try:
            preference.timezone = zone_from_text(request.POST["timezone"], field=_("Time zone"))
        except InvalidInput as exc:
            messages.error(request, exc.errors[_("Time zone")][0])
    preference.save()
    remember_preferences(request, preference)
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}):
        return redirect("home")  # redirect() would read any other word as a view's name
    return HttpResponseRedirect(target)


@role_required(roles.is_admin)
def audit(request):
    filters = {"actor": query_text(request, "actor"), "kind": request.GET.get("kind", "")}
    for key in ("since", "until"):
        filters[key] = None
        if request.GET.get(key):
            try:
                filters[key] = parse_day(request.GET[key], field=key)
            except InvalidInput as exc:
                flash_errors(request, exc)
    page = Paginator(audit_events(**filters), 50).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {
        "page": page, "rows": audit_rows(page.object_list), "filters": filters,
        "kinds": AUDIT_KINDS})


@role_required(roles.is_admin)
def apps(request):
    """Every app, and a form to add one."""
    default_app()
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = app_save(user=request.user, values=form.values(),
                           secret_key=form.cleaned_data["secret_key"],
                           callback_token=form.cleaned_data["callback_token"] or None)
        except InvalidInput as exc:
            form_errors(form, exc)
        else:
            app_people_set(user=request.user, app=app, people=form.cleaned_data["people"])
            messages.success(request, _("App %(name)s added.") % {"name": app.label})
            return redirect("apps")
    return render(request, "core/apps.html", {
        "apps": App.objects.prefetch_related("people"), "form": form,
        "tim_sdkappid": settings.TIM_SDKAPPID, "default_limit": settings.PUSH_DAILY_QUOTA})


@role_required(roles.is_admin)
def app_edit(request, slug):
    default_app()
    app = get_object_or_404(App, slug=slug)
    initial = {name: getattr(app, name) for name in EDITABLE}
    initial["people"] = list(app.people.all())
    form = AppForm(request.POST or None, app=app, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            app = app_save(user=request.user, app=app, values=form.values(),
                           secret_key=form.cleaned_data.get("secret_key"),
                           callback_token=form.cleaned_data.get("callback_token") or None)
        except InvalidInput as exc:
            form_errors(form, exc)
        else:
            app_people_set(user=request.user, app=app, people=form.cleaned_data["people"])
            messages.success(request, _("App %(name)s saved.") % {"name": app.label})
            return redirect("apps")
    return render(request, "core/app_edit.html", {"app": app, "form": form})
