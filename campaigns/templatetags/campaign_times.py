"""Times as people read them: in a named zone, in the page's language, with a right zone label
(never an ISO string, never "CST" for Asia/Shanghai) on a time in another zone than the viewer's,
which the page names once (_zone_note.html, or a column header). The rule is core.times's."""

from __future__ import annotations

from django import template

from core import zones
from core.times import time_in_zone

register = template.Library()


@register.filter
def when(moment, zone_name=None):
    """'Nov. 24, 2026, 9:30 a.m.' in the zone given, or the viewer's when none is; in another
    zone than the viewer's, with its label: 'Nov. 24, 2026, 9:30 a.m. (CET, UTC+01:00)'."""
    return time_in_zone(moment, zone_name, long=True) if moment else ""


@register.filter
def when_short(moment, zone_name=None):
    """'2026-11-24 09:30' for rows in the viewer's zone, and '2026-11-24 09:30 CET, UTC+01:00'
    in any other."""
    return time_in_zone(moment, zone_name) if moment else ""


@register.filter
def zone_name(zone):
    """'Sydney' for Australia/Sydney, in the page's language."""
    return zones.zone_name(zone)


@register.filter
def zone_option(zone):
    """'Sydney (Australia/Sydney)', as the zone fields show it."""
    return zones.zone_option(zone)
