"""Dashboard pages (server-rendered)."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audience.selectors import audience_reach, segment_summaries, tag_sizes
from core.current_app import app_named, in_my_apps, make_current
from core import roles
from core.roles import marketer_required, role_required
from core.errors import (InvalidInput, NotPermitted, TransitionRefused, Unavailable,
                         UpstreamFailed)
from core.pages import flash_errors, query_text, too_big_words
from core.text import items_from_text, whole_number
from core.times import is_zone, parse_day, parse_local, parse_month, time_in_zone
from core.zones import zone_from_text
from core.payload_words import CONTENT_FIELD_WORDS, ELEMENT_WORDS, IMAGE_INFO_WORDS
from core.payload_words import explain_words as explain
from pushclient.payload import ELEMENT_FIELDS

from .. import selectors, services
from ..forms import CampaignForm
from ..models import Campaign, TestGroup
from ..permissions import campaign_offers, may_edit_test_group
from ..states import approval_required
from ..quota import quota_day_of, quota_limit_set, quota_summary, quota_zone
from ..recall import campaign_recall as recall_service
from ..selectors import split_and_approval_context, waiting_for_approval_context, quiet_hours_words
from ..tester_sends import (
    campaign_test_send as test_send_service,
    test_group_delete,
    test_group_save,
    team_test_groups,
)




@role_required(roles.uses_dashboard)
def home(request):
    if not roles.is_marketer(request.user):  # an audience manager only: their page is home
        return redirect("audiences")
    return render(request, "campaigns/home.html", {
        **selectors.home_overview(request.app), "viewer_zone": viewer_zone(),
        **waiting_for_approval_context(request.user, request.app)})


@marketer_required
def campaign_list(request):
    status = request.GET.get("status", "")
    status = status if status in Campaign.Status.values else ""
    day = None
    if request.GET.get("day"):
        try:
            day = parse_day(request.GET["day"])
        except InvalidInput as exc:
            flash_errors(request, exc)
    search = query_text(request, "q")
    sort = request.GET.get("sort", "-created")
    sort = sort if sort.lstrip("-") in selectors.SORTS else "-created"
    query = selectors.campaign_list(app=request.app, status=status, day=day, search=search,
                                    sort=sort)
    page = Paginator(query, 25).get_page(request.GET.get("page"))
    rows = [{"campaign": c, "audience": selectors.audience_short(c.push.get("Condition")),
             "outcome": selectors.outcome_words(c)} for c in page]
    columns = [(key, label, ("-" + key) if sort == key else key,
                "ascending" if sort == key else "descending" if sort == "-" + key else "none")
               for key, label in (("name", _("Name")), ("status", _("Status")),
                                  ("send_at", _("Send at")), ("created", _("Created")))]
    return render(request, "campaigns/list.html", {
        "page": page, "rows": rows, "status": status, "day": day.isoformat() if day else "",
        "q": search, "sort": sort, "columns": columns, "viewer_zone": viewer_zone(),
        "statuses": Campaign.Status.choices})


def _editor_context(form, campaign=None) -> dict:
    app = form.app
    return {"form": form, "campaign": campaign,
            "element_fields": ELEMENT_FIELDS,
            "element_choices": [(t, str(ELEMENT_WORDS[t])) for t in ELEMENT_FIELDS],
            "editor_words": {"elements": {k: str(v) for k, v in ELEMENT_WORDS.items()},
                             "fields": {k: str(v) for k, v in CONTENT_FIELD_WORDS.items()},
                             "image": {k: str(v) for k, v in IMAGE_INFO_WORDS.items()}},
            "errors": form.error_slots(), "error_summary": form.error_summary(),
            # The size a form may have, checked live: the sentence is the server's own.
            "max_form_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE or "",
            "too_big_words": too_big_words("%(size)s"),
            "quiet_hours": quiet_hours_words(),
            # The audience picker: which of the app's tags and segments exist, and how many
            # accounts each.
            "known_tags": tag_sizes(app=app), "known_segments": segment_summaries(app=app)}


def _save(request, form, campaign=None):
    """Create or update from a valid form in one service call; its errors come back onto the
    form. An edit books the campaign again only when its time was changed."""
    data = form.cleaned_data
    try:
        if campaign is None:
            return services.campaign_create(
                user=request.user, app=request.app, name=data["name"], push=form.push, tz=data["send_tz"],
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
    initial = {"send_tz": tz if is_zone(tz) else "Asia/Shanghai"}
    if request.GET.get("day"):  # from a day on the calendar
        try:
            day = parse_day(request.GET["day"])
            initial.update(schedule="at", send_at_local=f"{day.isoformat()}T09:00")
        except InvalidInput as exc:
            flash_errors(request, exc)
    form = CampaignForm(request.POST or None, app=request.app, initial=initial)
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        if campaign:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign-detail", pk=campaign.pk)
    return render(request, "campaigns/editor.html", _editor_context(form))


@marketer_required
def campaign_edit(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if campaign.status not in Campaign.EDITABLE:
        messages.error(request, _("Only drafts and scheduled campaigns can be edited."))
        return redirect("campaign-detail", pk=pk)
    form = CampaignForm(request.POST or None, app=campaign.app,
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
    form = CampaignForm(request.POST, app=request.app)
    form.is_valid()
    push = form.push
    condition_ok = not any(k.startswith("Condition") for k in form.rule_errors)
    # Without a condition the push goes to every user of the app, known to us or not: there
    # is no count to show (it used to say "About 0 of 0").
    reach = audience_reach(push["Condition"], app=request.app) \
        if push.get("Condition") and condition_ok \
        else None
    return JsonResponse({"request": {"MsgRandom": "<chosen when saved>", **push}, "reach": reach,
                         "everyone": not push.get("Condition"),
                         "errors": form.rule_errors, "problems": form.live_problems(),
                         "form_errors": {k: [str(m) for m in v] for k, v in form.errors.items()}})


@marketer_required
def capacity(request):
    """The quota day a chosen local time falls on, with what remains of it."""
    if not request.GET.get("at"):
        return JsonResponse(quota_summary(app=request.app))
    try:
        zone = zone_from_text(request.GET.get("tz", "UTC"), field="tz")  # as the editor shows it
        moment = parse_local(request.GET["at"], zone, field="at", zone_field="tz")
    except InvalidInput as exc:
        return JsonResponse({"error": _("Invalid input"), "errors": exc.errors}, status=400)
    return JsonResponse(quota_summary(quota_day_of(moment, request.app), request.app))


def viewer_zone() -> str:
    return timezone.get_current_timezone_name()


IN_FLIGHT_SOON = 120  # seconds: a campaign this close to its time is watched live


def _in_flight(campaign: Campaign) -> bool:
    if campaign.status == Campaign.Status.SENDING:
        return True
    return campaign.status == Campaign.Status.SCHEDULED and campaign.due_at is not None and \
        (campaign.due_at - timezone.now()).total_seconds() < IN_FLIGHT_SOON


@marketer_required
def campaign_detail(request, pk: int):
    campaign = in_my_apps(request, Campaign.objects.select_related("created_by", "app"), pk=pk)
    attempts = [(a, explain(a.error_code, a.error_info) if a.error_code else "")
                for a in campaign.attempts.all()]
    booked = campaign.due_at if campaign.status == Campaign.Status.SCHEDULED else None
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "attempts": attempts,
        "summary": selectors.campaign_summary(campaign), "viewer_zone": viewer_zone(),
        "today_quota": quota_summary(app=campaign.app),
        "booked_quota": quota_summary(quota_day_of(booked, campaign.app), campaign.app)
        if booked else None,
        "in_flight": _in_flight(campaign),
        "events": selectors.campaign_timeline(campaign),
        "request_json": json.dumps({"MsgRandom": campaign.msg_random, **campaign.push},
                                   ensure_ascii=False, indent=2),
        "offers": campaign_offers(request.user, campaign),
        **split_and_approval_context(campaign)})


ACTIONS = {
    "cancel": lambda c, u, _: services.campaign_cancel(campaign=c, user=u),
    "send-now": lambda c, u, _: services.campaign_send_now(campaign=c, user=u),
    "mark-sent": lambda c, u, _: services.campaign_mark_sent(campaign=c, user=u),
    "send-again": lambda c, u, _: services.campaign_send_again(campaign=c, user=u),
    "duplicate": lambda c, u, _: services.campaign_duplicate(campaign=c, user=u),
    "copy-to-app": lambda c, u, app: services.campaign_copy_to_app(campaign=c, user=u, app=app),
    "reschedule": lambda c, u, at: services.campaign_schedule(campaign=c, user=u, send_at=at),
    "book": lambda c, u, _: services.campaign_schedule(campaign=c, user=u, send_at=c.send_at),
}


def _what_happened(action: str, campaign: Campaign, freed_day) -> str:
    """The flash after an action: what was done, to what, and what it means."""
    name = campaign.name
    if action == "cancel":
        if freed_day:
            return _("“%(name)s” is cancelled: it will not be sent, and its push on the quota "
                     "day %(day)s is free again.") % {"name": name, "day": freed_day}
        return _("“%(name)s” is cancelled: it will not be sent.") % {"name": name}
    if action == "send-now":
        return _("“%(name)s” is on its way: it goes to Tencent within seconds, and this page "
                 "shows when Tencent accepts it.") % {"name": name}
    if action == "mark-sent":
        return _("“%(name)s” is marked as sent.") % {"name": name}
    if action == "book":
        return _("“%(name)s” is booked at its approved time.") % {"name": name}
    if action == "send-again":
        return _("“%(name)s” will be sent again within seconds.") % {"name": name}
    return _("“%(name)s” is rescheduled to %(when)s.") % {
        "name": name, "when": time_in_zone(campaign.send_at, campaign.timezone)}


@marketer_required
@require_POST
def campaign_action(request, pk: int, action: str):
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if action not in ACTIONS:
        raise PermissionDenied
    send_at = None
    freed_day = quota_day_of(campaign.due_at, campaign.app) \
        if campaign.status == Campaign.Status.SCHEDULED \
        and campaign.due_at else None
    try:
        if action == "reschedule":
            send_at = parse_local(request.POST.get("send_at_local", ""), campaign.timezone,
                                  field="send_at_local")
        if action == "copy-to-app":
            send_at = app_named(request, request.POST.get("app") or "-")
        result = ACTIONS[action](campaign, request.user, send_at)
    except (TransitionRefused, InvalidInput) as exc:
        messages.error(request, str(exc))
        return redirect("campaign-detail", pk=pk)
    if action == "duplicate":
        messages.success(request, _("Copied. This is the new draft."))
        return redirect("campaign-edit", pk=result.pk)
    if action == "copy-to-app":
        make_current(request, result.app)
        messages.success(request, _("Copied to %(app)s. This is the new draft there: schedule "
                                    "it (and have it approved) in this app.")
                         % {"app": result.app.label})
        return redirect("campaign-edit", pk=result.pk)
    campaign.refresh_from_db()
    messages.success(request, _what_happened(action, campaign, freed_day))
    return redirect("campaign-detail", pk=pk)


@require_POST
@marketer_required
def campaign_test_send(request, pk: int):
    """"Send test" from the detail page or the editor: to one of the user's groups, or to
    accounts typed in; the panel then shows what came back per account."""
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    back = ("campaign-edit" if request.POST.get("from") == "editor"
            and campaign.status in Campaign.EDITABLE else "campaign-detail")
    group = whole_number(request.POST.get("group", ""))
    try:
        test = test_send_service(
            campaign=campaign, user=request.user, group=group,
            accounts=None if group is not None else items_from_text(
                request.POST.get("accounts", "")))
    except (InvalidInput, TransitionRefused) as exc:
        flash_errors(request, exc)
        return redirect(back, pk=pk)
    except Unavailable as exc:
        messages.error(request, str(exc))
        return redirect(back, pk=pk)
    if test.outcome == "ok":
        messages.success(request, _("Test sent: Tencent accepted %(reached)d of %(total)d "
                                    "accounts.") % {"reached": test.reached,
                                                    "total": len(test.accounts)})
    else:
        messages.error(request, _("The test send did not go out; see below."))
    return redirect(f"{reverse(back, args=[pk])}#test-send")


@require_POST
@marketer_required
def campaign_recall(request, pk: int):
    """"Stop and replace": recall a sent campaign once the person has confirmed."""
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the recall; nothing was recalled."))
        return redirect(f"{reverse('campaign-detail', args=[pk])}#recall")
    info = {"Title": request.POST.get("title", ""), "Desc": request.POST.get("desc", "")}
    try:
        recall_service(campaign=campaign, user=request.user, offline_push_info=info)
    except (InvalidInput, TransitionRefused, UpstreamFailed, Unavailable) as exc:
        if isinstance(exc, UpstreamFailed | Unavailable):
            messages.error(request, str(exc))
        else:
            flash_errors(request, exc)
        return redirect(f"{reverse('campaign-detail', args=[pk])}#recall")
    messages.success(request, _("Recalled. Phones that had not shown it yet will not; shown "
                                "notifications are replaced where the vendor allows it."))
    return redirect("campaign-detail", pk=pk)


def _group_page(request, group=None, errors=None, values=None, status=200):
    user = request.user
    return render(request, "campaigns/test_groups.html", {
        "groups": [(g, may_edit_test_group(user, g)) for g in team_test_groups(request.app)],
        "may_add": may_edit_test_group(user, None), "approval_on": approval_required(),
        "typed_max": settings.TEST_SEND_TYPED_ACCOUNTS, "group": group, "errors": errors or {},
        "values": values or ({"name": group.name, "accounts": "\n".join(group.accounts)}
                             if group else {"name": "", "accounts": ""})}, status=status)


@marketer_required
def test_groups(request):
    """The team's test groups; a new one is added here by whoever may (see permissions)."""
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""),
                  "accounts": request.POST.get("accounts", "")}
        try:
            test_group_save(user=request.user, name=values["name"], app=request.app,
                            accounts=items_from_text(values["accounts"]))
        except NotPermitted as exc:
            messages.error(request, str(exc))
            return redirect("test-groups")
        except InvalidInput as exc:
            return _group_page(request, errors=exc.errors, values=values)
        messages.success(request, _("Test group saved."))
        return redirect("test-groups")
    return _group_page(request)


