"""Quota days (midnight to midnight in PUSH_QUOTA_TIMEZONE): what each has used, booked and
left, and the lock that keeps concurrent bookings from overfilling a day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .models import Attempt, Campaign, QuotaDay


def quota_zone() -> ZoneInfo:
    return ZoneInfo(settings.PUSH_QUOTA_TIMEZONE)


def quota_day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(quota_zone()).date()


def quota_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=quota_zone())
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=quota_zone())


def next_quota_day_start(moment: dt.datetime) -> dt.datetime:
    return quota_day_bounds(quota_day_of(moment))[1]


def quota_used(day: dt.date) -> int:
    return Attempt.objects.filter(quota_day=day, counts_quota=True).count()


def quota_booked(day: dt.date, *, exclude_id: int | None = None) -> int:
    start, end = quota_day_bounds(day)
    booked = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, due_at__gte=start,
                                     due_at__lt=end)
    return booked.exclude(pk=exclude_id).count() if exclude_id else booked.count()


def quota_left(used: int, booked: int) -> int:
    """The one place that says how many pushes a day still has room for."""
    return max(0, settings.PUSH_DAILY_QUOTA - used - booked)


def quota_remaining(day: dt.date, *, exclude_id: int | None = None) -> int:
    return quota_left(quota_used(day), quota_booked(day, exclude_id=exclude_id))


def quota_day_lock(day: dt.date) -> None:
    """Hold the day's row until the caller's transaction ends: bookings into one day queue up,
    so counting what remains and writing the booking happen as one step."""
    QuotaDay.objects.get_or_create(day=day)
    QuotaDay.objects.select_for_update().get(day=day)


def quota_read(day: dt.date | None = None) -> dict:
    day = day or quota_day_of(timezone.now())
    used, booked = quota_used(day), quota_booked(day)
    return {"day": day.isoformat(), "limit": settings.PUSH_DAILY_QUOTA, "used": used,
            "booked": booked, "remaining": quota_left(used, booked),
            "resets_at": quota_day_bounds(day)[1].isoformat()}
