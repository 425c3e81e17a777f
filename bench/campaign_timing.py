"""How late a due campaign reaches the API, and the spacing overhead when campaigns queue.

Real emulator (20 ms added latency), two Celery workers and beat, as in production.
Lateness = emulator receipt time - send_at. Gap = time between consecutive pushes at the emulator.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from bench.harness import setup_django, summary, temp_dir


def main(spaced: int = 15, queued: int = 20) -> dict:
    tmp = temp_dir()
    setup_django(tmp)
    from django.contrib.auth.models import User
    from django.utils import timezone

    from campaigns import services
    from campaigns.models import Campaign
    from tests.emulator_process import EmulatorProcess
    from tests.stack import Stack, wait_for

    emulator = EmulatorProcess(str(tmp / "emulator.sqlite3")).start()
    emulator.post("faults", {"latency_ms": 20})
    user = User.objects.create_user("bench")
    body = {"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "bench"}}]}
    stack = Stack(tmp, emulator.url, DISPATCH_POLL_SECONDS=0.1)  # the production default
    stack.purge()
    stack.worker("worker1")
    stack.worker("worker2")
    stack.beat("beat")
    try:
        time.sleep(4)  # let workers and beat settle before the first campaign is due
        start = timezone.now() + dt.timedelta(seconds=2)
        # Due one at a time, 2.5 s apart, so none waits for another: pure lateness.
        lone = [services.campaign_create(user=user, name=f"lone{i}", push=body,
                                         send_at=start + dt.timedelta(seconds=2.5 * i))
                for i in range(spaced)]
        wait_for(lambda: Campaign.objects.filter(status="sent").count() == spaced,
                 timeout=spaced * 2.5 + 30, message="spaced campaigns")
        pushes = {p["msg_random"]: p["received_at"] for p in emulator.state()["pushes"]}
        lateness = [pushes[c.msg_random] - c.send_at.timestamp() for c in lone]
        # All due at the same second: they queue behind the gate.
        at = timezone.now() + dt.timedelta(seconds=3)
        for i in range(queued):
            services.campaign_create(user=user, name=f"queued{i}", push=body, send_at=at)
        wait_for(lambda: Campaign.objects.filter(status="sent").count() == spaced + queued,
                 timeout=queued * 2 + 30, message="queued campaigns")
        times = [p["received_at"] for p in emulator.state()["pushes"]][-queued:]
        gaps = [b - a for a, b in zip(times, times[1:])]
    finally:
        stack.stop()
        emulator.stop()
    result = {"lateness_seconds": summary(lateness), "queued_gap_seconds": summary(gaps),
              "mean_gap_over_1s": summary(gaps)["mean"] / 1.0,
              "database": "postgresql" if "postgres" in __import__("os").environ[
                  "DATABASE_URL"] else "sqlite"}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
