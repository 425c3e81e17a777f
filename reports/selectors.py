"""Reads: a campaign's funnel (audience → sent → delivered → clicked) per vendor, its losses in
words, and the same for its test sends.

Two sources feed it: the callback counters (live, but a callback Tencent never delivered is
missing) and the poller's latest statistics and loss snapshots (Tencent's own count, but only as
fresh as the last poll). Each is a lower bound of what happened, so every figure is the larger
of the two.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Max, Sum

from campaigns.models import Campaign
from django.utils.translation import gettext as _

from pushclient.callbacks import CLICKED, DELIVERED, PLATFORMS, SENT

from .models import DeliveryCount, ReportSnapshot
from .words import VENDOR_ORDER, reason_code, reason_words, vendor_name

STAGE_FIELDS = {SENT: "sent", DELIVERED: "delivered", CLICKED: "clicked"}
SNAPSHOT_FIELDS = {"sent": "SentCount", "delivered": "DeliveredCount", "clicked": "ClickCount"}


def test_data_id(campaign: Campaign) -> str:
    """The DataId test sends of a campaign carry (issue 13 part 1, branch `loop`)."""
    return f"test:{campaign.pk}"


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _latest(campaign: Campaign, kind: str) -> ReportSnapshot | None:
    return (campaign.report_snapshots.filter(kind=kind, error_code__isnull=True).exclude(data={})
            .order_by("-fetched_at").first())


def _funnel(counts, statistics: dict | None, losses_snapshot: dict | None) -> dict:
    by_vendor: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STAGE_FIELDS.values(), 0))
    lost: dict[tuple, dict] = {}
    for row in counts:
        if row["err_code"]:
            key = (row["platform"], reason_code(row["err_code"], row["err_info"]))
            entry = lost.setdefault(key, {"count": 0, "err_code": row["err_code"],
                                          "err_info": row["err_info"]})
            entry["count"] += row["n"]
        elif row["stage"] in STAGE_FIELDS:
            by_vendor[row["platform"]][STAGE_FIELDS[row["stage"]]] += row["n"]
    totals = {name: sum(v[name] for v in by_vendor.values()) for name in SNAPSHOT_FIELDS}
    audience = None
    if statistics:
        audience = _int(statistics.get("TotalCount")) or None
        for name, field in SNAPSHOT_FIELDS.items():
            totals[name] = max(totals[name], _int(statistics.get(field)))
        polled: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SNAPSHOT_FIELDS, 0))
        for entry in statistics.get("PlatformStatistics") or []:
            if isinstance(entry, dict) and entry.get("PushPlatform") in PLATFORMS:
                for name, field in SNAPSHOT_FIELDS.items():
                    polled[_int(entry.get("PushPlatform"))][name] += _int(entry.get(field))
        for platform, figures in polled.items():
            for name, value in figures.items():
                by_vendor[platform][name] = max(by_vendor[platform][name], value)
    if losses_snapshot:
        for entry in losses_snapshot.get("LossReasons") or []:
            if not isinstance(entry, dict):
                continue
            code, info = _int(entry.get("ErrCode")), str(entry.get("ErrInfo") or "")[:256]
            key = (_int(entry.get("PushPlatform")), reason_code(code, info))
            current = lost.setdefault(key, {"count": 0, "err_code": code, "err_info": info})
            current["count"] = max(current["count"], _int(entry.get("Count")))
    vendors = [{"platform": p, "vendor": vendor_name(p), **by_vendor[p]}
               for p in VENDOR_ORDER if p in by_vendor and any(by_vendor[p].values())]
    losses = sorted(({"platform": p, "vendor": vendor_name(p), "reason": reason,
                      "count": v["count"], "err_code": v["err_code"],
                      "words": reason_words(v["err_code"], v["err_info"])}
                     for (p, reason), v in lost.items() if v["count"]),
                    key=lambda loss: (-loss["count"], loss["platform"]))
    return {"audience": audience, **totals, "vendors": vendors, "losses": losses}


def _counts(query):
    return list(query.values("platform", "stage", "err_code", "err_info")
                .annotate(n=Sum("count")).order_by())


def campaign_report(campaign: Campaign) -> dict:
    """The campaign's own funnel, and its test sends' apart, from its app's counters."""
    counters = DeliveryCount.objects.filter(app_id=campaign.app_id)
    counts = counters.filter(task_id=campaign.task_id) if campaign.task_id else \
        DeliveryCount.objects.none()
    statistics, loss = _latest(campaign, "statistics"), _latest(campaign, "loss")
    report = _funnel(_counts(counts), statistics.data if statistics else None,
                     loss.data if loss else None)
    times = [t for t in (counts.aggregate(at=Max("updated_at"))["at"],
                         statistics.fetched_at if statistics else None,
                         loss.fetched_at if loss else None) if t]
    tests = counters.filter(data_id=test_data_id(campaign))
    test_report = _funnel(_counts(tests), None, None)
    test_report["last_figure_at"] = tests.aggregate(at=Max("updated_at"))["at"]
    test_report.pop("audience")
    return {"campaign": campaign.pk, "task_id": campaign.task_id, **report,
            "last_figure_at": max(times) if times else None,
            "statistics_at": statistics.fetched_at if statistics else None,
            "test_sends": test_report}


def report_summaries(campaigns) -> dict[int, dict]:
    """sent / delivered / clicked per campaign for a page of the list, in one query (callback
    counters only; the detail page adds the polled figures). Each campaign's from its app's."""
    by_task = {(c.app_id, c.task_id): c.pk for c in campaigns if c.task_id}
    out = {pk: {"sent": 0, "delivered": 0, "clicked": 0} for pk in by_task.values()}
    rows = (DeliveryCount.objects.filter(app_id__in={app for app, _t in by_task},
                                         task_id__in={task for _a, task in by_task}, err_code=0)
            .values("app_id", "task_id", "stage").annotate(n=Sum("count")).order_by())
    for row in rows:
        pk = by_task.get((row["app_id"], row["task_id"]))
        if pk is not None and row["stage"] in STAGE_FIELDS:
            out[pk][STAGE_FIELDS[row["stage"]]] += row["n"]
    return out


CSV_HEADER = ["vendor", "audience", "sent", "delivered", "clicked", "lost", "loss_reason"]


def report_rows(report: dict) -> list[list]:
    """The report as CSV rows: one per vendor, one per loss reason, one of totals."""
    rows = [[v["vendor"], "", v["sent"], v["delivered"], v["clicked"], "", ""]
            for v in report["vendors"]]
    rows += [[loss["vendor"], "", "", "", "", loss["count"], loss["words"]]
             for loss in report["losses"]]
    rows.append([_("total"), report["audience"] if report["audience"] is not None else "",
                 report["sent"], report["delivered"], report["clicked"],
                 sum(loss["count"] for loss in report["losses"]), ""])
    return rows
