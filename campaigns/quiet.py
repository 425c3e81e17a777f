"""Quiet hours: a workspace's local wall-clock window (e.g. 22:00–08:00) in which no campaign
should land, and the wall-clock helper recurring series and quiet hours use."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from core.errors import InvalidInput

from .models import Workspace


def local_moment(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time in `zone` as an aware moment. One the clocks skip (02:30 on the night
    they spring forward) becomes the same minutes after the jump; one that happens twice, the
    first."""
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC).astimezone(zone)


def quiet_hours_end(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    """When the quiet hours that `moment` falls in end, in `zone`; None outside them."""
    workspace = Workspace.current()
    start, end = workspace.quiet_start, workspace.quiet_end
    if start is None or end is None or start == end:
        return None
    local = moment.astimezone(zone)
    time = local.time().replace(tzinfo=None)
    if start < end:
        inside, end_day = start <= time < end, local.date()
    else:  # the window crosses midnight
        inside = time >= start or time < end
        end_day = local.date() + dt.timedelta(days=1 if time >= start else 0)
    if not inside:
        return None
    return local_moment(dt.datetime.combine(end_day, end), zone)


def quiet_hours_apply(moment: dt.datetime, zone: ZoneInfo, *, policy: str,
                      field: str = "send_at") -> tuple[dt.datetime, dict | None]:
    """The moment to book and, when it was moved, the reason's parameters; a refusal names
    the field, the local time and the window."""
    end = quiet_hours_end(moment, zone)
    if end is None:
        return moment, None
    workspace = Workspace.current()
    words = {"time": moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"), "zone": zone.key,
             "start": workspace.quiet_start.strftime("%H:%M"),
             "end": workspace.quiet_end.strftime("%H:%M")}
    if policy != "move":
        raise InvalidInput({field: [_(
            "%(time)s in %(zone)s is in the workspace's quiet hours (%(start)s–%(end)s); "
            "choose another time, or choose to move it to when quiet hours end") % words]})
    return end, {**words, "day": end.strftime("%Y-%m-%d"), "moved_to": end.strftime("%H:%M")}
