"""Real Celery worker and beat processes for tests whose behaviour depends on them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from tests.emulator_process import SDKAPPID, SECRET_KEY


def require_service(name: str, available: bool) -> None:
    """In CI (REQUIRE_SERVICES=1) a missing service fails the run; on a laptop it skips."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but not configured or reachable")
    pytest.skip(f"{name} is not configured")


def database_url() -> str:
    """The URL of the database the tests use, for processes outside this one."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Stack:
    def __init__(self, tmp_path: Path, emulator_url: str, **settings: object):
        self.tmp_path = tmp_path
        self.env = {
            **os.environ, "DJANGO_DEVELOPMENT": "1", "DATABASE_URL": database_url(),
            # The same VAR_DIR as this process: one broker file and one limiter file.
            "VAR_DIR": str(django_settings.VAR_DIR), "TIM_API_BASE_URL": emulator_url,
            "TIM_SDKAPPID": str(SDKAPPID), "TIM_SECRET_KEY": SECRET_KEY,
            "DISPATCH_POLL_SECONDS": "0.02", "LOG_LEVEL": "WARNING",
            **{k: str(v) for k, v in settings.items()},
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args],
                                   env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def purge(self) -> None:
        subprocess.run([sys.executable, "-m", "celery", "-A", "config", "purge", "-f"],
                       env=self.env, capture_output=True, timeout=60)

    def worker(self, name: str, concurrency: str | None = None, queues: str = "celery,audience",
               **env: str) -> subprocess.Popen:
        # The solo pool runs tasks in the worker process itself: killing it kills the send.
        # With `concurrency`, the prefork pool as deployed (make run, docker-compose.yml).
        # Deployed, campaigns and bulk jobs have workers of their own (`queues`).
        pool = ["--concurrency", concurrency] if concurrency else ["--pool=solo"]
        return self._start(name, "worker", *pool, "-Q", queues, "-n", f"{name}@%h",
                           "--without-gossip",
                           "--without-mingle", "--without-heartbeat", "-l", self.env["LOG_LEVEL"],
                           **env)

    def beat(self, name: str) -> subprocess.Popen:
        return self._start(name, "beat", "-s", str(self.tmp_path / f"{name}-schedule"),
                           "-l", self.env["LOG_LEVEL"])

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL whatever is still running after 3 s: a warm shutdown waits for a
        running dispatcher tick (up to DISPATCH_RUN_SECONDS), and these tests are done with it.
        Graceful stops are proven on the compose commands (tests/project/test_compose.py)."""
        for process in self.processes.values():
            process.terminate()
        deadline = time.monotonic() + 3
        for process in list(self.processes.values()):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # the prefork pool's children too
                process.wait()
        self.processes.clear()

    def full_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.tmp_path.glob("*.log"))

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in self.tmp_path.glob("*.log"))


def wait_for(predicate, *, timeout: float, interval: float = 0.2, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of one test's own on a free port, for tests that stop or restart Redis:
    the shared one (REDIS_URL) serves every other test, and the other test worker's. It keeps
    nothing on disk, as in compose: a restart loses every key and every queued task message."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        require_service("redis-server", bool(shutil.which("redis-server")))
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=open(self.folder / "redis.log", "a"), stderr=subprocess.STDOUT)
        wait_for(self.pings, timeout=10, interval=0.05, message="private redis up")
        return self

    def pings(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                redis.Redis(port=self.port, socket_timeout=2).shutdown(nosave=True)
            except redis.ConnectionError:
                pass  # the server closes the connection as it stops
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()
