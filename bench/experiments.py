"""Experiments: decisions (issue 28, item 5). Does the A/B test pick the better variant when
there is one, and declare no winner when there is none?

The emulator's devices click at a true rate set per bucket tag (`clicked_share_by_tag`). Each
run pushes variant A to bucket ab:0 and variant B to bucket ab:1 through `v4/timpush/push`
(pushclient's TimClient, over HTTP), reads both pushes' DeliveredCount and ClickCount from
`all_member_push_statistics` per TaskId, and decides with `reports.significance.decide` at each
significance level. A push's draws come from a hash of its TaskId and the account, so every
run is a fresh sample of the same true rates.

Scenarios: 5 % vs 6 % (B is better) and 5 % vs 5 % (nothing is). Accounts are bucketed as the
product buckets them: sha256 of the account id, its first 8 bytes big-endian, modulo 10, tag
f"ab:{n}"; only buckets 0 and 1 are imported (the other buckets receive neither push). Every
device is reached (`device_reached_share` 1.0), so "N accounts per variant" are N reached. The
emulator's push spacing and daily quota are lifted, and its clock moved on a second before each
statistics call (Tencent answers it once a second): the bench measures decisions, not pacing.

    python -m bench.experiments [--runs 400] [--accounts-per-variant 20000]
                                [--significance 0.05,0.02,0.01] [--min-sample 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter

from bench.harness import temp_dir
from reports.significance import Arm, decide, wilson_interval

OFFLINE = {"Title": "Experiment", "Desc": "Which text is clicked more?"}
SCENARIOS = [("5% vs 6%", 0.05, 0.06), ("5% vs 5%", 0.05, 0.05)]
STATISTICS_TASKS = 5  # TaskIDs per all_member_push_statistics call (spec §3.5)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bucket_of(account: str, buckets: int = 10) -> int:
    """The product's bucket of an account (issue 28): stable, from the id alone."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big") % buckets


def variant_accounts(per_variant: int) -> dict[int, list[str]]:
    """The first `per_variant` account ids falling in bucket 0 and in bucket 1."""
    found: dict[int, list[str]] = {0: [], 1: []}
    i = 0
    while min(len(v) for v in found.values()) < per_variant:
        account = f"bench-user-{i:08d}"
        bucket = bucket_of(account)
        if bucket in found and len(found[bucket]) < per_variant:
            found[bucket].append(account)
        i += 1
    return found


def main(runs: int = 400, per_variant: int = 20_000,
         significances: tuple[float, ...] = (0.05, 0.02, 0.01), min_sample: int = 1000) -> dict:
    from pushclient import TimClient
    from tests.emulator_process import SDKAPPID, SECRET_KEY, EmulatorProcess

    emulator = EmulatorProcess(str(temp_dir() / "emulator.sqlite3")).start()
    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=emulator.url,
                       read_timeout=60)
    try:
        return run(emulator, client, runs=runs, per_variant=per_variant,
                   significances=significances, min_sample=min_sample)
    finally:
        client.close()
        emulator.stop()


def run(emulator, client, *, runs: int, per_variant: int, significances: tuple[float, ...],
        min_sample: int) -> dict:
    load_before = os.getloadavg()
    emulator.post("config", {"device_reached_share": 1.0, "min_push_interval": 0,
                             "daily_quota": 10**9, "qps_limit": 10**6})
    started = time.monotonic()
    accounts = variant_accounts(per_variant)
    emulator.post("accounts", {"accounts": accounts[0] + accounts[1]})
    tags = [(a, [f"ab:{bucket}"]) for bucket, names in accounts.items() for a in names]
    for start in range(0, len(tags), 100):  # 100 accounts a call (spec §2.8)
        failed = client.timpush.add_tags(dict(tags[start:start + 100])).failed
        assert not failed, failed[:3]
    log(f"{len(tags):,} accounts imported and tagged in {time.monotonic() - started:.1f} s")
    scenarios = {}
    for name, rate_a, rate_b in SCENARIOS:
        emulator.post("config", {"clicked_share_by_tag": {"ab:0": rate_a, "ab:1": rate_b}})
        began = time.monotonic()
        figures = collect(emulator, client, runs)
        scenarios[name] = tally(figures, rate_a=rate_a, rate_b=rate_b,
                                significances=significances, min_sample=min_sample)
        scenarios[name]["seconds"] = round(time.monotonic() - began, 1)
        for level, outcome in scenarios[name]["by_significance"].items():
            log(f"{name} at {level}: " + ", ".join(
                f"{key} {o['share']:.3f} {o['interval_95']}" for key, o in outcome.items()
                if o["count"]))
    return {"runs": runs, "accounts_per_variant": per_variant, "min_sample": min_sample,
            "significances": list(significances), "scenarios": scenarios,
            "seconds": round(time.monotonic() - started, 1),
            "load_average_before": load_before, "load_average_after": os.getloadavg()}


