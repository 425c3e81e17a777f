"""Callback intake: how many Push.AllMemberPush events a second the product takes in, end to end
(signed request → answer → counters), how fast it answers, and what a 1,000,000-account
campaign leaves behind.

Production shape: gunicorn (WEB_CONCURRENCY sync workers, production settings) on
PostgreSQL and Redis from DATABASE_URL and REDIS_URL; the load comes from this process over
keep-alive HTTP, every request 100 distinct signed events.

1. Saturation: CONCURRENCY senders post as fast as answers come; events a second from the
   first request until the counters hold every event.
2. Offered load: BENCH_RATES requests a second (default 25, 50 and 100: 2,500, 5,000 and
   10,000 events a second) for BENCH_SECONDS each, open loop (an answer is timed from when
   its request was due, so a backlog shows); the answer time p50/p95, and the counters' lag.
3. Storage: 1,000,000 accounts × 3 events (sent, delivered, clicked) counted in-process
   through the receiver's counting path (intake.count_events); the rows and bytes they leave in PostgreSQL and Redis.

    DATABASE_URL=postgres://… REDIS_URL=redis://…/9 python -m bench.callback_intake
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.harness import percentile, setup_django, summary, temp_dir

TOKEN = "bench-callback-token"
SDKAPPID = 1400000000
PLATFORMS = [1, 2, 3, 4, 5, 6, 7, 8]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bodies(task: str, requests: int, *, offset: int = 0) -> list[bytes]:
    """`requests` bodies of 100 distinct events each (3 stages per account)."""
    out = []
    for r in range(requests):
        events = []
        for i in range(100):
            n = (offset + r) * 100 + i
            account, stage = f"acct{n // 3:08d}", 1 + n % 3
            events.append({"CallbackCommand": "Push.AllMemberPush", "TaskId": task, "DataId": "",
                           "TaskTime": 1795000000, "EventTime": 1795000060,
                           "To_Account": account, "EventType": 1,
                           "PushPlatform": PLATFORMS[hash(account) % 8], "PushStage": stage,
                           "ErrCode": 0, "ErrInfo": ""})
        out.append(json.dumps({"Events": events}).encode())
    return out


def signed_path() -> str:
    from pushclient.callbacks import sign
    now = str(int(time.time()))
    return (f"/tencent/callback/?SdkAppid={SDKAPPID}&CallbackCommand=Push.AllMemberPush"
            f"&contenttype=json&RequestTime={now}&Sign={sign(TOKEN, now)}")


class Sender(threading.Thread):
    """Takes bodies from a queue (with the time each was due) and posts them over one
    keep-alive connection, recording answer times."""

    def __init__(self, port: int, work: queue.Queue, times: list, failures: list):
        super().__init__(daemon=True)
        self.port, self.work, self.times, self.failures = port, work, times, failures

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while True:
            item = self.work.get()
            if item is None:
                return
            due, body = item
            if due:
                time.sleep(max(0.0, due - time.monotonic()))
            started = time.monotonic()
            try:
                connection.request("POST", signed_path(), body,
                                   {"Content-Type": "application/json"})
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    self.failures.append(answer.status)
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(repr(exc))
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            # Open loop: an answer is timed from when it was due, so a backlog shows.
            self.times.append(time.monotonic() - (due or started))


def counted(task: str) -> int:
    from django.db.models import Sum

    from reports.models import DeliveryCount
    return DeliveryCount.objects.filter(task_id=task).aggregate(n=Sum("count"))["n"] or 0


def wait_counted(task: str, total: int, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if counted(task) >= total:
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"counters reached {counted(task)} of {total}")


def run_load(port: int, task: str, payloads: list[bytes], *, senders: int,
             rate: float | None) -> dict:
    work: queue.Queue = queue.Queue()
    times: list[float] = []
    failures: list = []
    threads = [Sender(port, work, times, failures) for _ in range(senders)]
    for t in threads:
        t.start()
    started = time.monotonic()
    for i, body in enumerate(payloads):
        work.put((started + i / rate if rate else 0.0, body))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    answered = time.monotonic()
    lag_events = len(payloads) * 100 - counted(task)
    done = wait_counted(task, len(payloads) * 100)
    return {"requests": len(payloads), "events": len(payloads) * 100, "failures": len(failures),
            "answers_ms": {k: round(v * 1000, 1) for k, v in summary(times).items()
                           if k != "n"},
            "answer_p95_ms": round(percentile(times, 0.95) * 1000, 1),
            "posting_seconds": round(answered - started, 2),
            "uncounted_when_last_answered": lag_events,
            "events_per_second_end_to_end": round(len(payloads) * 100 / (done - started))}


def storage(accounts: int) -> dict:
    """Count `accounts` × 3 events in-process through intake and measure what stays."""
    import redis
    from django.conf import settings
    from django.db import connection

    from core.chat_apps import default_app
    from pushclient.callbacks import parse_events
    from reports import dedupe, intake
    from reports.models import DeliveryCount, SeenEvent

    task = f"storage-{int(time.time())}"
    app = default_app()
    client = redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None
    keys_before = client.dbsize() if client else 0
    started = time.monotonic()
    per_batch = 100
    for start in range(0, accounts * 3, per_batch * 50):
        # 50 requests' worth at a time, fewer at the end (whole requests of 100 events).
        requests = min(50, -(-(accounts * 3 - start) // per_batch))
        for body in bodies(task, requests, offset=start // per_batch):
            events = parse_events(json.loads(body))[0]
            intake.count_events(app=app, events=events)
    seconds = time.monotonic() - started
    out = {"accounts": accounts, "events": accounts * 3, "seconds_in_process": round(seconds),
           "delivery_count_rows_for_the_campaign": DeliveryCount.objects.filter(
               task_id=task).count(),
           "seen_event_rows": SeenEvent.objects.count(),
           "counted": counted(task)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE "
                           "relname IN ('reports_deliverycount', 'reports_seenevent')")
            out["postgres_bytes"] = dict(cursor.fetchall())
    if client:
        sample = [k for k in client.scan_iter(match=dedupe.REDIS_PREFIX + b"*", count=1000)][:2000]
        each = sum(client.memory_usage(k) or 0 for k in sample) / max(len(sample), 1)
        added = client.dbsize() - keys_before
        out["redis_keys_added"] = added
        out["redis_bytes_per_key"] = round(each)
        out["redis_megabytes_until_ttl"] = round(added * each / 1e6)
        out["redis_ttl_seconds"] = settings.TIM_CALLBACK_DEDUPE_SECONDS
        # Leave Redis as it was: these keys would otherwise stay until their TTL.
        for key_batch in _chunks(list(client.scan_iter(match=dedupe.REDIS_PREFIX + b"*",
                                                       count=5000)), 5000):
            client.delete(*key_batch)
    return out


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def main() -> dict:
    seconds = int(os.environ.get("BENCH_SECONDS", "15"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "12"))
    accounts = int(os.environ.get("BENCH_ACCOUNTS", "1000000"))
    rates = [int(r) for r in os.environ.get("BENCH_RATES", "25,50,100").split(",")]
    tmp = temp_dir()
    os.environ["TIM_CALLBACK_TOKEN"] = TOKEN
    setup_django(tmp)
    port = free_port()
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    env = {**os.environ, "DJANGO_DEVELOPMENT": "", "SECRET_KEY": "bench-" + "x" * 40,
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
           "TIM_CALLBACK_TOKEN": TOKEN, "TIM_SDKAPPID": str(SDKAPPID), "VAR_DIR": str(tmp),
           "WEB_CONCURRENCY": workers}
    log = open(Path(tmp) / "gunicorn.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "python:config.gunicorn",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(2)
        load_before = os.getloadavg()
        run = int(time.time())
        saturation = run_load(port, f"sat-{run}", bodies(f"sat-{run}", 100 * seconds),
                              senders=concurrency, rate=None)
        print("saturation", json.dumps(saturation), os.getloadavg(), flush=True)
        offered = {}
        for rate in rates:
            task = f"rate{rate}-{run}"
            offered[f"{rate * 100}_events_per_second"] = run_load(
                port, task, bodies(task, rate * seconds), senders=concurrency, rate=float(rate))
            print("offered", rate * 100, json.dumps(offered[f"{rate * 100}_events_per_second"]),
                  os.getloadavg(), flush=True)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {"web_workers": int(workers), "senders": concurrency,
              "saturation": saturation, "offered": offered,
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in load_after],
              "storage": storage(accounts)}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
