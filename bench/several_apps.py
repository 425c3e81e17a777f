"""Several apps in one dashboard (issue 27): N apps, each with M campaigns due at the same
instant (the morning's 09:00), sent by the dispatcher as the product runs it.

Real emulator serving every app's SDKAppID, each app with its own added latency (the
--latency-ms values, given to the apps in turn); a campaign worker (prefork, as `make run`
starts it) and beat. Measured at the emulator, per app: its first and its last push after the
due instant, the smallest gap between two of its pushes (Tencent's floor: more than 1 s), and
whether it finished within its budget, the issue's "100 s + its round trips": M x (1 s + the
emulator's added latency). Beyond that, an app's time is its pushes' leaving: from the gate's
opening to the arrival (the processor, a thread, a query, the next dispatcher tick). No app
waits on another when every app's first push comes within a second or so of the due instant,
whatever the others do.

    python -m bench.several_apps [--apps 50] [--campaigns 100] [--latency-ms 20,150]
                                 [--dispatchers 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from zoneinfo import ZoneInfo

from bench.harness import setup_django, summary, temp_dir

FIRST_SDKAPPID = 1400100000
BODY = {"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Good morning"}}],
        "OfflinePushInfo": {"Title": "Morning", "Desc": "Good morning"}}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(apps: int = 50, campaigns: int = 100, latencies: tuple[int, ...] = (20, 150),
         lead: float = 3.0, timeout: float | None = None, dispatchers: int = 1,
         concurrency: str | None = None) -> dict:
    tmp = temp_dir()
    setup_django(tmp)
    from tests.emulator_process import EmulatorProcess

    emulator = EmulatorProcess(str(tmp / "emulator.sqlite3")).start()
    try:
        return run(emulator, apps=apps, campaigns=campaigns, latencies=latencies, lead=lead,
                   timeout=timeout, dispatchers=dispatchers,
                   # A process for each share's dispatcher, and one for its next at a hand-over.
                   concurrency=concurrency or str(2 * dispatchers))
    finally:
        emulator.stop()


def run(emulator, *, apps: int, campaigns: int, latencies: tuple[int, ...], lead: float,
        timeout: float | None, dispatchers: int, concurrency: str) -> dict:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.utils import timezone

    from campaigns import services
    from campaigns.models import Campaign
    from core.chat_apps import app_save
    from tests.stack import Stack

    user = User.objects.create_user("bench-several-apps")
    ours = []  # (app, sdkappid, latency in ms)
    for i in range(apps):
        sdkappid, key = FIRST_SDKAPPID + i, f"bench-app-{i}-secret-key"
        latency = latencies[i % len(latencies)]
        emulator.post("apps", {"sdkappid": sdkappid, "secret_key": key})
        emulator.post("faults", {"latency_ms": latency}, sdkappid=sdkappid)
        app = app_save(user=user, secret_key=key, values={
            "name": f"Bench app {i}", "slug": f"bench-{i}", "sdkappid": sdkappid,
            "base_url": emulator.url})
        ours.append((app, sdkappid, latency))
    stack = Stack(settings.VAR_DIR, emulator.url, DISPATCHERS=dispatchers,
                  DISPATCH_POLL_SECONDS=0.1)  # the production default
    stack.purge()
    worker = stack.worker("campaigns", concurrency=concurrency, queues="celery")
    stack.beat("beat")
    try:
        # Booked as a team books the morning's campaigns: through the service, for tomorrow's
        # 09:00 in each app's quota zone, each under its quota day's lock. Then the morning
        # comes: one UPDATE brings 09:00 to a few seconds from now (the bench cannot wait for
        # the clock), with the workers and beat long settled.
        started = time.monotonic()
        for app, _sdkappid, _latency in ours:
            zone = ZoneInfo(app.quota_timezone)
            nine = dt.datetime.combine(timezone.now().astimezone(zone).date()
                                       + dt.timedelta(days=1), dt.time(9), zone)
            for j in range(campaigns):
                services.campaign_create(user=user, app=app, name=f"09:00 #{j}", push=BODY,
                                         send_at=nine)
        log(f"booked {apps * campaigns} campaigns in {time.monotonic() - started:.1f} s")
        time.sleep(max(0.0, 6 - (time.monotonic() - started)))  # the workers settle
        due = timezone.now() + dt.timedelta(seconds=lead)
        morning = Campaign.objects.filter(app__in=[a for a, _s, _l in ours])
        assert morning.filter(status=Campaign.Status.SCHEDULED).update(
            send_at=due, due_at=due) == apps * campaigns
        cpu_at_due = cpu_seconds(worker.pid), cpu_seconds(emulator.process.pid)
        ceiling = campaigns * (1 + max(latencies) / 1000)
        deadline = due.timestamp() + (timeout if timeout is not None else 3 * ceiling + 60)
        total = apps * campaigns
        while time.time() < deadline:
            done = morning.exclude(
                status__in=[Campaign.Status.SCHEDULED, Campaign.Status.SENDING]).count()
            if done == total:
                break
            time.sleep(1)
        ended = time.time()
        cpu = (cpu_seconds(worker.pid) - cpu_at_due[0],
               cpu_seconds(emulator.process.pid) - cpu_at_due[1])
    finally:
        stack.stop()
    per_app = [app_figures(emulator.state(sdkappid=sdkappid), app, latency, due.timestamp(),
                           campaigns)
               for app, sdkappid, latency in ours]
    result = report(per_app, apps=apps, campaigns=campaigns, latencies=latencies,
                    waited=ended - due.timestamp(), apps_at_once=settings.DISPATCH_APPS_AT_ONCE)
    result["dispatchers"], result["worker_concurrency"] = dispatchers, int(concurrency)
    # The campaign worker's processor time, over every push: what one dispatcher process
    # spends a push (its threads share one interpreter lock, so one core at most).
    result["worker_cpu_ms_per_push"] = round(1000 * cpu[0] / max(1, result["pushes"]), 1)
    result["emulator_cpu_ms_per_push"] = round(1000 * cpu[1] / max(1, result["pushes"]), 1)
    print(json.dumps(result, indent=2))
    return result


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and its children (the prefork pool), from /proc."""
    if not os.path.exists(f"/proc/{pid}/stat"):
        return 0.0  # not Linux: no figure
    ticks = os.sysconf("SC_CLK_TCK")
    total, family = 0.0, {pid}
    stats = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats.append((int(entry), int(fields[1]), int(fields[11]) + int(fields[12])))
    for _ in range(3):  # the worker, its pool, their threads' processes: a few levels
        family |= {p for p, parent, _t in stats if parent in family}
    for p, _parent, used in stats:
        if p in family:
            total += used / ticks
    return total


