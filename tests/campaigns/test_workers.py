"""The push gate with real Celery worker and beat processes, against the emulator over HTTP."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from tests.conftest import TEXT
from tests.stack import Stack, require_service, wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack(tmp_path, emulator, request):
    stacks = []

    def start(workers=2, beats=1, **settings):
        stack = Stack(tmp_path, emulator.url, **settings)
        stack.purge()
        for i in range(workers):
            stack.worker(f"worker{i + 1}")
        for i in range(beats):
            stack.beat(f"beat{i + 1}")
        stacks.append(stack)
        return stack

    yield start
    for stack in stacks:
        stack.stop()
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            print(stack.logs())


def book(user, count, *, at):
    return [services.campaign_create(user=user, name=f"c{i}", push={"MsgBody": TEXT},
                                     send_at=at).pk for i in range(count)]


def statuses(ids):
    return sorted(Campaign.objects.filter(pk__in=ids).values_list("status", flat=True))


def push_gaps(pushes):
    times = [p["received_at"] for p in pushes]
    return [b - a for a, b in zip(times, times[1:])]


FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.mark.parametrize("skew", ["+0.9", "-0.9"])
def test_a_worker_whose_clock_is_0_9_s_off_still_leaves_more_than_1_s_between_pushes(
        marketer, emulator, stack, skew):
    """A worker whose clock runs 0.9 s ahead must not put pushes 0.92–0.98 s apart (90024).
    Two workers, one honest and one skewed by libfaketime, hand the dispatcher role to each
    other every second; the gate must read one clock, the database's."""
    require_service("libfaketime (apt-get install faketime)", os.path.exists(FAKETIME_LIBRARY))
    ids = book(marketer, 10, at=timezone.now() + dt.timedelta(seconds=3))
    running = stack(workers=0, beats=1, DISPATCH_RUN_SECONDS=1)
    running.worker("honest")
    # Every clock of the skewed worker is off (with FAKETIME_DONT_FAKE_MONOTONIC, libfaketime
    # fails every time.sleep with EINVAL: that worker's dispatcher died after its first push).
    running.worker("skewed", FAKETIME=skew, LD_PRELOAD=FAKETIME_LIBRARY, FAKETIME_NO_CACHE="1")
    wait_for(lambda: statuses(ids) == ["sent"] * 10, timeout=90, message="10 sent")
    pushes = emulator.state()["pushes"]
    assert len(pushes) == 10
    assert min(push_gaps(pushes)) > 1.0
    assert not [c for c in emulator.calls() if c.get("code") == 90024]
    assert "Traceback" not in running.full_logs()  # both dispatched: neither died mid-tick


def test_twenty_campaigns_due_at_once_go_out_spaced_once_each(marketer, emulator, stack):
    ids = book(marketer, 20, at=timezone.now() + dt.timedelta(seconds=3))
    running = stack(workers=2, beats=2)  # two schedulers: still no double send
    wait_for(lambda: statuses(ids) == ["sent"] * 20, timeout=60, message="20 sent")
    pushes = emulator.state()["pushes"]
    assert len(pushes) == 20
    assert len({p["msg_random"] for p in pushes}) == 20, "no campaign pushed twice"
    assert min(push_gaps(pushes)) > 1.0
    codes = [c["code"] for c in emulator.calls() if c["command"] == "im_push"]
    assert codes == [0] * 20, "no 90024, no retries"
    running.stop()


def test_a_quota_of_five_sends_exactly_five_and_moves_the_rest(marketer, emulator, stack,
                                                               settings):
    settings.PUSH_DAILY_QUOTA = 8  # booking happens under a larger plan
    emulator.post("config", {"daily_quota": 5})
    ids = book(marketer, 8, at=timezone.now() + dt.timedelta(seconds=2))
    stack(workers=2, PUSH_DAILY_QUOTA=5)
    wait_for(lambda: statuses(ids).count("sent") == 5 and statuses(ids).count("scheduled") == 3
             and not Campaign.objects.filter(pk__in=ids, status="scheduled",
                                             status_reason="").exists(),
             timeout=40, message="5 sent, 3 moved")
    moved = Campaign.objects.filter(pk__in=ids, status="scheduled")
    assert all(c.status_reason == "moved_full_day" for c in moved)
    assert len(emulator.state()["pushes"]) == 5
    assert [c for c in emulator.calls() if c["code"] == 90047] == [], "our gate stopped first"