@marketer_required
def test_group_edit(request, pk: int):
    group = in_my_apps(request, TestGroup.objects.select_related("owner", "app"), pk=pk)
    if not may_edit_test_group(request.user, group):
        raise PermissionDenied
    if request.method == "POST":
        try:
            if "delete" in request.POST:
                test_group_delete(user=request.user, group=group)
                messages.success(request, _("Test group deleted."))
                return redirect("test-groups")
            values = {"name": request.POST.get("name", ""),
                      "accounts": request.POST.get("accounts", "")}
            test_group_save(user=request.user, group=group, name=values["name"],
                            accounts=items_from_text(values["accounts"]))
        except NotPermitted as exc:
            messages.error(request, str(exc))
            return redirect("test-groups")
        except InvalidInput as exc:
            group.refresh_from_db()
            return _group_page(request, group=group, errors=exc.errors, values=values)
        messages.success(request, _("Test group saved."))
        return redirect("test-groups")
    return _group_page(request, group=group)


@require_POST
@role_required(roles.is_admin)
def quota_limit(request):
    """Admins raise (or lower) the daily push limit after buying pushes in Tencent's console."""
    value = request.POST.get("limit", "").strip()
    try:
        quota_limit_set(user=request.user, limit=whole_number(value), app=request.app)
    except InvalidInput as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The daily push limit is now %(limit)s.") % {"limit": value})
    return redirect("home")


@marketer_required
def calendar_view(request):
    today = quota_day_of(timezone.now(), request.app)
    year, month = today.year, today.month
    if request.GET.get("month"):
        try:
            year, month = parse_month(request.GET["month"])
        except InvalidInput as exc:
            flash_errors(request, exc)
    return render(request, "campaigns/calendar.html", {
        **selectors.calendar_month(year, month, request.app),
        "quota_zone": quota_zone(request.app).key})