def app_figures(state: dict, app, latency: int, due: float, campaigns: int) -> dict:
    """One app's pushes at the emulator, against the times its attempts hold (the database's
    clock; the emulator's and the database's are one host's)."""
    from campaigns.models import Attempt

    arrivals = {p["msg_random"]: p["received_at"] for p in state["pushes"]}
    times = sorted(arrivals.values())
    gaps = [b - a for a, b in zip(times, times[1:])]
    # (start, arrival, answer recorded) of each accepted attempt.
    attempts = sorted((a.started_at.timestamp(), arrivals[a.msg_random],
                       a.finished_at.timestamp())
                      for a in Attempt.objects.filter(campaign__app=app,
                                                      outcome=Attempt.Outcome.OK))
    # A push costs its 1 s of spacing plus its round trip: the gate's 1 s counts from the
    # previous answer. What is left is the push's leaving: from the gate's opening to its
    # arrival (waiting for the processor, a thread, a query).
    leaves = [b[1] - a[2] - 1 for a, b in zip(attempts, attempts[1:])]
    last = times[-1] - due if times else None
    done = len(times) == campaigns
    # The "100 s + its round trips", each round trip at the emulator's added latency.
    budget = campaigns * (1 + latency / 1000)
    return {
        "app": app.slug, "latency_ms": latency, "pushes": len(times),
        "refused_90024": state["counters"].get("im_push", {}).get("90024", 0),
        "first_after_due": times[0] - due if times else None, "last_after_due": last,
        "budget": budget, "within_budget": done and last <= budget,
        "min_gap": min(gaps, default=None),
        "mean_gap": statistics.mean(gaps) if gaps else None,
        "max_gap": max(gaps, default=None),
        # Against Tencent's ceiling for one app, 1 push a second.
        "pushes_per_second": (len(times) - 1) / (times[-1] - times[0]) if gaps else None,
        # Where each push's time goes: leaving (the gate's opening, 1 s after the previous
        # answer, to the arrival) and the answer (arrival to the answer recorded: the latency).
        "leave_ms": mean_ms(leaves),
        "answer_ms": mean_ms(f - a for _s, a, f in attempts),
    }