def test_a_worker_killed_during_a_push_leaves_it_for_review(marketer, emulator, stack):
    emulator.post("faults", {"script": ["stall"], "stall_seconds": 30})
    [pk] = book(marketer, 1, at=timezone.now() + dt.timedelta(seconds=2))
    running = stack(workers=2, PUSH_LEASE_SECONDS=3, TIM_READ_TIMEOUT_SECONDS=25)
    wait_for(lambda: any(c["command"] == "im_push" for c in emulator.calls()), timeout=30,
             message="the push to reach the emulator")
    running.kill("worker1")
    running.kill("worker2")
    running.worker("worker3")
    wait_for(lambda: statuses([pk]) == ["needs_review"], timeout=30, message="needs_review")
    campaign = Campaign.objects.get(pk=pk)
    assert campaign.attempts.get().outcome == "unknown"
    assert len(emulator.state()["pushes"]) == 1, "never resent blindly"


def test_a_redis_restart_between_sends_loses_nothing(marketer, emulator, stack, private_redis,
                                                     settings):
    settings.REDIS_URL = private_redis.url
    first = book(marketer, 1, at=timezone.now() + dt.timedelta(seconds=2))
    stack(workers=2, REDIS_URL=private_redis.url)
    wait_for(lambda: statuses(first) == ["sent"], timeout=30, message="first sent")
    private_redis.restart()
    second = book(marketer, 1, at=timezone.now() + dt.timedelta(seconds=1))
    wait_for(lambda: statuses(second) == ["sent"], timeout=60, message="second sent after restart")
    pushes = emulator.state()["pushes"]
    assert len(pushes) == 2 and push_gaps(pushes)[0] > 1.0
    from campaigns.quota import quota_summary
    assert quota_summary()["used"] == 2


def test_a_limit_an_admin_changes_reaches_running_workers_without_a_restart(marketer, emulator,
                                                                            stack, admin_user):
    """PUT /api/quota/ while a worker and beat run: lowered after booking, the running
    dispatcher sends two and moves the third; raised, the same worker sends one more today."""
    from django.test import Client

    from core.tokens import token_create
    api = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=admin_user)[1]}")

    def limit(n):
        answer = api.put("/api/quota/", {"limit": n}, content_type="application/json")
        assert answer.status_code == 200 and answer.json()["limit"] == n

    running = stack(workers=1)
    first = book(marketer, 1, at=timezone.now())
    wait_for(lambda: statuses(first) == ["sent"], timeout=30, message="the workers are up")
    limit(4)
    ids = book(marketer, 3, at=timezone.now() + dt.timedelta(seconds=2))
    limit(3)
    wait_for(lambda: statuses(ids) == ["scheduled", "sent", "sent"] and Campaign.objects.filter(
        pk__in=ids, status_reason="moved_full_day").count() == 1, timeout=30,
        message="two sent, one moved to tomorrow")
    limit(5)
    more = book(marketer, 1, at=timezone.now())
    wait_for(lambda: statuses(more) == ["sent"], timeout=30, message="sent under the new limit")
    assert len(emulator.state()["pushes"]) == 4
    assert running.processes["worker1"].poll() is None, "the same worker, never restarted"


def test_two_shares_of_the_apps_are_sent_by_two_dispatchers_side_by_side(marketer, two_apps,
                                                                       emulator, stack):
    """DISPATCHERS=2 as a busy deployment sets it: beat ticks each share, the prefork worker
    runs the two shares' dispatchers in two processes, and both apps push in the same second."""
    from campaigns.models import DispatcherRole
    from tests.conftest import OTHER_SDKAPPID
    main, intl = two_apps
    shares = abs(intl.pk - main.pk) + 1  # ids differing by less than it: two shares
    at = timezone.now() + dt.timedelta(seconds=3)
    ids = [services.campaign_create(user=marketer, app=app, name=f"{app.slug} {i}",
                                    push={"MsgBody": TEXT}, send_at=at).pk
           for app in (main, intl) for i in range(3)]
    running = stack(workers=0, DISPATCHERS=shares)
    running.worker("campaigns", concurrency="4", queues="celery")
    wait_for(lambda: statuses(ids) == ["sent"] * 6, timeout=60, message="6 sent")
    ours = [p["received_at"] for p in emulator.state()["pushes"]]
    theirs = [p["received_at"] for p in emulator.state(sdkappid=OTHER_SDKAPPID)["pushes"]]
    assert len(ours) == 3 and len(theirs) == 3 and abs(ours[0] - theirs[0]) < 1.0
    assert min(push_gaps(emulator.state()["pushes"])) > 1.0
    ticked = DispatcherRole.objects.filter(last_tick_at__isnull=False)
    assert {main.pk % shares, intl.pk % shares} <= set(ticked.values_list("share", flat=True))
    assert "Traceback" not in running.full_logs()
