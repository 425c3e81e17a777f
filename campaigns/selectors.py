"""Reads for the dashboard: home overview, campaign list, calendar month. Query counts stay flat."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy as _

from audience.selectors import audience_reach, audience_reach_total
from core import roles
from core.audit import audit_rows, status_words
from core.models import App, AuditEvent
from core.payload_words import ELEMENT_WORDS, PATH_WORDS

from . import dispatch
from .models import Attempt, Campaign, Workspace
from .local_time import local_plan_view
from .permissions import approvable_by
from .reasons import reason_words
from .recurring import rule_text
from .states import approval_required
from .quota import (
    BOOKED,
    quota_day_bounds,
    quota_day_of,
    pushes_left,
    quota_limit,
    quota_summary,
    quota_used_by_day,
    quota_zone,
)

Status = Campaign.Status
SCHEDULER_SILENT_AFTER = dt.timedelta(seconds=15)


def home_overview(app: App) -> dict:
    now = timezone.now()
    last_tick = dispatch.last_tick()
    campaigns = Campaign.objects.filter(app=app)
    # Three small indexed counts beat one aggregate that reads every campaign.
    counts = {
        "needs_review": campaigns.filter(status=Status.NEEDS_REVIEW).count(),
        "failed_today": campaigns.filter(
            status=Status.FAILED, updated_at__gte=now - dt.timedelta(days=1)).count(),
        "moved": campaigns.filter(status=Status.SCHEDULED,
                                  status_reason__startswith="moved_").count(),
    }
    soon = now + dt.timedelta(seconds=120)
    return {
        "first_run": not campaigns.exists(),
        "failed": list(campaigns.filter(
            status__in=(Status.FAILED, Status.NEEDS_REVIEW),
            updated_at__gte=now - dt.timedelta(days=1)).order_by("-updated_at")[:5]),
        "in_flight": campaigns.filter(status=Status.SENDING).exists()
        or campaigns.filter(status=Status.SCHEDULED, due_at__lte=soon).exists(),
        "quota": {**(quota := quota_summary(app=app)),
                  "resets_at_time": dt.datetime.fromisoformat(quota["resets_at"])},
        "quota_timezone": quota_zone(app).key,
        "upcoming": list(campaigns.filter(status=Status.SCHEDULED)
                         .order_by("due_at", "id")[:8]),
        # The attempt ledger is the record of sends, newest first on its own index.
        "recent": list(Attempt.objects.filter(campaign__app=app).select_related("campaign")
                       .order_by("-started_at")[:8]),
        "warnings": {**counts,
                     "scheduler_silent": last_tick is None or now - last_tick > SCHEDULER_SILENT_AFTER,
                     "last_tick": last_tick},
    }


SORTS = {"name": ("name", "id"), "status": ("status", "-created_at"),
         "send_at": ("send_at", "id"), "created": ("created_at", "id")}


def campaign_list(*, app: App, status: str = "", day: dt.date | None = None, search: str = "",
                  sort: str = "-created"):
    """Newest first unless `sort` names a column ("name", "-send_at", ...); `day` is a quota
    day matched against the campaign's time."""
    key = sort.lstrip("-")
    order = SORTS.get(key, SORTS["created"])
    descending = sort.startswith("-") or key not in SORTS
    order = [("-" + f.lstrip("-")) if descending and not f.startswith("-") else f
             for f in order]
    query = Campaign.objects.filter(app=app).select_related("created_by").order_by(*order)
    if status in Status.values:
        query = query.filter(status=status)
    if day:
        start, end = quota_day_bounds(day, app)
        query = query.filter(send_at__gte=start, send_at__lt=end)
    if search:
        query = query.filter(name__icontains=search)
    return query


