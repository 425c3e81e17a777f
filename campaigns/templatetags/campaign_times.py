"""Times as people read them: in a named zone, in the page's language, with a right zone label
(never an ISO string, never "CST" for Asia/Shanghai)."""

from __future__ import annotations

import zoneinfo

from django import template
from django.utils import formats, timezone

from core.times import is_zone, zone_label

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
    """'2026-11-24 09:30 Asia/Shanghai, UTC+08:00' for tables."""
    if not moment:
        return ""
    zone = _zone(zone_name)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(moment, zone)}"
