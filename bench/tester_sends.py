"""Test sends of 500 accounts each from several threads at once (people clicking "Send test"
together), against the emulator with 20 ms added latency: how close they come to
TIM_BATCH_CALLS_PER_SECOND without one 60007, and how long a person waits for the answer.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from bench.harness import setup_django, summary, temp_dir


def main(threads: int = 8, each: int = 15) -> dict:
    tmp = temp_dir()
    setup_django(tmp)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection

    from campaigns import services
    from campaigns.tester_sends import campaign_test_send, test_group_save
    from core import tencent
    from tests.emulator_process import SECRET_KEY, EmulatorProcess, busiest_second

    emulator = EmulatorProcess(str(tmp / "emulator.sqlite3")).start()
    emulator.post("faults", {"latency_ms": 20})
    accounts = [f"member{i:03d}" for i in range(500)]
    emulator.post("accounts", {"accounts": accounts[:450]})  # 50 unknown: 70107 each
    settings.TIM_API_BASE_URL, settings.TIM_SECRET_KEY = emulator.url, SECRET_KEY
    # The daily caps on accounts reached are the team's policy; this measures the call rate.
    settings.TEST_SEND_ACCOUNTS_PER_PERSON_DAY = settings.TEST_SEND_ACCOUNTS_PER_DAY = 10**9
    tencent.clear()
    user = User.objects.get_or_create(username="bench-test-sends")[0]
    campaign = services.campaign_create(user=user, name="bench", push={
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "bench"}}],
        "OfflinePushInfo": {"Title": "Bench", "Desc": "A test send"}})
    # More than a few accounts are a test group's (TEST_SEND_TYPED_ACCOUNTS).
    group = test_group_save(user=user, name="bench", accounts=accounts)
    waits: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def person():
        try:
            for _ in range(each):
                started = time.monotonic()
                test = campaign_test_send(campaign=campaign, user=user, group=group.pk)
                assert test.outcome == "ok" and test.reached == 450, test.error_info
                with lock:
                    waits.append(time.monotonic() - started)
        except BaseException as exc:  # the main thread reports it, and fails
            failures.append(exc)
        finally:
            connection.close()

    try:
        started = time.monotonic()
        crew = [threading.Thread(target=person) for _ in range(threads)]
        for thread in crew:
            thread.start()
        for thread in crew:
            thread.join()
        elapsed = time.monotonic() - started
        if failures:
            raise failures[0]
        calls = [c for c in emulator.calls() if c["command"] == "batch"]
    finally:
        emulator.stop()
    rate = len(calls) / elapsed
    result = {"test_sends": len(calls), "seconds": round(elapsed, 2),
              "per_second": round(rate, 1), "ceiling": settings.TIM_BATCH_CALLS_PER_SECOND,
              "share_of_ceiling": round(rate / settings.TIM_BATCH_CALLS_PER_SECOND, 3),
              "busiest_second": busiest_second(calls),
              "codes": sorted({c["code"] for c in calls}),
              "wait_seconds": {k: round(v, 3) for k, v in summary(waits).items()}}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