def calendar_month(year: int, month: int, app: App) -> dict:
    """Each of the app's quota days of the month with its scheduled campaigns, pushes used and
    what remains."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    start, _ = quota_day_bounds(first, app)
    _, end = quota_day_bounds(last, app)
    used = quota_used_by_day(first, last, app)
    zone = quota_zone(app)
    campaigns = Campaign.objects.filter(app=app, due_at__gte=start, due_at__lt=end)
    booked = dict(campaigns.filter(status__in=BOOKED)
                  .annotate(day=TruncDate("due_at", tzinfo=zone))
                  .values_list("day").annotate(n=Count("pk")).values_list("day", "n"))
    limit = quota_limit(app)
    today = quota_day_of(timezone.now(), app)
    # Each day shows its first three campaigns and how many more: the database ranks a month's
    # thousands of campaigns and sends back three a day, each with its day's count.
    names: dict[dt.date, list[Campaign]] = {}
    on_day: dict[dt.date, int] = {}
    its_day = TruncDate("due_at", tzinfo=zone)
    for campaign in (campaigns.exclude(status__in=(Status.DRAFT, Status.CANCELLED))
                     .annotate(day=its_day,
                               rank=Window(RowNumber(), partition_by=its_day,
                                           order_by=(F("due_at").asc(), F("id").asc())),
                               on_day=Window(Count("pk"), partition_by=its_day))
                     .filter(rank__lte=3)
                     .only("id", "name", "status", "due_at").order_by("due_at", "id")):
        names.setdefault(campaign.day, []).append(campaign)
        on_day[campaign.day] = campaign.on_day
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            u, b = used.get(day, 0), booked.get(day, 0)
            row.append({"date": day, "in_month": day.month == month, "used": u, "booked": b,
                        "campaigns": names.get(day, []),
                        "more": on_day.get(day, 0) - len(names.get(day, [])),
                        "remaining": pushes_left(u, b, limit), "full": not pushes_left(u, b, limit),
                        "past": day < today, "today": day == today,
                        "share": min(100, round(100 * (u + b) / limit)) if limit else 100})
        weeks.append(row)
    previous = first - dt.timedelta(days=1)
    following = last + dt.timedelta(days=1)
    return {"weeks": weeks, "first": first, "limit": limit,
            "previous": f"{previous.year}-{previous.month:02d}",
            "next": f"{following.year}-{following.month:02d}"}


def describe_campaign_event(event: AuditEvent) -> dict:
    """Words for what only campaigns can word: a status with its reason, a series' rule."""
    params = event.params
    if event.verb in ("series.created", "series.edited"):
        return {"rule": rule_text(rrule=str(params.get("rule", "")),
                                  local_time=params.get("time", ""), zone=params.get("zone", ""))}
    reason = reason_words(params.get("reason", ""), params)
    words = status_words(dict(Status.choices), params)
    return {**words, "to_status": words["to_status"] + (f" — {reason}" if reason else "")}


def campaign_timeline(campaign: Campaign) -> list[dict]:
    return audit_rows(AuditEvent.objects.select_related("actor").filter(
        subject_type="campaign", subject_id=campaign.pk).order_by("at", "id"))


def push_text(push: dict) -> str:
    """What a phone shows as the notification's text, as the editor's preview does."""
    info = push.get("OfflinePushInfo") or {}
    return info.get("Desc") or message_text(push)


def message_text(push: dict) -> str:
    """What the app shows in the chat: the message's elements, the non-text ones in words."""
    words = {"TIMLocationElem": _("[Location]"), "TIMFaceElem": _("[Sticker]"),
             "TIMSoundElem": _("[Voice message]"), "TIMImageElem": _("[Image]"),
             "TIMFileElem": _("[File]"), "TIMVideoFileElem": _("[Video]")}
    parts = []
    for element in push.get("MsgBody") or []:
        content = element.get("MsgContent") or {}
        if element.get("MsgType") == "TIMTextElem":
            parts.append(content.get("Text", ""))
        elif element.get("MsgType") == "TIMCustomElem":
            parts.append(content.get("Desc", ""))
        else:
            parts.append(str(words.get(element.get("MsgType"), "")))
    return "".join(parts)


def audience_words(condition: dict | None) -> list[str]:
    """The audience in sentences: 'Everyone', or one line per condition."""
    if not condition:
        return [str(_("Everyone who uses the app"))]
    lines = []
    for key in ("TagsAnd", "TagsOr", "TagsNot"):
        if condition.get(key):
            lines.append(_("%(field)s: %(message)s") % {
                "field": PATH_WORDS["Condition." + key], "message": ", ".join(condition[key])})
    for key in ("AttrsAnd", "AttrsOr"):
        if condition.get(key):
            pairs = ", ".join(f"{name} = {value}" for name, value in condition[key].items())
            lines.append(_("%(field)s: %(message)s") % {
                "field": PATH_WORDS["Condition." + key], "message": pairs})
    return lines


