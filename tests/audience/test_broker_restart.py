"""Redis, the broker, restarted during a bulk job: the workers and beat, started with
docker-compose.yml's own commands, reconnect; the job finishes with no batch sent twice, and a
campaign booked after the restart is sent.

Redis runs here as a private server on a free port (started, stopped and started again by the
test), never the shared one. It keeps nothing on disk, as in compose: the restart loses every
task message, those queued and those taken but not yet acknowledged.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.utils import timezone
from kombu import Connection

from audience import services
from audience.models import Job, JobBatch
from campaigns import services as campaigns
from campaigns.models import Campaign
from config.celery import app
from tests.stack import Stack, wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 20_000
TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "after the restart"}}]


def compose_command(service: str) -> list[str]:
    """The service's command in docker-compose.yml, as `python -m celery` with the arguments
    after `celery`: the processes tested are the processes shipped."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service][
        "command"]
    assert command[:3] == ["celery", "-A", "config"], command
    return command[3:]


def test_a_redis_restart_during_a_job_costs_no_worker_and_no_batch(
        admin_user, emulator, tmp_path, private_redis, monkeypatch):
    emulator.post("faults", {"latency_ms": 30})
    segment = services.segment_import(user=admin_user, name="20k",
                                      lines=(f"user{i:06d}" for i in range(ACCOUNTS)))
    small = services.segment_import(user=admin_user, name="500",
                                    lines=(f"user{i:06d}" for i in range(500)))

    # This process queues the job's tasks on the private Redis, as the web process would.
    def enqueue(task, *args):
        with Connection(private_redis.url) as connection:
            app.send_task(task, args=args, connection=connection)
    monkeypatch.setattr(services, "enqueue", enqueue)

    # 200 calls at 25 a second: about 8 s of job, the restart in its first third.
    stack = Stack(tmp_path, emulator.url, REDIS_URL=private_redis.url, LOG_LEVEL="INFO",
                  TIM_CALLS_PER_SECOND=25)
    processes = {
        "audience-worker": stack._start("audience-worker", *compose_command("audience-worker")),
        "worker": stack._start("worker", *compose_command("worker")),
        "beat": stack._start("beat", *compose_command("beat"),
                             "-s", str(tmp_path / "beat-schedule")),
    }
    started = time.time()
    try:
        job = services.job_create(user=admin_user, action="add_tags", segment=segment,
                                  tags=["spring"])
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= ACCOUNTS // 5, timeout=40,
                 message="a fifth of the job done")
        private_redis.restart(down_for=1.5)
        restarted = time.monotonic()
        booked = campaigns.campaign_create(user=admin_user, name="after", push={"MsgBody": TEXT},
                                           send_at=timezone.now() + dt.timedelta(seconds=2))
        wait_for(lambda: Job.objects.get(pk=job.pk).status == "done", timeout=45,
                 message="the job done after the restart")
        job_done_after = time.monotonic() - restarted
        wait_for(lambda: Campaign.objects.get(pk=booked.pk).status == "sent", timeout=30,
                 message="the campaign booked after the restart sent")
        # The job's tasks were running through the outage; a job started now needs the audience
        # worker to take tasks from the restarted Redis.
        after_started = time.time()
        after = services.job_create(user=admin_user, action="add_tags", segment=small,
                                    tags=["after"])
        wait_for(lambda: Job.objects.get(pk=after.pk).status == "done", timeout=20,
                 message="a job started after the restart done")
        for name, process in processes.items():
            assert process.poll() is None, f"{name} exited ({process.returncode})"
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()
    logs = stack.full_logs()
    assert "Unrecoverable error" not in logs
    job.refresh_from_db()
    assert (job.done, job.failed, job.total) == (ACCOUNTS, 0, ACCOUNTS)
    # The running tasks carried on through the outage; no wait for beat's sweep of silent jobs.
    assert job_done_after < 30, job_done_after

    calls = [c for c in emulator.calls(since=started) if c["command"] == "im_add_tag"
             and c["received_at"] < after_started]
    assert [c for c in calls if c["code"] != 0] == []
    batches = list(JobBatch.objects.filter(job=job).values_list("tries", "status"))
    assert len(batches) == ACCOUNTS // 100 and {s for _, s in batches} == {"done"}
    # Every call the emulator received is one try of one batch, and every batch was tried
    # once: nothing was sent twice (no lease ran out, nothing redelivered by the broker).
    assert Counter(t for t, _ in batches) == {1: ACCOUNTS // 100}
    assert len(calls) == ACCOUNTS // 100 and sum(c["accounts"] for c in calls) == ACCOUNTS
    assert emulator.post("reach", {"Condition": {"TagsAnd": ["spring"]}})["reach"] == ACCOUNTS
    assert len(emulator.state()["pushes"]) == 1
    assert emulator.post("reach", {"Condition": {"TagsAnd": ["after"]}})["reach"] == 500
