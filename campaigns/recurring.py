"""Recurring series: a rule in the author's time zone (RFC 5545 RRULE, computed by
python-dateutil), whose occurrences are booked as campaigns a horizon ahead through the one
booking door (services.campaign_book: the quota formula and the per-day lock).

The rule runs on wall-clock times in the series' zone and each occurrence is made aware only
afterwards, so a daylight-saving change keeps the local hour (09:00 stays 09:00)."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.text import unsafe_text_errors, words_list
from core.times import zone_or_error

from .models import Campaign, Series
from .permissions import (authors_of, contributor_ids, require_may_change_series,
                          require_may_choose_times, require_may_undo)
from .quiet import local_moment, quiet_hours_apply
from .quota import quota_day_lock, quota_day_of, pushes_left_on
from .services import campaign_book, push_errors
from .states import APPROVED_VERSIONS, approval_required, campaign_transition

Status = Campaign.Status
FREQUENCIES = ("daily", "weekly", "monthly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_WORDS = (gettext_lazy("Mon"), gettext_lazy("Tue"), gettext_lazy("Wed"),
                 gettext_lazy("Thu"), gettext_lazy("Fri"), gettext_lazy("Sat"),
                 gettext_lazy("Sun"))
MAX_COUNT = 366
# Under approval a series repeats a version someone approved.


def build_rrule(*, freq: str, weekdays=(), month_day: int | None = None,
                count: int | None = None, until: dt.date | None = None) -> str:
    """The RRULE value for the editor's choices; every choice is checked, naming its field."""
    errors: dict[str, list[str]] = {}
    if freq not in FREQUENCIES:
        errors["freq"] = [_("Choose how often it repeats: daily, weekly or monthly")]
    parts = [f"FREQ={str(freq).upper()}"]
    if freq == "weekly":
        days = [d for d in WEEKDAYS if d in set(weekdays or ())]
        if not days or len(days) != len(set(weekdays or ())):
            errors["weekdays"] = [_("Choose at least one day of the week")]
        parts.append("BYDAY=" + ",".join(days))
    if freq == "monthly":
        if not isinstance(month_day, int) or not 1 <= month_day <= 31:
            errors["month_day"] = [_("Choose a day of the month from 1 to 31")]
        parts.append(f"BYMONTHDAY={month_day}")
    if (count is None) == (until is None):
        errors["ends"] = [_("Give either a last day or a number of occurrences")]
    elif count is not None:
        if not 1 <= count <= MAX_COUNT:
            errors["count"] = [_("The number of occurrences must be from 1 to %(max)d") % {"max": MAX_COUNT}]
        parts.append(f"COUNT={count}")
    else:
        # A floating UNTIL (no Z): the rule and its end are both wall-clock times in the zone.
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    if errors:
        raise InvalidInput(errors)
    return ";".join(parts)


def _rule(series: Series):
    start = dt.datetime.combine(series.starts_on, series.local_time)
    return rrulestr(series.rrule, dtstart=start)


def occurrences(series: Series, *, after: dt.datetime, before: dt.datetime) -> list[dt.datetime]:
    """The rule's moments in [after, before)."""
    zone = ZoneInfo(series.timezone)
    naive = [t.replace(tzinfo=None) for t in (after.astimezone(zone), before.astimezone(zone))]
    window = dt.timedelta(days=1)  # a local window one day wider, trimmed in UTC below
    moments = (local_moment(local, zone)
               for local in _rule(series).between(naive[0] - window, naive[1] + window, inc=True))
    return [m for m in moments if after <= m < before]


def rule_errors(*, rrule: str, starts_on: dt.date, local_time: dt.time) -> dict:
    try:
        rule = rrulestr(rrule, dtstart=dt.datetime.combine(starts_on, local_time))
        first = rule.after(dt.datetime.combine(starts_on, local_time), inc=True)
    except (ValueError, TypeError, OverflowError) as exc:
        return {"rrule": [_("The repeat rule cannot be read (RFC 5545): %(error)s") % {"error": exc}]}
    if first is None:
        return {"ends": [_("The rule has no occurrence; end it later or start it earlier")]}
    return {}


