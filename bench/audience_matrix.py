"""Bulk-job throughput at the API's ceiling, by distance from Tencent and by deployment (issue 10).

    python -m bench.audience_matrix                 # the whole table (about 15 minutes)
    python -m bench.audience_matrix --rows 150      # one latency row
    python -m bench.audience_matrix --cell '{"deployment": "one", "latency_ms": 150, "accounts": 1000000}'

Rows: the emulator's added latency (20, 150, 300 ms) and one row with 5 % 91000 answers and
1 % stalled answers at 150 ms. Columns, each started the way the README starts it:
- `defaults`: `make run` with nothing set: SQLite, no Redis (SQLite broker, file limiter),
  beat, a campaign worker (`--concurrency 2`) and an audience worker (`--concurrency 4`: two
  jobs at once; one job takes 2 of its processes).
- `one`: production services (PostgreSQL from DATABASE_URL, Redis from REDIS_URL), beat, a
  campaign worker and one audience worker, each `--concurrency 4`, as docker-compose.yml runs
  them.
- `two`: the same with two audience workers.
Each cell runs in a process of its own (a fresh SQLite file unless DATABASE_URL names one, or
the PostgreSQL database; either emptied of audience rows), imports a segment, starts an `add_tags` job and measures at
the emulator: the rate from the job's first call to its last as a share of the ceiling
(100 calls/s × 100 accounts), the busiest one-second window, calls made ÷ batches, how soon the
first call came, and the peak RSS of the busiest audience worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import setup_django, summary, temp_dir

CEILING = 100 * 100
LATENCIES = [20, 150, 300]
FAULTS = {"error_91000_rate": 0.05, "stall_rate": 0.01, "stall_seconds": 4}
# Tencent's own timeout is 3 s (README); a stalled answer is given up after it.
FAULT_SETTINGS = {"TIM_READ_TIMEOUT_SECONDS": 3}
# Audience workers, their processes each, and the campaign worker's processes.
DEPLOYMENTS = {"defaults": (1, "4", "2"), "one": (1, "4", "4"), "two": (2, "4", "4")}


def process_tree_peaks(pid: int) -> list[float]:
    """Peak RSS (VmHWM, MB) of a process and its children."""
    peaks, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                peaks += [int(line.split()[1]) / 1024 for line in status
                          if line.startswith("VmHWM:")]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return peaks


def permits_granted() -> int:
    """Permits granted so far by the shared limiter of attribute and tag calls (Redis only)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return -1
    import redis
    return int(redis.Redis.from_url(url).get("tim:calls:seq") or 0)


def per_second(calls: list[dict], first: float) -> list[int]:
    counts = [0] * (int(calls[-1]["received_at"] - first) + 1)
    for call in calls:
        counts[int(call["received_at"] - first)] += 1
    return counts


