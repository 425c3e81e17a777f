"""How long the team tools take to book what they promise: a recurring series' 30 occurrences
(horizon 30 days) and a split into 10 time-zone buckets, each through the quota lock.

Run: `python -m bench.team_booking [runs]` (SQLite), or with DATABASE_URL for PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sys
import time

from bench.harness import setup_django, summary, temp_dir

ZONES = ["Asia/Tokyo", "Asia/Seoul", "Asia/Singapore", "Asia/Kolkata", "Asia/Jakarta",
         "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "UTC"]
RUNS = 7


def main(runs: int = RUNS) -> None:
    setup_django(temp_dir())
    from django.contrib.auth.models import User
    from django.utils import timezone

    from audience.models import AccountAttr, AttributeName, KnownAccount
    from campaigns import local_time, recurring, services

    user = User.objects.create_user(f"bench{time.time_ns()}")
    AttributeName.objects.get_or_create(index=0, defaults={"name": "tz"})
    for i, zone in enumerate(ZONES):
        account = f"bench-{time.time_ns()}-{i}"
        KnownAccount.objects.create(account=account)
        AccountAttr.objects.create(account=account, name="tz", value=zone)
    push = {"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "bench"}}]}
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    series_ms, split_ms = [], []
    for run in range(runs):
        campaign = services.campaign_create(user=user, name="bench", push=push)
        start = time.perf_counter()
        series = recurring.series_create(campaign=campaign, user=user,
                                         rrule="FREQ=DAILY;COUNT=60", starts_on=tomorrow,
                                         local_time=dt.time(9, run), tz="Asia/Shanghai",
                                         full_day="skip")
        series_ms.append((time.perf_counter() - start) * 1000)
        assert series.occurrences.filter(status="scheduled").count() >= 29
        parent = services.campaign_create(user=user, name="bench", push=push)
        start = time.perf_counter()
        children = local_time.campaign_split_by_zone(
            campaign=parent, user=user, day=tomorrow + dt.timedelta(days=2 + run), hour=9,
            by="attr", key="tz", zones=ZONES)
        split_ms.append((time.perf_counter() - start) * 1000)
        assert len(children) == len(ZONES)
    for label, values in (("series: book 30 occurrences", series_ms),
                          ("split: book 10 time-zone buckets", split_ms)):
        figures = summary(values)
        print(f"{label}: median {figures['median']:.0f} ms, max {figures['max']:.0f} ms "
              f"({figures['n']} runs)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
