"""Dates and times people type: one parser for "a local date and time in a zone", one for a day,
one for a month, each refusing what would break a page or the database (unknown zones, dates that
do not exist, years out of range) with a message naming the field."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .errors import InvalidInput
from .text import in_brackets

# Years a person can plan in; outside them PostgreSQL and Python's date arithmetic break.
FIRST_YEAR, LAST_YEAR = 2000, 2999
MAX_ZONE_LENGTH = 64


# Files in the zone database that name no zone: "Factory" (tzdata's placeholder, "-00"),
# "localtime" (the host's own zone, whatever that is), "posixrules". zoneinfo reads them, and
# available_timezones() lists some of them, so they are taken out by name.
NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@cache
def zone_ids() -> frozenset[str]:
    """Every name a zone is accepted by, the one rule for the API, pages and stored rows."""
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def zone_or_error(name, *, field: str = "timezone") -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or len(name) > MAX_ZONE_LENGTH or name not in zone_ids():
        raise InvalidInput({field: [_("%(field)s must be an IANA time zone such as "
                                      "Asia/Shanghai or Europe/Berlin") % {"field": field}]})
    return zoneinfo.ZoneInfo(name)


def is_zone(name) -> bool:
    return isinstance(name, str) and name in zone_ids()


def _in_range(moment: dt.datetime | dt.date) -> bool:
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def aware_or_error(moment, *, field: str) -> dt.datetime:
    """A datetime with a zone, within the years people plan in."""
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None or \
            moment.utcoffset() is None:
        raise InvalidInput({field: [_("%(field)s must be a date and time with a time zone "
                                      "offset, e.g. 2026-11-23T09:30:00+08:00") % {"field": field}]})
    try:
        in_range = _in_range(moment.astimezone(dt.UTC))
    except OverflowError:
        in_range = False
    if not in_range:
        raise InvalidInput({field: [_("%(field)s must be between the years %(first)d and "
                                      "%(last)d") % {"field": field, "first": FIRST_YEAR,
                                                     "last": LAST_YEAR}]})
    return moment


def local_to_aware(local: dt.datetime, zone: zoneinfo.ZoneInfo, *, field: str) -> dt.datetime:
    """A wall-clock time in `zone`. A time skipped by a daylight-saving change is refused; a
    time that happens twice means the first of the two."""
    if not _in_range(local):
        return aware_or_error(local.replace(tzinfo=dt.UTC), field=field)
    aware = local.replace(tzinfo=zone, fold=0)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != local.replace(fold=0):
        raise InvalidInput({field: [_("%(time)s does not exist in %(zone)s: the clocks skip it "
                                      "for daylight saving; choose another time") % {
            "time": local.strftime("%Y-%m-%d %H:%M"), "zone": zone.key}]})
    return aware_or_error(aware, field=field)


def parse_local(text, zone_name, *, field: str = "send_at", zone_field: str = "timezone"):
    """'2026-11-23T09:30' (seconds optional) in the named zone, as an aware datetime."""
    zone = zone_or_error(zone_name, field=zone_field)
    try:
        local = dt.datetime.fromisoformat(text) if isinstance(text, str) and len(text) <= 32 \
            else None
    except ValueError:
        local = None
    if local is None or local.tzinfo is not None:
        raise InvalidInput({field: [_("%(field)s must be a date and time like 2026-11-23T09:30")
                                    % {"field": field}]})
    return local_to_aware(local, zone, field=field)


def parse_iso_aware(text, *, field: str = "send_at") -> dt.datetime:
    """An ISO 8601 date and time with its offset, as scripts send it."""
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) and len(text) <= 40 \
            else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput({field: [_("%(field)s must be an ISO 8601 date and time, e.g. "
                                      "2026-11-23T09:30:00+08:00") % {"field": field}]})
    return aware_or_error(moment, field=field)


def parse_day(text, *, field: str = "day") -> dt.date:
    try:
        day = dt.date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not _in_range(day):
        raise InvalidInput({field: [_("%(field)s must be a real date like 2026-11-23, between "
                                      "the years %(first)d and %(last)d") % {
            "field": field, "first": FIRST_YEAR, "last": LAST_YEAR}]})
    return day


def parse_month(text, *, field: str = "month") -> tuple[int, int]:
    try:
        day = parse_day(f"{text}-01" if isinstance(text, str) and len(text) == 7 else "")
    except InvalidInput:
        raise InvalidInput({field: [_("%(field)s must be a month like 2026-11, between the "
                                      "years %(first)d and %(last)d") % {
            "field": field, "first": FIRST_YEAR, "last": LAST_YEAR}]}) from None
    return day.year, day.month


# Abbreviations that name one zone offset the world over. Others are ambiguous ("CST" is
# China, Cuba and US Central; "IST" India, Ireland and Israel) or invented by tzdata ("+08"),
# so the zone's name is shown instead.
UNAMBIGUOUS_ABBREVIATIONS = frozenset({
    "UTC", "GMT", "BST", "CET", "CEST", "EET", "EEST", "WET", "WEST", "MSK", "JST", "KST",
    "HKT", "WIB", "WITA", "WIT", "AEST", "AEDT", "ACST", "ACDT", "AWST", "NZST", "NZDT", "PST",
    "PDT", "MST", "MDT", "EST", "EDT", "AKST", "AKDT", "HST", "SAST", "PKT", "SGT"})


def zone_label(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """A right label for `moment` in `zone`: an unambiguous abbreviation ("CET", "JST") or
    the zone's name ("Asia/Shanghai"), with its UTC offset: "Asia/Shanghai, UTC+08:00"."""
    local = moment.astimezone(zone)
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    utc = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    abbreviation = local.tzname() or ""
    if zone.key in ("UTC", "Etc/UTC"):
        return "UTC"
    name = abbreviation if abbreviation in UNAMBIGUOUS_ABBREVIATIONS else zone.key
    return f"{name}, {utc}"


def time_in_zone(moment: dt.datetime, zone=None, *, long: bool = False) -> str:
    """`moment` on the clock of `zone` (a name or a ZoneInfo; the viewer's when it is none or no
    zone): "2026-11-24 09:30", or long, in the page's language, "Nov. 24, 2026, 9:30 a.m.".
    A page names the viewer's zone once (templates/_zone_note.html), so only a time in another
    zone says its own: "2026-11-24 09:30 CET, UTC+01:00", "Nov. 24, 2026, 9:30 a.m. (CET,
    UTC+01:00)". The one rule for every time a page or a flash shows."""
    if not isinstance(zone, zoneinfo.ZoneInfo):
        zone = zoneinfo.ZoneInfo(zone) if is_zone(zone) else timezone.get_current_timezone()
    local = moment.astimezone(zone)
    label = "" if str(zone) == timezone.get_current_timezone_name() else zone_label(moment, zone)
    if long:
        words = formats.date_format(local, "DATETIME_FORMAT")
        return words + in_brackets(label) if label else words
    return f"{local:%Y-%m-%d %H:%M} {label}" if label else f"{local:%Y-%m-%d %H:%M}"
