"""A short soak under fire: three workers and two schedulers against a faulty emulator while
campaigns and a tagging job run; midway a worker is SIGKILLed, the emulator restarts and Redis
restarts. Every promise is checked at the end, and the figures are printed for BENCHMARKS.md."""

import datetime as dt
import json
import re
import time
from collections import Counter

import pytest
from django.utils import timezone

from audience import services as audience
from audience.models import Job
from campaigns import services
from campaigns.models import Attempt, Campaign
from tests.conftest import TEXT, make_user
from tests.emulator_process import busiest_second
from tests.stack import Stack, wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
FAULTS = {"latency_ms": 20, "error_91000_rate": 0.05, "http_502_rate": 0.02, "stall_rate": 0.01,
          "stall_seconds": 4}
SETTLED = {"sent", "needs_review", "failed"}


def test_soak_with_faults_kills_and_restarts(tmp_path, emulator, private_redis, settings):
    settings.REDIS_URL = private_redis.url
    marketer = make_user("mia", "Marketers")
    admin = make_user("ada", "Admins", is_staff=True)
    emulator.post("faults", FAULTS)
    stack = Stack(tmp_path, emulator.url, PUSH_LEASE_SECONDS=4, TIM_READ_TIMEOUT_SECONDS=2,
                  AUDIENCE_BATCH_LEASE_SECONDS=4, AUDIENCE_MAX_IN_FLIGHT=3,
                  REDIS_URL=private_redis.url,
                  LOG_LEVEL="DEBUG")  # urllib3 logs every request URL: the UserSig's hiding place
    stack.purge()
    for i in (1, 2, 3):
        stack.worker(f"worker{i}")
    stack.beat("beat1")
    stack.beat("beat2")
    started = time.time()
    now = timezone.now()
    # Some due at the same second, some spread out.
    ids = [services.campaign_create(user=marketer, name=f"soak{i}", push={"MsgBody": TEXT},
                                    send_at=now + dt.timedelta(seconds=3 + (i // 4) * 3)).pk
           for i in range(20)]
    segment = audience.segment_import(user=admin, name="soak",
                                      lines=(f"soak{i:05d}" for i in range(20000)))
    job = audience.job_create(user=admin, action="add_tags", segment=segment, tags=["soak"])
    try:
        time.sleep(6)
        stack.kill("worker1")
        stack.worker("worker4")
        time.sleep(2)
        emulator.restart()
        emulator.post("faults", FAULTS)  # faults live in memory: set them again
        time.sleep(2)
        private_redis.restart()
        wait_for(lambda: set(Campaign.objects.filter(pk__in=ids).values_list("status", flat=True))
                 <= SETTLED and Job.objects.get(pk=job.pk).status in ("done", "failed"),
                 timeout=240, interval=1, message="every campaign settled and the job finished")
    finally:
        stack.stop()
    worker_logs = stack.full_logs()
    calls = emulator.calls(since=started)
    pushes = emulator.state()["pushes"]
    statuses = Counter(Campaign.objects.filter(pk__in=ids).values_list("status", flat=True))
    job.refresh_from_db()
    per_random = Counter(p["msg_random"] for p in pushes)
    tag_calls = [c for c in calls if c["command"] != "im_push"]
    summary = {
        "campaigns": dict(statuses), "pushes_at_emulator": len(pushes),
        "pushed_twice": sum(1 for n in per_random.values() if n > 1),
        "push_answers": dict(Counter(str(c["code"]) for c in calls if c["command"] == "im_push")),
        "job": {"status": job.status, "done": job.done, "failed": job.failed},
        "tag_call_answers": dict(Counter(str(c["code"]) for c in tag_calls)),
        "busiest_second_tag_calls": busiest_second(tag_calls),
        "attempts": Attempt.objects.filter(campaign_id__in=ids).count(),
        "redis_restarted": True,
    }
    print("SOAK", json.dumps(summary))
    assert summary["pushed_twice"] == 0
    sent = set(Campaign.objects.filter(pk__in=ids, status="sent").values_list("msg_random",
                                                                              flat=True))
    assert sent <= set(per_random), "every campaign marked sent reached the emulator"
    assert statuses["sent"] + statuses["needs_review"] >= 17, statuses
    assert "90024" not in summary["push_answers"] and "90047" not in summary["push_answers"]
    assert summary["busiest_second_tag_calls"] <= 100
    assert "60007" not in summary["tag_call_answers"]
    assert job.status == "done" and job.done + job.failed == 20000
    assert Campaign.objects.filter(pk__in=ids).count() == 20, "nothing lost from the database"
    from tests.emulator_process import SECRET_KEY
    assert "im_add_tag" in worker_logs and "/v4/all_member_push/im_push?" in worker_logs
    assert SECRET_KEY not in worker_logs
    assert "usersig=[redacted]" in worker_logs.lower()
    assert not re.search(r"usersig=(?!\[redacted\])", worker_logs, re.IGNORECASE)
