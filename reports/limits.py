"""1 call a second for each report command (spec §3.5), shared by every process on every host:
the core limiter's algorithm with its own key and rate."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from core.limiter import FileLimiter, RedisLimiter


@cache
def report_limiter(command: str):
    limit, window = settings.REPORT_CALLS_PER_SECOND, settings.TIM_RATE_WINDOW_SECONDS
    if settings.REDIS_URL:
        return RedisLimiter(settings.REDIS_URL, limit=limit, window=window,
                            key=f"tim:report:{command}")
    return FileLimiter(Path(settings.VAR_DIR) / f"tim-report-{command}.json", limit=limit,
                       window=window)


def wait_for(command: str) -> None:
    report_limiter(command).acquire()