def mean_ms(values) -> float | None:
    values = list(values)
    return round(1000 * statistics.mean(values), 1) if values else None


def report(per_app: list[dict], *, apps: int, campaigns: int, latencies, waited: float,
           apps_at_once: int) -> dict:
    started = [a for a in per_app if a["pushes"]]
    groups = {}
    for latency in sorted(set(latencies)):
        group = [a for a in started if a["latency_ms"] == latency]
        if not group:
            continue
        spaced = [a for a in group if a["mean_gap"] is not None]
        groups[f"{latency}_ms"] = {
            "apps": sum(a["latency_ms"] == latency for a in per_app),
            "finished": sum(a["pushes"] == campaigns for a in group),
            "within_budget": sum(a["within_budget"] for a in group),
            "first_push_after_due_seconds": summary([a["first_after_due"] for a in group]),
            "last_push_after_due_seconds": summary([a["last_after_due"] for a in group]),
            "budget_seconds": summary([a["budget"] for a in group]),
            "over_budget_seconds": summary([a["last_after_due"] - a["budget"] for a in group
                                            if a["pushes"] == campaigns] or [float("nan")]),
            "min_gap_seconds": min((a["min_gap"] for a in spaced), default=None),
            "mean_gap_seconds": statistics.mean(a["mean_gap"] for a in spaced)
            if spaced else None,
            "max_gap_seconds": max((a["max_gap"] for a in spaced), default=None),
            "share_of_ceiling": statistics.mean(a["pushes_per_second"] for a in spaced)
            if spaced else None,
            **{part: mean_ms(a[part] / 1000 for a in group if a[part] is not None)
               for part in ("leave_ms", "answer_ms")},
        }
    firsts = [a["first_after_due"] for a in started]
    return {
        "apps": apps, "campaigns_per_app": campaigns, "latency_ms": list(latencies),
        "apps_at_once": apps_at_once,
        "database": "postgresql" if "postgres" in os.environ["DATABASE_URL"] else "sqlite",
        "pushes": sum(a["pushes"] for a in per_app),
        "apps_finished": sum(a["pushes"] == campaigns for a in per_app),
        "apps_within_budget": sum(a["within_budget"] for a in per_app),
        "apps_not_started": apps - len(started),
        "waited_after_due_seconds": round(waited, 1),
        "refused_90024": sum(a["refused_90024"] for a in per_app),
        "min_gap_seconds": min((a["min_gap"] for a in per_app if a["min_gap"] is not None),
                               default=None),
        # No app waits on another: every app's first push comes as soon as the first app's.
        "first_push_spread_seconds": max(firsts) - min(firsts) if firsts else None,
        "by_latency": groups,
        "slowest_app": max(started, key=lambda a: a["last_after_due"] - a["budget"],
                           default=None),
        "load_average": os.getloadavg(),
    }


def arguments(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.several_apps",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--campaigns", type=int, default=100, help="due at once, per app")
    parser.add_argument("--latency-ms", default="20,150",
                        help="added latency of each app at the emulator, given in turn")
    parser.add_argument("--lead-seconds", type=float, default=3.0,
                        help="from the morning's coming to the due instant")
    parser.add_argument("--timeout-seconds", type=float, default=None,
                        help="how long after the due instant to wait for every push")
    parser.add_argument("--dispatchers", type=int, default=1,
                        help="DISPATCHERS: shares of the apps, each sent by a process of its own")
    parser.add_argument("--concurrency", default=None,
                        help="the campaign worker's processes (default: twice --dispatchers)")
    args = parser.parse_args(argv)
    return {"apps": args.apps, "campaigns": args.campaigns,
            "latencies": tuple(int(v) for v in args.latency_ms.split(",")),
            "lead": args.lead_seconds, "timeout": args.timeout_seconds,
            "dispatchers": args.dispatchers, "concurrency": args.concurrency}


if __name__ == "__main__":
    main(**arguments(sys.argv[1:]))