def collect(emulator, client, runs: int) -> list[tuple[Arm, Arm]]:
    """Each run's two pushes and their figures, as the statistics endpoint reports them."""
    pushed: list[tuple[str, str]] = []
    for _ in range(runs):
        pushed.append(tuple(client.timpush.push(offline_push_info=OFFLINE, condition={
            "TagsOr": [f"ab:{bucket}"]}).task_id for bucket in (0, 1)))
    tasks = [task for pair in pushed for task in pair]
    by_task: dict[str, dict] = {}
    now = int(time.time())
    for start in range(0, len(tasks), STATISTICS_TASKS):
        emulator.advance_clock(1.05)  # the statistics' once a second, not waited for
        report = client.timpush.push_statistics(
            start=now - 3600, end=now + 20 * 86400, task_ids=tasks[start:start + STATISTICS_TASKS])
        by_task.update({r["TaskID"]: r for r in report["Results"]})
    return [tuple(Arm(label, by_task[task]["DeliveredCount"], by_task[task]["ClickCount"])
                  for label, task in zip("AB", pair)) for pair in pushed]


def tally(figures: list[tuple[Arm, Arm]], *, rate_a: float, rate_b: float,
          significances: tuple[float, ...], min_sample: int) -> dict:
    """Per significance level: the share of runs picking the better variant (B when its
    true rate is higher), the worse one, a winner where the true rates are equal (a false
    winner), none, or too few to decide, each with a 95 % Wilson interval on that share."""
    better = 1 if rate_b > rate_a else 0 if rate_a > rate_b else None
    out = {}
    for level in significances:
        outcomes = Counter()
        for arms in figures:
            decision = decide(list(arms), significance=level, min_sample=min_sample)
            if decision.reason == "too_few":
                outcomes["too_few"] += 1
            elif decision.winner is None:
                outcomes["no_winner"] += 1
            elif better is None:
                outcomes["false_winner"] += 1
            else:
                outcomes["better" if decision.winner == better else "worse"] += 1
        out[str(level)] = {key: share(outcomes[key], len(figures))
                           for key in ("better", "no_winner", "worse", "false_winner",
                                       "too_few")}
    reached = [sum(arms[i].reached for arms in figures) for i in (0, 1)]
    clicks = [sum(arms[i].clicks for arms in figures) for i in (0, 1)]
    return {"true_rates": [rate_a, rate_b], "better_variant": "AB"[better] if better is not None
            else None, "observed_rates": [round(c / r, 5) if r else None
                                          for c, r in zip(clicks, reached)],
            "reached_per_run": sorted({arms[i].reached for arms in figures for i in (0, 1)}),
            "by_significance": out}


def share(count: int, total: int) -> dict:
    low, high = wilson_interval(count, total, confidence=0.95)
    return {"count": count, "share": round(count / total, 4) if total else None,
            "interval_95": [round(low, 4), round(high, 4)]}


def arguments(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.experiments",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=400, help="runs per scenario")
    parser.add_argument("--accounts-per-variant", type=int, default=20_000)
    parser.add_argument("--significance", default="0.05,0.02,0.01",
                        help="levels to decide at, each on the same runs")
    parser.add_argument("--min-sample", type=int, default=1000,
                        help="accounts reached per variant below which nothing is decided")
    args = parser.parse_args(argv)
    return {"runs": args.runs, "per_variant": args.accounts_per_variant,
            "significances": tuple(float(v) for v in args.significance.split(",")),
            "min_sample": args.min_sample}


if __name__ == "__main__":
    print(json.dumps(main(**arguments(sys.argv[1:])), indent=1))
