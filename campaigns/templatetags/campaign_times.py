"""Times as people read them: in a named zone, in the page's language, with a right zone label
(never an ISO string, never "CST" for Asia/Shanghai). A page names the viewer's zone once
(campaigns/_zone_note.html, or a column header), so rows in it are plain times."""

from __future__ import annotations

import zoneinfo

from django import template
from django.utils import formats, timezone

from core.times import is_zone, zone_label
from core import zones

register = template.Library()


def _zone(name) -> zoneinfo.ZoneInfo:
    if isinstance(name, zoneinfo.ZoneInfo):
        return name
    if is_zone(name):
        return zoneinfo.ZoneInfo(name)
    current = timezone.get_current_timezone()
    return current if isinstance(current, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo("UTC")


@register.filter
def when(moment, zone_name=None):
    """'Nov. 24, 2026, 9:30 a.m. (Asia/Shanghai, UTC+08:00)' in the zone given, or the
    viewer's zone when none is."""
    if not moment:
        return ""
    zone = _zone(zone_name)
    local = moment.astimezone(zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone_label(moment, zone)})"


@register.filter
def when_short(moment, zone_name=None):
    """'2026-11-24 09:30' for rows in the viewer's zone (the page names it once), and
    '2026-11-24 09:30 CET, UTC+01:00' in any other."""
    if not moment:
        return ""
    zone = _zone(zone_name)
    local = moment.astimezone(zone)
    if zone.key == timezone.get_current_timezone_name():
        return f"{local:%Y-%m-%d %H:%M}"
    return f"{local:%Y-%m-%d %H:%M} {zone_label(moment, zone)}"


@register.filter
def zone_name(zone):
    """'Sydney' for Australia/Sydney, in the page's language."""
    return zones.zone_name(zone)


@register.filter
def zone_option(zone):
    """'Sydney (Australia/Sydney)', as the zone fields show it."""
    return zones.zone_option(zone)
