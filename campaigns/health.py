"""The scheduler's health check, added to the site's checks (core/health.py) at start."""

from __future__ import annotations

import datetime as dt

from .dispatch import db_now, last_tick

# Beat starts a dispatcher tick every second and a running dispatcher renews it every poll:
# a minute of silence means no beat or no worker is taking the ticks.
SCHEDULER_STALE_AFTER = dt.timedelta(minutes=1)


def scheduler_ok() -> tuple[bool, dict]:
    """Ticks are written on the database's clock, so they are compared with it, not with this
    host's."""
    tick = last_tick()
    fresh = tick is not None and db_now() - tick <= SCHEDULER_STALE_AFTER
    return fresh, {"scheduler_last_tick": tick.isoformat() if tick else None}
