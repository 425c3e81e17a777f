"""The shared limiter under several processes, each with many threads (as job crews run): never
more than the limit in any one-second window, and the limit is actually reached."""

import fcntl
import json
import multiprocessing
import os
import threading
import time
import uuid

import pytest

from core.limiter import BURST, FileLimiter, RedisLimiter
from pushclient import TimClient
from tests.emulator_process import SDKAPPID, SECRET_KEY, busiest_second
from tests.stack import require_service

LIMIT, PROCESSES, THREADS, PERMITS_EACH = 40, 3, 8, 5  # 120 permits: about 3 s at 40 a second


def make_limiter(kind: str, where: str):
    if kind == "redis":
        return RedisLimiter(os.environ["REDIS_URL"], limit=LIMIT, window=1.04, key=where)
    from pathlib import Path
    return FileLimiter(Path(where), limit=LIMIT, window=1.04)


def take_permits(kind: str, where: str, out) -> None:
    limiter, times, lock = make_limiter(kind, where), [], threading.Lock()

    def thread():
        for _ in range(PERMITS_EACH):
            granted = limiter.acquire().granted_at  # the gate's clock: what the limiter promises
            with lock:
                times.append(granted)

    threads = [threading.Thread(target=thread) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(times)


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_processes_with_many_threads_never_exceed_the_limit_together(kind, tmp_path):
    if kind == "redis":
        require_service("Redis", bool(os.environ.get("REDIS_URL")))
    where = f"test:limiter:{uuid.uuid4()}" if kind == "redis" else str(tmp_path / "calls.json")
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [context.Process(target=take_permits, args=(kind, where, out))
                 for _ in range(PROCESSES)]
    for p in processes:
        p.start()
    times = sorted(t for _ in processes for t in out.get(timeout=60))
    for p in processes:
        p.join(timeout=10)
    assert len(times) == PROCESSES * THREADS * PERMITS_EACH
    assert busiest_second([{"received_at": t} for t in times]) <= LIMIT
    rate = (len(times) - LIMIT) / (times[-1] - times[LIMIT - 1])  # after the first window
    assert rate >= 0.7 * LIMIT, f"only {rate:.1f} permits a second of {LIMIT}"


def a_limiter(kind: str, tmp_path, *, limit: int, window: float):
    """A limiter of its own: a fresh Redis key, or a fresh file."""
    if kind == "redis":
        require_service("Redis", bool(os.environ.get("REDIS_URL")))
        return RedisLimiter(os.environ["REDIS_URL"], limit=limit, window=window,
                            key=f"test:limiter:{uuid.uuid4()}")
    return FileLimiter(tmp_path / "calls.json", limit=limit, window=window)


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_permits_come_in_a_short_burst_then_paced(kind, tmp_path):
    limiter = a_limiter(kind, tmp_path, limit=10, window=1.0)
    # Paced 0.1 s apart with a burst of BURST: the first BURST + 1 come at once, then the pace.
    permits = [limiter.acquire().granted_at for _ in range(BURST + 3)]
    assert permits[BURST] - permits[0] < 0.05
    assert all(later - earlier > 0.07 for earlier, later in
               zip(permits[BURST:], permits[BURST + 1:]))


def test_every_try_of_a_call_asks_the_throttle_with_its_command(emulator):
    # The one door to the limits (core/tencent.py): a retry waits for its family's limiter
    # like the first try, never past it.
    asked = []
    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=emulator.url,
                       backoff=0.01, throttle=asked.append)
    emulator.post("faults", {"script": ["91000"]})
    client.members.get_attr_names()
    client.push(msg_body=[{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}])
    assert [c["code"] for c in emulator.calls()] == [91000, 0, 0]
    assert asked == ["im_get_attr_name"] * 2, "im_push has the push gate instead"


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_a_permit_given_back_unused_frees_its_place_in_the_window(kind, tmp_path):
    limiter = a_limiter(kind, tmp_path, limit=3, window=0.8)
    permits = [limiter.acquire() for _ in range(3)]
    permits[1].give_back()  # its call was never made
    started = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - started < 0.4, "waited for a call that was never made"
    started = time.monotonic()
    limiter.acquire()  # the window is full of calls made: this one waits for the first to age
    assert time.monotonic() - started > 0.3


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_a_permit_given_back_unused_gives_back_its_pacing_step_too(kind, tmp_path):
    """A permit given back leaves the window and its pacing step: a kept step would cost one
    permit for each late one given back while permits are in demand (4-6 % of them on a busy
    host: the production bench cells at 90-91 % instead of the pace's 96 %)."""
    limiter = a_limiter(kind, tmp_path, limit=10, window=1.0)
    permits = [limiter.acquire() for _ in range(BURST + 1)]
    permits[-1].give_back()  # its call was never made
    again = limiter.acquire()
    assert again.granted_at - permits[-1].granted_at < 0.05, "the step was not given back"
    paced = limiter.acquire()  # the pace still holds for calls made
    assert paced.granted_at - again.granted_at > 0.07


def test_a_permit_that_grew_old_before_its_call_is_given_back_and_another_taken(
        settings, tmp_path, caplog):
    # The limiter counted the call at its grant; sent much later, it could reach Tencent in
    # the same second as calls granted a whole window after it.
    from core import tencent
    settings.REDIS_URL, settings.VAR_DIR = "", str(tmp_path)
    settings.TIM_PERMIT_MAX_AGE_SECONDS = 0.02
    tencent.clear()
    path = tmp_path / "tim-calls.json"
    path.touch()
    with open(path) as handle:  # another process holds the log for 100 ms
        fcntl.flock(handle, fcntl.LOCK_EX)
        timer = threading.Timer(0.1, fcntl.flock, (handle, fcntl.LOCK_UN))
        timer.start()
        with caplog.at_level("INFO", logger="core.tencent"):
            tencent.throttle("im_get_attr_name")
        timer.join()
    tencent.clear()
    assert "rate permit" in caplog.text and "taking another" in caplog.text
    log = json.loads(path.read_text())["log"]
    assert len(log) == 1, "the late permit left the window; only the one used is in it"


def test_each_call_family_waits_for_its_own_limiter_one_a_process(settings, tmp_path):
    from core import tencent
    settings.REDIS_URL, settings.VAR_DIR = "", str(tmp_path)
    tencent.clear()
    try:
        calls = tencent.limiter("im_add_tag")
        assert calls is tencent.limiter("set_attr") is tencent.limiter("im_get_attr_name"), \
            "attribute and tag calls share one limit, and one local queue in this process"
        files = {command: tencent.limiter(command).path.name for command in (
            "im_add_tag", "batch", "revoke", "all_member_push_statistics",
            "all_member_push_loss", "all_member_push_trace")}
        assert files == {"im_add_tag": "tim-calls.json", "batch": "tim-batch.json",
                         "revoke": "tim-revoke.json",
                         "all_member_push_statistics": "tim-report-all_member_push_statistics.json",
                         "all_member_push_loss": "tim-report-all_member_push_loss.json",
                         "all_member_push_trace": "tim-report-all_member_push_trace.json"}
        assert tencent.limiter("revoke").limit == 1
    finally:
        tencent.clear()
