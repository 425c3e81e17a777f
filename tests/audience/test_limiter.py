"""The shared limiter under several processes, each with many threads (as job crews run): never
more than the limit in any one-second window, and the limit is actually reached."""

import json
import multiprocessing
import os
import threading
import time
import uuid

import pytest

from core.limiter import BURST, FileLimiter, RedisLimiter, waited_seconds
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


def test_a_thread_learns_how_long_it_waited_for_permits(tmp_path):
    limiter = FileLimiter(tmp_path / "calls.json", limit=2, window=0.3)
    before = waited_seconds()
    for _ in range(3):  # the third waits for the window to pass
        limiter.acquire()
    assert 0.2 <= waited_seconds() - before < 1.0


def test_a_permit_held_too_long_before_sending_is_given_back_and_another_taken(tmp_path,
                                                                              emulator):
    # The limiter counted the call at its grant; sent much later, it could reach Tencent in
    # the same second as calls granted a whole window after it. Given back, it leaves the
    # window counting only the call that was made.
    limiter = FileLimiter(tmp_path / "calls.json", limit=100, window=1.04)
    taken = []

    def busy_host_throttle():
        permit = limiter.acquire()
        taken.append(permit)
        if len(taken) == 1:
            time.sleep(0.1)  # this host kept the thread from sending for 100 ms
        return permit

    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=emulator.url,
                       throttle=busy_host_throttle, max_permit_age=0.02)
    client.call("all_member_push", "im_get_attr_name", {}, retries=0)
    assert len(taken) == 2 and len(emulator.calls()) == 1
    assert taken[0].age() > 0.02
    assert json.loads((tmp_path / "calls.json").read_text())["log"] == [taken[1].granted_at]


def a_limiter(kind: str, tmp_path, *, limit: int, window: float):
    """A limiter of its own: a fresh Redis key, or a fresh file."""
    if kind == "redis":
        require_service("Redis", bool(os.environ.get("REDIS_URL")))
        return RedisLimiter(os.environ["REDIS_URL"], limit=limit, window=window,
                            key=f"test:limiter:{uuid.uuid4()}")
    return FileLimiter(tmp_path / "calls.json", limit=limit, window=window)


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
    # Paced 0.1 s apart with a burst of BURST: the first BURST + 1 come at once, then the pace.
    permits = [limiter.acquire() for _ in range(BURST + 1)]
    assert permits[-1].granted_at - permits[0].granted_at < 0.05
    permits[-1].give_back()  # its call was never made
    again = limiter.acquire()
    assert again.granted_at - permits[-1].granted_at < 0.05, "the step was not given back"
    paced = limiter.acquire()  # the pace still holds for calls made
    assert paced.granted_at - again.granted_at > 0.07