def offline_push_words(push: dict) -> list[tuple[str, str]]:
    """(platform, what it shows) for iOS and Android, or one line saying it is off."""
    info = push.get("OfflinePushInfo") or {}
    if info.get("PushFlag") == 1:
        return [(str(_("All platforms")), str(_("Off: people see the message only in the app")))]
    text = push_text(push)
    if not text:  # §7.1: custom data alone, with no push text, gets no offline push at all
        return [(str(_("All platforms")), str(_(
            "None: the message has no push text (custom data alone), so Tencent sends no "
            "notification, title or not")))]
    apns, android = info.get("ApnsInfo") or {}, info.get("AndroidInfo") or {}
    ios = " — ".join(p for p in (apns.get("Title") or info.get("Title", ""),
                                 apns.get("SubTitle", ""), text) if p)
    if apns.get("BadgeMode") == 1:
        ios += " · " + str(_("badge not counted"))
    if apns.get("Sound"):
        ios += " · " + str(_("sound %(sound)s") % {"sound": apns["Sound"]})
    droid = " — ".join(p for p in (info.get("Title", ""), text) if p)
    channels = [name for key, name in (("HuaWeiChannelID", "Huawei"), ("XiaoMiChannelID", "Xiaomi"),
                                       ("OPPOChannelID", "OPPO"), ("GoogleChannelID", "FCM"))
                if android.get(key)]
    if channels:
        droid += " · " + str(_("channels for %(vendors)s") % {"vendors": ", ".join(channels)})
    if android.get("Sound"):
        droid += " · " + str(_("sound %(sound)s") % {"sound": android["Sound"]})
    return [("iOS", ios or "—"), ("Android", droid or "—")]


