"""A 25,000-account job on two real workers: the limiter holds at the emulator, and a worker
killed midway costs no finished batch."""

import math
import time

import pytest

from audience import jobs, services
from audience.models import Job, JobBatch
from tests.emulator_process import busiest_second
from tests.stack import Stack, wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
ACCOUNTS = 25_000
MAX_IN_FLIGHT = 16


def test_a_big_job_stays_under_the_limit_and_survives_a_killed_worker(admin_user, emulator,
                                                                     tmp_path):
    emulator.post("faults", {"latency_ms": 20})
    segment = services.segment_import(user=admin_user, name="25k",
                                      lines=(f"user{i:06d}" for i in range(ACCOUNTS)))
    stack = Stack(tmp_path, emulator.url, AUDIENCE_BATCH_LEASE_SECONDS=3,
                  AUDIENCE_TASKS_PER_JOB=2,
                  AUDIENCE_MAX_IN_FLIGHT=MAX_IN_FLIGHT)
    stack.purge()
    stack.worker("worker1")
    stack.worker("worker2")
    started = time.time()
    try:
        job = services.job_create(user=admin_user, action="add_tags", segment=segment,
                                  tags=["spring", "vip"])
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= ACCOUNTS // 3, timeout=60,
                 message="a third done")
        stack.kill("worker1")
        done_before_kill = set(JobBatch.objects.filter(job=job, status="done")
                               .values_list("seq", flat=True))
        wait_for(lambda: Job.objects.get(pk=job.pk).status == "done", timeout=90,
                 message="job done")
    finally:
        stack.stop()
    job.refresh_from_db()
    assert (job.done, job.failed, job.total) == (ACCOUNTS, 0, ACCOUNTS)
    calls = [c for c in emulator.calls(since=started) if c["command"] == "im_add_tag"]
    assert busiest_second(calls) <= 100
    assert max(c["accounts"] for c in calls) <= 100
    assert [c for c in calls if c["code"] != 0] == [], "no 60007, no refusal"
    # Finished batches were never redone: only batches in flight when worker1 died ran twice.
    redone = JobBatch.objects.filter(job=job, tries__gt=1)
    assert not set(redone.values_list("seq", flat=True)) & done_before_kill
    # A re-leased batch ran twice at most: its first try may have died before calling.
    assert ACCOUNTS // 100 <= len(calls) <= ACCOUNTS // 100 + sum(b.tries - 1 for b in redone)
    # Only the dead worker's batches: those in flight and those claimed ahead for its senders.
    assert redone.count() <= MAX_IN_FLIGHT + math.ceil(100 * jobs.PREFETCH_SECONDS)
    # The emulator holds exactly what was asked: every account has both tags.
    assert emulator.post("reach", {"Condition": {"TagsAnd": ["spring", "vip"]}})["reach"] == \
        ACCOUNTS
    assert emulator.state()["accounts"] == ACCOUNTS
