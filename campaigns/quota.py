"""Quota days (midnight to midnight in PUSH_QUOTA_TIMEZONE): the daily limit, what each day has
used, booked and left, and the lock that keeps concurrent bookings from overfilling a day.

This is the one place that counts: the dispatcher, bookings, test sends, home and the calendar
all ask here, so a limit an admin raises holds everywhere at once, with no restart.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput

from .models import Attempt, Campaign, QuotaDay, QuotaLimit, TestSend

QUOTA_LIMIT_ROW = 1
MAX_DAILY_LIMIT = 1_000_000
# A test send that Tencent refused did not happen; one in flight or unanswered may have.
TEST_SEND_USED = (Attempt.Outcome.IN_FLIGHT, Attempt.Outcome.OK, Attempt.Outcome.UNKNOWN)


def quota_zone() -> ZoneInfo:
    return ZoneInfo(settings.PUSH_QUOTA_TIMEZONE)


def quota_day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(quota_zone()).date()


def quota_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=quota_zone())
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=quota_zone())


def next_quota_day_start(moment: dt.datetime) -> dt.datetime:
    return quota_day_bounds(quota_day_of(moment))[1]


def quota_limit() -> int:
    """Pushes a quota day allows: what an admin set last, else PUSH_DAILY_QUOTA. Read from the
    database on every use, so every worker on every host sees a change at once."""
    limit = QuotaLimit.objects.filter(pk=QUOTA_LIMIT_ROW).values_list("limit", flat=True).first()
    return settings.PUSH_DAILY_QUOTA if limit is None else limit


@transaction.atomic
def quota_limit_set(*, user, limit) -> int:
    """An admin's new daily limit (after buying more in Tencent's console), audited."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_DAILY_LIMIT:
        raise InvalidInput({"limit": [_(
            "The daily limit must be a whole number of pushes from 1 to %(max)d")
            % {"max": MAX_DAILY_LIMIT}]})
    before = quota_limit()
    QuotaLimit.objects.update_or_create(pk=QUOTA_LIMIT_ROW,
                                        defaults={"limit": limit, "set_by": user})
    audit_record(actor=user, verb="quota.limit_set", subject_type="quota",
                 before=before, after=limit)
    return limit


def test_sends_of(first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """Test sends each quota day made (counted apart from campaigns' pushes)."""
    return dict(TestSend.objects.filter(quota_day__gte=first, quota_day__lte=last,
                                        outcome__in=TEST_SEND_USED)
                .values_list("quota_day").annotate(n=Count("pk")).values_list("quota_day", "n"))


def quota_used_by_day(first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """Pushes each quota day used: the attempt ledger, plus test sends when
    PUSH_TEST_SENDS_USE_QUOTA says Tencent counts them (spec §3.5 [UNCERTAIN])."""
    used = dict(Attempt.objects.filter(quota_day__gte=first, quota_day__lte=last,
                                       counts_quota=True)
                .values_list("quota_day").annotate(n=Count("pk")).values_list("quota_day", "n"))
    if settings.PUSH_TEST_SENDS_USE_QUOTA:
        for day, n in test_sends_of(first, last).items():
            used[day] = used.get(day, 0) + n
    return used


def quota_used(day: dt.date) -> int:
    return quota_used_by_day(day, day).get(day, 0)


def quota_booked(day: dt.date, *, exclude_id: int | None = None) -> int:
    start, end = quota_day_bounds(day)
    booked = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, due_at__gte=start,
                                     due_at__lt=end)
    return booked.exclude(pk=exclude_id).count() if exclude_id else booked.count()


def pushes_left(used: int, booked: int, limit: int | None = None) -> int:
    """The one place that says how many pushes a day still has room for."""
    return max(0, (quota_limit() if limit is None else limit) - used - booked)


def pushes_left_on(day: dt.date, *, exclude_id: int | None = None,
                   count_booked: bool = True) -> int:
    """Room left on a quota day for one more booking (every booking but `exclude_id` counted),
    or, with count_booked=False, for one more send now (the dispatcher's check: a due campaign
    is itself one of the bookings)."""
    booked = quota_booked(day, exclude_id=exclude_id) if count_booked else 0
    return pushes_left(quota_used(day), booked)


def quota_day_lock(day: dt.date) -> None:
    """Hold the day's row until the caller's transaction ends: bookings into one day queue up,
    so counting what remains and writing the booking happen as one step."""
    QuotaDay.objects.get_or_create(day=day)
    QuotaDay.objects.select_for_update().get(day=day)


def quota_summary(day: dt.date | None = None) -> dict:
    """A quota day as the API and the pages show it (today's by default)."""
    day = day or quota_day_of(timezone.now())
    used, booked, limit = quota_used(day), quota_booked(day), quota_limit()
    return {"day": day.isoformat(), "limit": limit, "used": used,
            "booked": booked, "remaining": pushes_left(used, booked, limit),
            "test_sends": test_sends_of(day, day).get(day, 0),
            "test_sends_use_quota": settings.PUSH_TEST_SENDS_USE_QUOTA,
            "resets_at": quota_day_bounds(day)[1].isoformat()}
