"""The callback receiver acknowledges only what it has stored: while Redis or PostgreSQL is
down it answers FAIL, Tencent posts again, and every event ends up counted exactly once.

Real HTTP against the live server, real Redis, real PostgreSQL; the shared servers are never
touched. Redis is a private redis-server on a free port that the test stops and starts again.
PostgreSQL "stops" through a TCP proxy between the app and the real PostgreSQL: cutting it
refuses new connections and closes the open ones (after the replies PostgreSQL had already
sent have arrived, as when PostgreSQL shuts down); restoring it accepts connections again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connections

from pushclient import callbacks
from reports import dedupe
from reports.models import DeliveryCount
from tests.emulator_process import SDKAPPID
from tests.reports.conftest import TOKEN, event
from tests.stack import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class CuttablePostgres:
    """A TCP proxy in front of the real PostgreSQL that the test can cut and restore."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.port = free_port()
        self.cut_off = False
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            if self.cut_off:
                time.sleep(0.01)
                continue
            with socket.create_server(("127.0.0.1", self.port)) as server:
                server.settimeout(0.02)
                while not self.cut_off and not self.closed:
                    try:
                        client, _ = server.accept()
                    except TimeoutError:
                        continue
                    try:
                        upstream = socket.create_connection(self.upstream, timeout=5)
                        upstream.settimeout(None)
                    except OSError:
                        client.close()
                        continue
                    client.settimeout(None)
                    with self.lock:
                        self.pairs.add((client, upstream))
                    for src, dst, to_db in ((client, upstream, True),
                                            (upstream, client, False)):
                        threading.Thread(target=self._pipe, args=(src, dst, to_db),
                                         daemon=True).start()
            # The listening socket is closed here: new connections are refused.

    def _pipe(self, src, dst, to_db):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                break
            if not data or (to_db and self.cut_off):
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        for sock in (src, dst):
            _close(sock)

    def cut(self):
        self.cut_off = True
        time.sleep(0.2)  # what PostgreSQL already answered still arrives
        with self.lock:
            pairs, self.pairs = self.pairs, set()
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def restore(self):
        self.cut_off = False

    def close(self):
        self.closed = True
        self.cut()


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def callbacks_on_private_redis(settings, private_redis):
    """The receiver's de-duplication on a Redis the test may stop."""
    settings.REDIS_URL = private_redis.url
    dedupe._redis.cache_clear()
    dedupe._script.cache_clear()
    yield private_redis
    dedupe._redis.cache_clear()
    dedupe._script.cache_clear()


@pytest.fixture
def postgres_proxy():
    db = connections.settings["default"]
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("PostgreSQL faults need PostgreSQL")
    saved = db["HOST"], db["PORT"]
    proxy = CuttablePostgres(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    # The live server's request threads open their connections from this dict; this thread
    # connects first, straight to PostgreSQL, and keeps that connection.
    connections["default"].ensure_connection()
    db["HOST"], db["PORT"] = "127.0.0.1", proxy.port
    yield proxy
    db["HOST"], db["PORT"] = saved
    proxy.close()


BATCH = 50


def test_what_is_answered_ok_is_counted_once_while_redis_and_postgresql_stop(
        receiver, callbacks_on_private_redis, postgres_proxy):
    private_redis = callbacks_on_private_redis
    phase = ["up"]
    stop = threading.Event()
    answers: list[tuple[str, int, dict, float]] = []  # (phase, status, body, seconds)

    def send_until_ok(task: str) -> None:
        """Like Tencent: the same batch, freshly signed, until it is answered OK."""
        body = {"Events": [event(f"{task}-u{i}", task=task, stage=1 + i % 3)
                           for i in range(BATCH)]}
        while True:
            now = str(int(time.time()))
            query = {"SdkAppid": SDKAPPID, "CallbackCommand": callbacks.COMMAND,
                     "RequestTime": now, "Sign": callbacks.sign(TOKEN, now)}
            started, during = time.monotonic(), phase[0]
            try:
                answer = requests.post(receiver, params=query, json=body, timeout=10)
                status, data = answer.status_code, answer.json()
            except requests.RequestException as exc:
                status, data = 0, {"error": str(exc)}
            answers.append((during, status, data, time.monotonic() - started))
            if status == 200 and data.get("ErrorCode") == 0:
                return
            time.sleep(0.05)

    def sender(n: int) -> list[str]:
        sent = []
        while not stop.is_set():
            task = f"F{n}-{len(sent)}"
            send_until_ok(task)
            sent.append(task)
        return sent

    with ThreadPoolExecutor(4) as pool:
        senders = [pool.submit(sender, n) for n in range(4)]
        time.sleep(1)
        phase[0] = "redis stopped"
        private_redis.stop()
        time.sleep(1.5)
        private_redis.start()
        phase[0] = "up"
        time.sleep(1)
        phase[0] = "postgresql cut"
        postgres_proxy.cut()
        time.sleep(1.5)
        postgres_proxy.restore()
        phase[0] = "up"
        time.sleep(1)
        stop.set()
        tasks = [task for future in senders for task in future.result(timeout=60)]

    counted: Counter = Counter()
    for row in DeliveryCount.objects.all():
        counted[row.task_id] += row.count
    assert {task: counted.get(task, 0) for task in tasks} == {task: BATCH for task in tasks}
    assert set(counted) == set(tasks)
    failed = [(during, status, data) for during, status, data, _s in answers if status != 200]
    assert {during for during, *_ in failed} >= {"redis stopped", "postgresql cut"}
    for _during, status, data in failed:
        assert status == 503, data
        assert data["ActionStatus"] == "FAIL" and data["ErrorCode"] == 503
        assert "nothing was counted" in data["ErrorInfo"] and "again" in data["ErrorInfo"]
    assert max(seconds for *_x, seconds in answers) < 3, "a stopped service answers fast"
    assert len(tasks) > 20
