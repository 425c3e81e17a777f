"""A/B tests' figures and decisions: each variant's accounts reached and clicks from its
delivery report (the callbacks' counters, then the statistics poller's snapshots, whichever
says more), compared by reports.significance once the test's wait is over; what the result
says is carried out by campaigns.experiments."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from audience.rules import bucket_tag
from campaigns.experiments import (WINNER, cost_words, decision_words, experiment_cost,
                                   experiment_decided, pushes_of)
from core.text import words_list
from campaigns.models import Campaign, Experiment

from .selectors import campaign_report
from .significance import Arm, decide

log = logging.getLogger(__name__)
Status = Campaign.Status
# A variant in one of these has its final figures coming: the test waits for none other.
SETTLED = (Status.SENT, Status.FAILED, Status.CANCELLED, Status.RECALLED, Status.NEEDS_REVIEW)


def variant_figures(experiment: Experiment) -> list[dict]:
    """Each variant's push and figures so far, in letter order."""
    pushes = pushes_of(experiment)
    rows = []
    for variant in experiment.variants:
        push = pushes.get(variant["label"])
        report = campaign_report(push) if push is not None and push.task_id else {}
        reached, clicks = report.get("delivered", 0), report.get("clicked", 0)
        rows.append({"label": variant["label"], "buckets": variant["buckets"],
                     "campaign": push, "reached": reached, "clicks": clicks,
                     "rate": clicks / reached if reached else 0.0})
    return rows


def live_result(experiment: Experiment) -> dict:
    """The figures as they stand, with the test worked out on them: what the page and the API
    show before the decision (after it, the decision's own figures are kept)."""
    rows = variant_figures(experiment)
    result = decide([Arm(r["label"], r["reached"], r["clicks"]) for r in rows],
                    significance=experiment.significance, min_sample=experiment.min_sample)
    for row, interval in zip(rows, result.intervals):
        row["low"], row["high"] = interval
    return {"arms": rows, "reason": result.reason, "p_value": result.p_value,
            "winner": rows[result.winner]["label"] if result.winner is not None else ""}


def decision_of(experiment: Experiment) -> dict:
    """The stored decision: figures without the campaign objects, JSON as it is kept."""
    result = live_result(experiment)
    return {"reason": result["reason"], "p_value": result["p_value"],
            "winner": result["winner"], "significance": experiment.significance,
            "min_sample": experiment.min_sample,
            "arms": [{k: row[k] for k in ("label", "reached", "clicks", "rate", "low", "high")}
                     for row in result["arms"]]}


def decide_at(experiment: Experiment) -> dt.datetime | None:
    winner = pushes_of(experiment).get(WINNER)
    return winner.due_at if winner is not None else None


def decide_due_experiments(*, now: dt.datetime | None = None) -> int:
    """Decide every test whose wait is over and whose variants have all gone. Returns how many
    were decided."""
    now = now or timezone.now()
    moved = 0
    for experiment in Experiment.objects.filter(status=Experiment.Status.TESTING) \
            .select_related("campaign"):
        when = decide_at(experiment)
        pushes = pushes_of(experiment)
        if when is None or when > now or any(
                pushes[v["label"]].status not in SETTLED for v in experiment.variants):
            continue
        with transaction.atomic():
            experiment_decided(experiment=experiment, decision=decision_of(experiment), now=now)
        moved += 1
    return moved


def _percent(share: float) -> str:
    return f"{100 * share:.2f} %"


def panel(experiment: Experiment) -> dict:
    """What the campaign page shows of its A/B test: each variant's figures, the test on them,
    the decision in words, and a chart's bars (rate and interval as shares of the widest)."""
    decided = bool(experiment.decision)
    result = experiment.decision if decided else (
        live_result(experiment) if experiment.status != Experiment.Status.PLANNED else {})
    arms = {arm["label"]: arm for arm in result.get("arms", [])}
    pushes = pushes_of(experiment)
    top = max([arm.get("high", 0) for arm in arms.values()] + [0.0001])
    rows = []
    for variant in experiment.variants:
        arm = arms.get(variant["label"], {})
        rows.append({**variant, "push": pushes.get(variant["label"]),
                     "bucket_tags": words_list(bucket_tag(b) for b in variant["buckets"]),
                     "reached": arm.get("reached", 0), "clicks": arm.get("clicks", 0),
                     "rate": _percent(arm.get("rate", 0.0)),
                     "interval": f"{_percent(arm.get('low', 0.0))} – "
                                 f"{_percent(arm.get('high', 0.0))}",
                     "bar": 100 * arm.get("rate", 0.0) / top,
                     "low": 100 * arm.get("low", 0.0) / top,
                     "high": 100 * arm.get("high", 0.0) / top})
    campaign = experiment.campaign
    cost = ""
    if experiment.status == Experiment.Status.PLANNED and campaign.send_at:
        cost = cost_words(experiment_cost(campaign, variants=len(experiment.variants),
                                          send_at=campaign.send_at,
                                          wait_minutes=experiment.wait_minutes))
    p_value = result.get("p_value")
    return {"rows": rows, "winner_push": pushes.get(WINNER), "cost_words": cost,
            "decided": decided, "p_value": f"{p_value:.4f}" if p_value is not None else "",
            "decision_words": decision_words(experiment.decision) if decided else "",
            "live_reason": "" if decided else result.get("reason", ""),
            "decide_at": decide_at(experiment)}
