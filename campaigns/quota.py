"""Quota days (midnight to midnight in the app's quota zone): each app's daily limit, what each
of its days has used, booked and left, and the lock that keeps concurrent bookings from
overfilling a day. Tencent keeps the quota per SDKAppID, so every count here is one app's.

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
from core.chat_apps import app_or_default
from core.errors import InvalidInput
from core.models import App

from .models import Attempt, Campaign, QuotaDay, TestSend

MAX_DAILY_LIMIT = 1_000_000
# A test send that Tencent refused did not happen; one in flight or unanswered may have.
# A campaign booked into its due day: scheduled, or an A/B test's winner held for its result.
BOOKED = (Campaign.Status.SCHEDULED, Campaign.Status.HELD)
TEST_SEND_USED = (Attempt.Outcome.IN_FLIGHT, Attempt.Outcome.OK, Attempt.Outcome.UNKNOWN)


def quota_zone(app: App | None = None) -> ZoneInfo:
    """The default app's is PUSH_QUOTA_TIMEZONE, like the rest of its TIM_* connection."""
    app = app_or_default(app)
    return ZoneInfo(settings.PUSH_QUOTA_TIMEZONE if app.from_settings else app.quota_timezone)


def quota_day_of(moment: dt.datetime, app: App | None = None) -> dt.date:
    return moment.astimezone(quota_zone(app)).date()


def quota_day_bounds(day: dt.date, app: App | None = None) -> tuple[dt.datetime, dt.datetime]:
    zone = quota_zone(app)
    return (dt.datetime.combine(day, dt.time.min, tzinfo=zone),
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def next_quota_day_start(moment: dt.datetime, app: App | None = None) -> dt.datetime:
    app = app_or_default(app)
    return quota_day_bounds(quota_day_of(moment, app), app)[1]


def quota_limit(app: App | None = None) -> int:
    """Pushes the app's quota day allows: what an admin set last, else PUSH_DAILY_QUOTA. Read
    from the database on every use, so every worker on every host sees a change at once."""
    limit = App.objects.filter(pk=app_or_default(app).pk).values_list(
        "daily_limit", flat=True).first()
    return settings.PUSH_DAILY_QUOTA if limit is None else limit


@transaction.atomic
def quota_limit_set(*, user, limit, app: App | None = None) -> int:
    """An admin's new daily limit for the app (after buying more in Tencent's console),
    audited."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_DAILY_LIMIT:
        raise InvalidInput({"limit": [_(
            "The daily limit must be a whole number of pushes from 1 to %(max)d")
            % {"max": MAX_DAILY_LIMIT}]})
    app = app_or_default(app)
    before = quota_limit(app)
    App.objects.filter(pk=app.pk).update(daily_limit=limit)
    app.daily_limit = limit
    audit_record(actor=user, verb="quota.limit_set", subject=app, subject_type="quota",
                 before=before, after=limit)
    return limit


def test_sends_of(first: dt.date, last: dt.date, app: App | None = None) -> dict[dt.date, int]:
    """Test sends each of the app's quota days made (counted apart from campaigns' pushes)."""
    return dict(TestSend.objects.filter(campaign__app=app_or_default(app), quota_day__gte=first,
                                        quota_day__lte=last, outcome__in=TEST_SEND_USED)
                .values_list("quota_day").annotate(n=Count("pk")).values_list("quota_day", "n"))


def quota_used_by_day(first: dt.date, last: dt.date,
                      app: App | None = None) -> dict[dt.date, int]:
    """Pushes each of the app's quota days used: the attempt ledger, plus test sends when
    PUSH_TEST_SENDS_USE_QUOTA says Tencent counts them (spec §3.5 [UNCERTAIN])."""
    app = app_or_default(app)
    used = dict(Attempt.objects.filter(campaign__app=app, quota_day__gte=first,
                                       quota_day__lte=last, counts_quota=True)
                .values_list("quota_day").annotate(n=Count("pk")).values_list("quota_day", "n"))
    if settings.PUSH_TEST_SENDS_USE_QUOTA:
        for day, n in test_sends_of(first, last, app).items():
            used[day] = used.get(day, 0) + n
    return used


def quota_used(day: dt.date, app: App | None = None) -> int:
    return quota_used_by_day(day, day, app).get(day, 0)


def quota_booked(day: dt.date, *, exclude_id: int | None = None, app: App | None = None) -> int:
    app = app_or_default(app)
    start, end = quota_day_bounds(day, app)
    booked = Campaign.objects.filter(app=app, status__in=BOOKED, due_at__gte=start,
                                     due_at__lt=end)
    return booked.exclude(pk=exclude_id).count() if exclude_id else booked.count()


def pushes_left(used: int, booked: int, limit: int) -> int:
    """The one place that says how many pushes a day still has room for."""
    return max(0, limit - used - booked)


def pushes_left_on(day: dt.date, *, exclude_id: int | None = None, count_booked: bool = True,
                   app: App | None = None) -> int:
    """Room left on the app's quota day for one more booking (every booking but `exclude_id`
    counted), or, with count_booked=False, for one more send now (the dispatcher's check: a
    due campaign is itself one of the bookings)."""
    app = app_or_default(app)
    booked = quota_booked(day, exclude_id=exclude_id, app=app) if count_booked else 0
    return pushes_left(quota_used(day, app), booked, quota_limit(app))


def quota_day_lock(day: dt.date, app: App | None = None) -> None:
    """Hold the app's day row until the caller's transaction ends: bookings into one day queue
    up, so counting what remains and writing the booking happen as one step."""
    app = app_or_default(app)
    days = QuotaDay.objects.select_for_update().filter(app=app, day=day)
    if not days.exists():  # the day's first booking makes its row (one query after that)
        QuotaDay.objects.get_or_create(app=app, day=day)
        days.get()


def quota_summary(day: dt.date | None = None, app: App | None = None) -> dict:
    """An app's quota day as the API and the pages show it (today's by default)."""
    app = app_or_default(app)
    day = day or quota_day_of(timezone.now(), app)
    used, booked, limit = quota_used(day, app), quota_booked(day, app=app), quota_limit(app)
    return {"app": app.slug, "day": day.isoformat(), "limit": limit, "used": used,
            "booked": booked, "remaining": pushes_left(used, booked, limit),
            "test_sends": test_sends_of(day, day, app).get(day, 0),
            "test_sends_use_quota": settings.PUSH_TEST_SENDS_USE_QUOTA,
            "resets_at": quota_day_bounds(day, app)[1].isoformat()}