def empty_audience_tables() -> None:
    from django.db import connection
    tables = ["audience_jobfailure", "audience_jobbatch", "audience_job", "audience_uploadchunk",
              "audience_segmentaccount", "audience_segment", "audience_accounttag",
              "audience_accountattr", "audience_knownaccount"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def cell(deployment: str, latency_ms: int, accounts: int = 300_000, faults: bool = False) -> dict:
    tmp = temp_dir()
    if deployment == "defaults":
        os.environ.pop("REDIS_URL", None)
        if not os.environ.get("DATABASE_URL", "").startswith("sqlite"):
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    elif not (os.environ.get("DATABASE_URL", "").startswith("postgres")
              and os.environ.get("REDIS_URL")):
        raise SystemExit("production columns need DATABASE_URL (PostgreSQL) and REDIS_URL")
    extra = FAULT_SETTINGS if faults else {}
    os.environ.update({k: str(v) for k, v in extra.items()})
    setup_django(tmp)
    empty_audience_tables()
    from django.contrib.auth.models import User

    from audience import services
    from audience.models import JobBatch
    from tests.emulator_process import EmulatorProcess, busiest_second
    from tests.stack import Stack, wait_for

    emulator = EmulatorProcess(str(tmp / "emulator.sqlite3")).start()
    emulator.post("faults", {"latency_ms": latency_ms, **(FAULTS if faults else {})})
    user = User.objects.get_or_create(username="bench")[0]
    t0 = time.monotonic()
    segment = services.segment_import(user=user, name="bench", lines=(
        f"member{i:08d}" for i in range(accounts)))
    import_seconds = time.monotonic() - t0

    stack = Stack(tmp, emulator.url, **extra,  # the workers' logs stay in `tmp`
                  LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    stack.purge()
    workers, concurrency, campaign_concurrency = DEPLOYMENTS[deployment]
    stack.worker("campaigns", concurrency=campaign_concurrency, queues="celery")
    processes = [stack.worker(f"audience{i}", concurrency=concurrency, queues="audience")
                 for i in range(1, workers + 1)]
    stack.beat("beat")
    try:
        time.sleep(8)  # workers up and the first dispatcher tick taken, as on a running site
        load_before = os.getloadavg()[0]
        permits_before = permits_granted()
        created = time.time()
        job = services.job_create(user=user, action="add_tags", segment=segment, tags=["bench"])
        # While it runs, an admin watches it: the job's page and the progress it polls.
        watched = {"page": [], "progress": []}
        wait_for(lambda: watch(job, watched) in ("done", "failed"),
                 timeout=max(600, accounts / 500), interval=2, message="the job")
        peaks = [max(process_tree_peaks(p.pid)) for p in processes]
        load_after = os.getloadavg()[0]
        permits = permits_granted() - permits_before
    finally:
        stack.stop()
    calls = [c for c in emulator.calls(since=created) if c["command"] == "im_add_tag"]
    emulator.stop()
    job.refresh_from_db()
    first, last = calls[0]["received_at"], calls[-1]["received_at"]
    batches = JobBatch.objects.filter(job=job).count()
    return {
        "deployment": deployment, "latency_ms": latency_ms, "faults": faults,
        "accounts": accounts, "done": job.done, "failed": job.failed,
        "share_of_ceiling": round(job.done / (last - first) / CEILING, 3),
        "busiest_second": busiest_second(calls),
        "calls_per_batch": round(len(calls) / batches, 3),
        # Permits the shared limiter granted per call made: above 1, permits let go unused
        # because they were too old when their call was about to leave (Redis columns only).
        "permits_per_call": round(permits / len(calls), 3) if os.environ.get("REDIS_URL") else None,
        "codes": {str(code): sum(1 for c in calls if c["code"] == code)
                  for code in sorted({c["code"] for c in calls})},
        "first_call_after_s": round(first - created, 2),
        "job_seconds": round(job.finished_at.timestamp() - created, 1),
        "worker_peak_rss_mb": round(max(peaks), 1),
        "segment_import_s": round(import_seconds, 1),
        # Server time of the job's page and of its progress answer while the job ran.
        **{f"job_{part}_ms": {k: round(v * 1000, 1) for k, v in summary(times).items()
                              if k in ("median", "p95", "max")}
           for part, times in watched.items() if times},
        # Calls the emulator received in each second of the job: where the time went.
        "per_second": per_second(calls, first),
        # Other work on this host (1-minute load average) as the job started and ended.
        "load": [round(load_before, 1), round(load_after, 1)],
    }


def watch(job, watched: dict) -> str:
    """Open the job's page and its progress answer as an admin does; the job's status."""
    from django.contrib.auth.models import User
    from django.test import Client

    from audience.models import Job
    client = Client()
    client.force_login(User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True})[0])
    for part, url in (("page", f"/audiences/jobs/{job.pk}/"),
                      ("progress", f"/audiences/jobs/{job.pk}/progress.json")):
        started = time.monotonic()
        answer = client.get(url, HTTP_HOST="127.0.0.1")
        watched[part].append(time.monotonic() - started)
        assert answer.status_code == 200, (url, answer.status_code)
    return Job.objects.get(pk=job.pk).status


def run_cell(spec: dict) -> dict:
    """A cell in a process of its own: Django is set up once per process, per database."""
    out = subprocess.run([sys.executable, "-m", "bench.audience_matrix", "--cell",
                          json.dumps(spec)], capture_output=True, text=True)
    if out.returncode:
        return {**spec, "error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    rows = ["| latency | " + " | ".join(DEPLOYMENTS) + " |", "|---" * (len(DEPLOYMENTS) + 1) + "|"]
    keys = sorted({(r["latency_ms"], r["faults"]) for r in results})
    for latency, faults in keys:
        cells = []
        for deployment in DEPLOYMENTS:
            r = next((r for r in results if (r["latency_ms"], r["faults"], r["deployment"]) ==
                      (latency, faults, deployment)), None)
            cells.append("—" if r is None else "error" if "error" in r else
                         f"**{r['share_of_ceiling']:.1%}**, {r['busiest_second']}/s max, "
                         f"{r['calls_per_batch']} calls/batch, {r['worker_peak_rss_mb']:.0f} MB, "
                         f"1st call {r['first_call_after_s']} s, load {r['load'][0]}–{r['load'][1]}")
        label = f"{latency} ms" + (" + 5 % 91000, 1 % stalls" if faults else "")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", help="run one cell (JSON spec) and print its figures")
    parser.add_argument("--rows", nargs="*", default=[*map(str, LATENCIES), "faults"])
    parser.add_argument("--columns", nargs="*", default=list(DEPLOYMENTS))
    parser.add_argument("--accounts", type=int, default=300_000)
    args = parser.parse_args()
    if args.cell:
        print(json.dumps(cell(**json.loads(args.cell))))
        return
    results = []
    for row in args.rows:
        for deployment in args.columns:
            spec = {"deployment": deployment, "accounts": args.accounts,
                    "latency_ms": 150 if row == "faults" else int(row), "faults": row == "faults"}
            print(f"-- {spec}  load: {os.getloadavg()[0]:.2f}", flush=True)
            results.append(run_cell(spec))
            print(json.dumps(results[-1]), flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
