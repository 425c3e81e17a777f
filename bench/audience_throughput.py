"""Tag 1,000,000 accounts against the emulator with 20 ms latency.

The API's ceiling is 100 calls/s × 100 accounts = 10,000 accounts/s. Measured: accounts/s of a
job on two Celery workers (from its first to its last call at the emulator), the peak memory of
the upload (the web process's work) and of each worker, and, for comparison, the obvious
alternative: one call after another in a loop with the same client.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
import tracemalloc

from bench.harness import setup_django, temp_dir

CEILING = 100 * 100


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(accounts: int = 1_000_000, loop_accounts: int = 30_000) -> dict:
    tmp = temp_dir()
    setup_django(tmp)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audience import services
    from audience.models import Job
    from tests.emulator_process import SDKAPPID, SECRET_KEY, EmulatorProcess, busiest_second
    from tests.stack import Stack, wait_for

    emulator = EmulatorProcess(str(tmp / "emulator.sqlite3")).start()
    emulator.post("faults", {"latency_ms": 20})
    user = User.objects.create_user("bench")
    raw = b"".join(b"member%08d\n" % i for i in range(accounts))

    # The upload, as the web process does it: a file streamed into a segment.
    tracemalloc.start()
    t0 = time.monotonic()
    segment = services.segment_import(user=user, name="1M", lines=services.upload_lines(
        SimpleUploadedFile("members.txt", raw)))
    upload_seconds = time.monotonic() - t0
    upload_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    del raw

    stack = Stack(tmp, emulator.url, LOG_LEVEL="WARNING")
    stack.purge()
    workers = [stack.worker("worker1"), stack.worker("worker2")]
    try:
        time.sleep(3)
        started = time.time()
        job = services.job_create(user=user, action="add_tags", segment=segment,
                                  tags=["bench"])
        wait_for(lambda: Job.objects.get(pk=job.pk).status == "done", timeout=900,
                 interval=1, message="the 1M job")
        worker_peaks = [round(peak_rss_mb(w.pid), 1) for w in workers]
    finally:
        stack.stop()
    calls = [c for c in emulator.calls(since=started) if c["command"] == "im_add_tag"]
    first, last = calls[0]["received_at"], calls[-1]["received_at"]
    job.refresh_from_db()
    sending_rate = job.done / (last - first)
    end_to_end = job.done / (job.finished_at.timestamp() - started)

    # The obvious alternative: one call after another, same client, no limiter needed.
    from pushclient import TimClient
    from pushclient.batching import chunks
    loop_client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=emulator.url)
    logging.getLogger("pushclient").setLevel(logging.WARNING)
    t0 = time.monotonic()
    for batch in chunks(f"loop{i:08d}" for i in range(loop_accounts)):
        loop_client.members.add_tags({a: ["loop"] for a in batch})
    loop_rate = loop_accounts / (time.monotonic() - t0)
    reach = emulator.post("reach", {"Condition": {"TagsOr": ["bench"]}})["reach"]
    emulator.stop()

    result = {
        "accounts": job.done, "failed": job.failed, "calls": len(calls),
        "max_accounts_per_call": max(c["accounts"] for c in calls),
        "busiest_second_at_emulator": busiest_second(calls),
        "codes": {str(code): sum(1 for c in calls if c["code"] == code)
                  for code in sorted({c["code"] for c in calls})},
        "tagged_at_emulator": reach,
        "job_accounts_per_second": round(sending_rate),
        "share_of_ceiling": round(sending_rate / CEILING, 3),
        "end_to_end_accounts_per_second": round(end_to_end),
        "upload_seconds": round(upload_seconds, 1), "upload_peak_python_mb": round(upload_peak, 1),
        "bench_process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                           / 1024, 1),
        "worker_peak_rss_mb": worker_peaks,
        "loop_accounts_per_second": round(loop_rate),
        "loop_share_of_ceiling": round(loop_rate / CEILING, 3),
        "limiter": "redis" if settings.REDIS_URL else "file",
        "database": __import__("django.db").db.connection.vendor,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
