"""Reads for the dashboard: home overview, campaign list, calendar month. Query counts stay flat."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_words
from core.models import AuditEvent

from .models import Attempt, Campaign, PushGate
from .reasons import reason_words
from .quota import (
    quota_day_bounds,
    quota_day_of,
    quota_left,
    quota_limit,
    quota_read,
    quota_used_by_day,
    quota_zone,
)

Status = Campaign.Status
SCHEDULER_SILENT_AFTER = dt.timedelta(seconds=15)


def home_overview() -> dict:
    now = timezone.now()
    gate = PushGate.objects.filter(pk=1).first()
    # Three small indexed counts beat one aggregate that reads every campaign.
    counts = {
        "needs_review": Campaign.objects.filter(status=Status.NEEDS_REVIEW).count(),
        "failed_today": Campaign.objects.filter(
            status=Status.FAILED, updated_at__gte=now - dt.timedelta(days=1)).count(),
        "moved": Campaign.objects.filter(status=Status.SCHEDULED,
                                         status_reason__startswith="moved_").count(),
    }
    last_tick = gate.last_tick_at if gate else None
    return {
        "quota": quota_read(), "quota_timezone": settings.PUSH_QUOTA_TIMEZONE,
        "upcoming": list(Campaign.objects.filter(status=Status.SCHEDULED)
                         .order_by("due_at", "id")[:8]),
        # The attempt ledger is the record of sends, newest first on its own index.
        "recent": list(Attempt.objects.select_related("campaign").order_by("-started_at")[:8]),
        "warnings": {**counts,
                     "scheduler_silent": last_tick is None or now - last_tick > SCHEDULER_SILENT_AFTER,
                     "last_tick": last_tick},
    }


def campaign_list(*, status: str = "", day: dt.date | None = None, search: str = ""):
    """Newest first; `day` is a quota day matched against the campaign's time."""
    query = Campaign.objects.select_related("created_by").order_by("-created_at", "-id")
    if status in Status.values:
        query = query.filter(status=status)
    if day:
        start, end = quota_day_bounds(day)
        query = query.filter(send_at__gte=start, send_at__lt=end)
    if search:
        query = query.filter(name__icontains=search)
    return query


def calendar_month(year: int, month: int) -> dict:
    """Each quota day of the month with its scheduled campaigns, pushes used and what remains."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    start, _ = quota_day_bounds(first)
    _, end = quota_day_bounds(last)
    used = quota_used_by_day(first, last)
    booked = dict(Campaign.objects.filter(status=Status.SCHEDULED, due_at__gte=start,
                                          due_at__lt=end)
                  .annotate(day=TruncDate("due_at", tzinfo=quota_zone()))
                  .values_list("day").annotate(n=Count("pk")).values_list("day", "n"))
    limit = quota_limit()
    today = quota_day_of(timezone.now())
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            u, b = used.get(day, 0), booked.get(day, 0)
            row.append({"date": day, "in_month": day.month == month, "used": u, "booked": b,
                        "remaining": quota_left(u, b, limit), "full": not quota_left(u, b, limit),
                        "past": day < today, "today": day == today,
                        "share": min(100, round(100 * (u + b) / limit)) if limit else 100})
        weeks.append(row)
    previous = first - dt.timedelta(days=1)
    following = last + dt.timedelta(days=1)
    return {"weeks": weeks, "first": first, "limit": limit,
            "previous": f"{previous.year}-{previous.month:02d}",
            "next": f"{following.year}-{following.month:02d}"}


AUDIT_KINDS = {"campaign": _("Campaigns"), "job": _("Bulk jobs"),
               "attribute_names": _("Attribute names"), "account": _("Accounts"),
               "token": _("API tokens"), "user": _("Sign-ins and roles"),
               "quota": _("Daily quota")}


def audit_events(*, actor: str = "", kind: str = "", since: dt.date | None = None,
                 until: dt.date | None = None):
    """The audit trail, newest first, filtered by who, what and when (days in the viewer's zone)."""
    query = AuditEvent.objects.select_related("actor")
    if actor:
        query = query.filter(actor__username__icontains=actor)
    if kind in AUDIT_KINDS:
        query = query.filter(subject_type=kind)
    zone = timezone.get_current_timezone()
    if since:
        query = query.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        query = query.filter(at__lt=dt.datetime.combine(until + dt.timedelta(days=1),
                                                        dt.time.min, tzinfo=zone))
    return query


def _describe(event: AuditEvent) -> dict:
    """Words for the parameters only campaigns know: statuses and reasons."""
    if event.verb != "campaign.status":
        return {}
    labels = dict(Status.choices)
    params = event.params
    reason = reason_words(params.get("reason", ""), params)
    return {"from_status": labels.get(params.get("from_status"), params.get("from_status", "")),
            "to_status": str(labels.get(params.get("to_status"), params.get("to_status", "")))
            + (f" — {reason}" if reason else "")}


def audit_rows(events) -> list[dict]:
    return [{"at": e.at, "actor": e.actor.username if e.actor else _("system"),
             "subject_type": e.subject_type, "subject_id": e.subject_id,
             "subject": e.subject_label, "what": audit_words(e, _describe)} for e in events]


def campaign_timeline(campaign: Campaign) -> list[dict]:
    return audit_rows(AuditEvent.objects.select_related("actor").filter(
        subject_type="campaign", subject_id=campaign.pk).order_by("at", "id"))