def lifetime_words(seconds: int) -> str:
    if not seconds:
        return str(_("Online users only: nobody offline gets it later"))
    if seconds % 86400 == 0:
        span = ngettext("%(n)s day", "%(n)s days", seconds // 86400) % {"n": seconds // 86400}
    elif seconds % 3600 == 0:
        span = ngettext("%(n)s hour", "%(n)s hours", seconds // 3600) % {"n": seconds // 3600}
    elif seconds % 60 == 0:
        span = ngettext("%(n)s minute", "%(n)s minutes", seconds // 60) % {"n": seconds // 60}
    else:
        span = None
    if span:
        return str(_("Kept %(span)s for people who are offline") % {"span": span})
    return str(_("Kept %(n)s seconds for people who are offline") % {"n": seconds})


def campaign_summary(campaign: Campaign) -> dict:
    """The detail page's summary card: message, audience with known reach, offline push per
    platform, and the quota day the campaign takes."""
    push = campaign.push or {}
    condition = push.get("Condition")
    moment = campaign.due_at or campaign.send_at
    reach = audience_reach(condition, app=campaign.app) if condition else None
    if campaign.status == Status.SPLIT:
        # A split parent reaches its buckets' accounts, not everyone its condition names:
        # accounts without a valid zone get no push.
        reach = {"known": audience_reach(None, app=campaign.app)["known"],
                 "matching": audience_reach_total(
            [(push or {}).get("Condition") for push in
             campaign.buckets.exclude(status=Status.CANCELLED).values_list("push", flat=True)],
            app=campaign.app)}
    return {
        "text": message_text(push),
        "elements": [str(ELEMENT_WORDS.get(e.get("MsgType"), e.get("MsgType")))
                     for e in push.get("MsgBody") or []],
        "audience": audience_words(condition),
        "reach": reach,
        "offline": offline_push_words(push),
        "lifetime": lifetime_words(push.get("MsgLifeTime", 0)),
        "quota_day": quota_day_of(moment, campaign.app) if moment else None,
        "moved": bool(campaign.due_at and campaign.send_at and campaign.due_at != campaign.send_at
                      and campaign.status == Status.SCHEDULED),
    }


def outcome_words(campaign: Campaign) -> str:
    """The list's outcome column: what happened, in words."""
    if campaign.status == Status.SENT:
        return str(_("Accepted by Tencent"))
    if campaign.status_reason:
        return campaign.status_reason_text
    return {Status.DRAFT: str(_("Not scheduled")), Status.SCHEDULED: str(_("Waiting for its time")),
            Status.SENDING: str(_("Being sent")), Status.CANCELLED: str(_("Will not be sent"))
            }.get(campaign.status, "—")


def audience_short(condition: dict | None) -> str:
    return "; ".join(audience_words(condition))


# --- a split campaign's pushes, approval, quiet hours ------------------------------------


def split_and_approval_context(campaign: Campaign) -> dict:
    """The time-zone buckets of a split campaign, each with its local time in its own zone
    ("2026-12-08 09:00 Asia/Tokyo": formatted here, as a template's date filter would turn it
    into the viewer's zone) and quota day, and how many were sent; or, with approval on, the
    buckets a draft's local-time plan asks for."""
    buckets = []
    # An A/B test's pushes and language versions are children too: their own panels show them.
    for bucket in campaign.buckets.filter(variant="", language="").order_by(
            "due_at", "bucket_zone", "bucket_value"):
        moment = bucket.due_at or bucket.send_at
        local = moment.astimezone(ZoneInfo(bucket.bucket_zone)) if moment else None
        bucket.local_due = f"{local:%Y-%m-%d %H:%M} {bucket.bucket_zone}" if local else "—"
        bucket.quota_day = quota_day_of(moment, campaign.app) if moment else None
        buckets.append(bucket)
    planned = campaign.status in (Campaign.Status.DRAFT, Campaign.Status.PENDING_APPROVAL)
    return {"buckets": buckets, "approval_on": approval_required(),
            "split_progress": split_progress_words(buckets) if buckets else "",
            "needs_test": settings.CAMPAIGN_APPROVAL_NEEDS_TEST,
            "local_plan": local_plan_view(campaign) if planned else None}


def split_progress_words(buckets: list[Campaign]) -> str:
    """"Sent as 4 pushes." only once every bucket was sent; before, how many are booked."""
    n = len(buckets)
    counts = Counter(bucket.status for bucket in buckets)
    if n and counts[Campaign.Status.SENT] == n:
        return ngettext("Sent as %(n)d push.", "Sent as %(n)d pushes.", n) % {"n": n}
    words = {"n": n, "sent": counts[Campaign.Status.SENT],
             "booked": counts[Campaign.Status.SCHEDULED] + counts[Campaign.Status.SENDING]}
    words["other"] = n - words["sent"] - words["booked"]
    if words["other"]:
        return ngettext("%(sent)d of %(n)d push sent so far; %(booked)d booked; %(other)d not "
                        "sent (see each push).",
                        "%(sent)d of %(n)d pushes sent so far; %(booked)d booked; %(other)d not "
                        "sent (see each push).", n) % words
    return ngettext("%(sent)d of %(n)d push sent so far; %(booked)d booked.",
                    "%(sent)d of %(n)d pushes sent so far; %(booked)d booked.", n) % words


def waiting_for_approval_context(user, app: App) -> dict:
    """For approvers, while approval is on: the app's campaigns waiting for them, oldest
    first."""
    if not approval_required() or not roles.is_approver(user):
        return {"waiting_for_approval": None}
    waiting = (Campaign.objects.filter(app=app, status=Campaign.Status.PENDING_APPROVAL)
               .select_related("created_by").order_by("updated_at", "id")[:20])
    # Only those this approver may approve: none they wrote, edited or submitted.
    return {"waiting_for_approval": approvable_by(user, waiting)}


def quiet_hours_words() -> str:
    """"22:00–08:00", or "" when the workspace has no quiet hours."""
    workspace = Workspace.current()
    if workspace.quiet_start is None or workspace.quiet_end is None:
        return ""
    return f"{workspace.quiet_start:%H:%M}–{workspace.quiet_end:%H:%M}"