def series_create(*, campaign: Campaign, user, rrule: str, starts_on: dt.date,
                  local_time: dt.time, tz: str, full_day: str, name: str = "") -> Series:
    """A series repeating `campaign`'s push (and audience); its occurrences are booked at once,
    each in its own transaction after the series is stored."""
    if approval_required():
        if campaign.status not in APPROVED_VERSIONS:
            raise TransitionRefused(_("When approval is on, only an approved campaign can be "
                                      "repeated on a rule"))
        require_may_choose_times(user, campaign)
    zone = zone_or_error(tz)
    errors = {**push_errors(campaign.push, campaign.app), **unsafe_text_errors(name, "name"),
              **rule_errors(rrule=rrule, starts_on=starts_on, local_time=local_time)}
    if full_day not in Series.FullDay.values:
        errors["full_day"] = [_("Choose what happens on a full day: skip it or move to the next day")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        series = Series.objects.create(
            app=campaign.app, name=(name or campaign.name).strip()[:200], push=campaign.push, timezone=zone.key,
            starts_on=starts_on, local_time=local_time, rrule=rrule, full_day=full_day,
            created_by=user, updated_by=user, content_by=sorted(contributor_ids(campaign)))
        audit_record(actor=user, verb="series.created", subject=series, subject_type="series",
                     rule=rrule, time=local_time.strftime("%H:%M"), zone=zone.key)
    series_book_ahead(series=series)
    return series


def series_update(*, series: Series, user, rrule: str, starts_on: dt.date, local_time: dt.time,
                  tz: str, full_day: str, name: str) -> Series:
    """A new version of the rule: future occurrences of the old one are replaced; those already
    sent (or sending) stay as they were."""
    require_may_change_series(user)
    zone = zone_or_error(tz)
    errors = {**rule_errors(rrule=rrule, starts_on=starts_on, local_time=local_time),
              **unsafe_text_errors(name, "name")}
    if full_day not in Series.FullDay.values:
        errors["full_day"] = [_("Choose what happens on a full day: skip it or move to the next day")]
    if not name.strip():
        errors["name"] = [_("Give the series a name")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        series.name, series.timezone, series.starts_on = name.strip()[:200], zone.key, starts_on
        series.local_time, series.rrule, series.full_day = local_time, rrule, full_day
        series.updated_by, series.version = user, series.version + 1
        series.save()
        _cancel_future(series, user=user, reason="series_edited", before_version=series.version)
        audit_record(actor=user, verb="series.edited", subject=series, subject_type="series",
                     rule=rrule, time=local_time.strftime("%H:%M"), zone=zone.key)
    series_book_ahead(series=series)
    return series


@transaction.atomic
def series_end(*, series: Series, user) -> Series:
    series = Series.objects.select_for_update().get(pk=series.pk)
    require_may_undo(user, series.created_by_id)
    series.active, series.updated_by = False, user
    series.save()
    _cancel_future(series, user=user, reason="series_ended", before_version=series.version + 1)
    audit_record(actor=user, verb="series.ended", subject=series, subject_type="series")
    return series


def series_not_sent(series: Series):
    """Its occurrences not sent yet: what ending the series cancels (sent, sending and past
    ones are history and stay). The series page counts them before anyone confirms."""
    return series.occurrences.filter(status__in=[Status.DRAFT, Status.SCHEDULED])


def _cancel_future(series: Series, *, user, reason: str, before_version: int) -> None:
    for campaign in series_not_sent(series).filter(series_version__lt=before_version):
        campaign_transition(campaign, to=Status.CANCELLED, actor=user, reason=reason)


def series_book_ahead(*, series: Series, now: dt.datetime | None = None) -> list[Campaign]:
    """Book every occurrence from now to the horizon that is not booked yet; each in its own
    transaction, so one full day never holds back the rest."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=settings.RECURRING_HORIZON_DAYS)
    # After an edit, the new rule starts the local day after the last occurrence that went
    # (or is going) out, so an edit never sends a second push for a day already served.
    kept = (series.occurrences.filter(series_version__lt=series.version)
            .exclude(status=Status.CANCELLED).order_by("-occurrence_at")
            .values_list("occurrence_at", flat=True).first())
    after = now
    if kept:
        zone = ZoneInfo(series.timezone)
        next_day = kept.astimezone(zone).date() + dt.timedelta(days=1)
        after = max(now, local_moment(dt.datetime.combine(next_day, dt.time.min), zone))
    booked = []
    for moment in occurrences(series, after=after, before=horizon):
        try:
            with transaction.atomic():
                locked = Series.objects.select_for_update().get(pk=series.pk)
                if not locked.active or locked.occurrences.filter(
                        series_version=locked.version, occurrence_at=moment).exists():
                    continue
                booked.append(_book_occurrence(locked, moment))
        except IntegrityError:
            continue  # another worker booked it first
    return booked


def _book_occurrence(series: Series, moment: dt.datetime) -> Campaign:
    campaign = Campaign.objects.create(
        app=series.app, name=series.name, push=series.push, timezone=series.timezone,
        created_by=series.created_by, msg_random=secrets.randbelow(2**32), series=series,
        series_version=series.version, occurrence_at=moment,
        quiet_hours=Campaign.QuietHours.MOVE, content_by=authors_of(series))
    audit_record(actor=None, verb="campaign.created", subject=campaign)
    zone = ZoneInfo(series.timezone)
    # An occurrence in quiet hours goes when they end; that is the day whose room counts.
    at, quiet = quiet_hours_apply(moment, zone, policy=Campaign.QuietHours.MOVE)
    app = series.app
    day = quota_day_of(at, app)
    quota_day_lock(day, app)
    if pushes_left_on(day, exclude_id=campaign.pk, app=app) > 0:
        campaign_book(campaign, user=None, at=at, from_=[Status.DRAFT], send_at=at,
                      reason="moved_quiet_hours" if quiet else "", params=quiet)
        return campaign
    if series.full_day == Series.FullDay.NEXT_DAY:
        local = at.astimezone(zone).replace(tzinfo=None)
        for days in range(1, settings.RECURRING_NEXT_DAY_SEARCH_DAYS + 1):
            later = local_moment(local + dt.timedelta(days=days), zone)
            later_day = quota_day_of(later, app)
            quota_day_lock(later_day, app)
            if pushes_left_on(later_day, exclude_id=campaign.pk, app=app) > 0:
                campaign_book(campaign, user=None, at=later, from_=[Status.DRAFT],
                              reason="series_moved_full_day", send_at=later,
                              params={"day": day.isoformat(), "to": later_day.isoformat()})
                return campaign
    campaign_transition(campaign, to=Status.CANCELLED, reason="series_skipped_full_day",
                        params={"day": day.isoformat()})
    return campaign


def series_book_all_ahead() -> int:
    """For the beat: keep every active series booked to the horizon."""
    return sum(len(series_book_ahead(series=s)) for s in Series.objects.filter(active=True))


def rule_words(series: Series) -> str:
    """The series' rule in the reader's language."""
    return rule_text(rrule=series.rrule, local_time=series.local_time.strftime("%H:%M"),
                     zone=series.timezone)


def rule_text(*, rrule: str, local_time: str = "", zone: str = "") -> str:
    """A rule build_rrule made, in the reader's language ("Every week on Mon, Thu at 09:00
    (Asia/Shanghai), 4 times"), never the RRULE itself. The time and zone are left out where
    they are not known (audit rows written before they were kept)."""
    try:
        fields = dict(part.split("=", 1) for part in rrule.split(";"))
    except ValueError:
        return _("a repeat rule that cannot be read")
    values = {"time": local_time, "day": fields.get("BYMONTHDAY", "")}
    if fields.get("FREQ") == "WEEKLY":
        names = dict(zip(WEEKDAYS, WEEKDAY_WORDS, strict=True))
        values["days"] = words_list(names[d] for d in fields.get("BYDAY", "").split(",")
                                    if d in names)
        words = _("Every week on %(days)s at %(time)s") if local_time else \
            _("Every week on %(days)s")
    elif fields.get("FREQ") == "MONTHLY":
        words = _("Every month on day %(day)s at %(time)s (months without that day are "
                  "skipped)") if local_time else \
            _("Every month on day %(day)s (months without that day are skipped)")
    else:
        words = _("Every day at %(time)s") if local_time else _("Every day")
    if "COUNT" in fields:
        ends = _("%(n)s times") % {"n": fields["COUNT"]}
    else:
        until = fields.get("UNTIL", "")
        ends = _("until %(day)s") % {"day": f"{until[:4]}-{until[4:6]}-{until[6:8]}"}
    parts = {"rule": words % values, "zone": zone, "ends": ends}
    return (_("%(rule)s (%(zone)s), %(ends)s") if zone else _("%(rule)s, %(ends)s")) % parts
