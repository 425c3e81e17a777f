"""The statistics and loss poller: for each sent campaign, ask Tencent at each of
REPORT_POLL_AFTER_SECONDS after sending (5 min, 1 h, 24 h, 6 days by default), and keep what it
said as a ReportSnapshot, so the figures outlive its 7-day (loss) and 30-day (statistics)
windows. Up to 5 campaigns per call (§3.5); every call, each retry included, waits for its
1-a-second limiter (core/tencent.py).

Whether Tencent reports on a classic im_push TaskId is not documented [UNCERTAIN]: a refusal is
stored as "no report for this task" and never touches the campaign itself.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from campaigns.models import Campaign
from core import tencent
from pushclient import TencentError

from .models import ReportSnapshot

log = logging.getLogger(__name__)
MAX_TASKS_PER_CALL = 5  # §3.5
LOSS_WINDOW = dt.timedelta(days=7)
STATISTICS_WINDOW = dt.timedelta(days=30)
Kind = ReportSnapshot.Kind


def due_round(campaign: Campaign, now: dt.datetime, done: int | None) -> int | None:
    """The latest poll round whose time has come and that has not been taken, or None."""
    offsets = settings.REPORT_POLL_AFTER_SECONDS
    passed = [i for i, seconds in enumerate(offsets)
              if campaign.sent_at + dt.timedelta(seconds=seconds) <= now]
    if not passed or (done is not None and passed[-1] <= done):
        return None
    return passed[-1]


def due_campaigns(now: dt.datetime) -> list[tuple[Campaign, int]]:
    oldest = now - dt.timedelta(seconds=max(settings.REPORT_POLL_AFTER_SECONDS)) - \
        dt.timedelta(days=1)
    sent = list(Campaign.objects.filter(status=Campaign.Status.SENT, sent_at__gte=oldest)
                .exclude(task_id="").annotate(done=Max("report_snapshots__round"))
                .select_related("app").order_by("app_id", "sent_at"))
    out = []
    for campaign in sent:
        round_ = due_round(campaign, now, campaign.done)
        if round_ is not None:
            out.append((campaign, round_))
    return out


def poll_delivery_reports(*, now: dt.datetime | None = None) -> int:
    """Take every due snapshot; returns how many campaigns were asked about."""
    now = now or timezone.now()
    due = due_campaigns(now)
    # Each app is asked about its own tasks, with its own key and limiter.
    by_app: dict[int, list[tuple[Campaign, int]]] = {}
    for campaign, round_ in due:
        by_app.setdefault(campaign.app_id, []).append((campaign, round_))
    for tasks in by_app.values():
        for start in range(0, len(tasks), MAX_TASKS_PER_CALL):
            group = tasks[start:start + MAX_TASKS_PER_CALL]
            _poll(group, Kind.STATISTICS, STATISTICS_WINDOW, now)
            _poll(group, Kind.LOSS, LOSS_WINDOW, now)
    return len(due)


def _poll(group: list[tuple[Campaign, int]], kind: str, window: dt.timedelta,
          now: dt.datetime) -> None:
    inside = [(c, r) for c, r in group if now - c.sent_at < window]
    if not inside:
        return
    first = min(c.sent_at for c, _r in inside)
    # The range starts a minute before the first send: Tencent files a task by its start.
    start, end = int(first.timestamp()) - 60, int(now.timestamp()) + 1
    ids = [c.task_id for c, _r in inside]
    api = tencent.client(inside[0][0].app).timpush
    call = api.push_statistics if kind == Kind.STATISTICS else api.push_loss
    command = "all_member_push_statistics" if kind == Kind.STATISTICS else "all_member_push_loss"
    fetched_at = timezone.now()
    try:
        answer = call(start=start, end=end, task_ids=ids)
    except TencentError as exc:
        log.warning("%s refused for %s: %s", command, ids, exc.code)
        ReportSnapshot.objects.bulk_create([ReportSnapshot(
            campaign=c, kind=kind, round=r, fetched_at=fetched_at, error_code=exc.code,
            error_info=exc.info[:256]) for c, r in inside])
        return
    results = {r.get("TaskID"): r for r in answer.get("Results") or [] if isinstance(r, dict)}
    ReportSnapshot.objects.bulk_create([ReportSnapshot(
        campaign=c, kind=kind, round=r, fetched_at=fetched_at, data=results.get(c.task_id, {}))
        for c, r in inside])
