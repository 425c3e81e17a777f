"""Logs, error reports and the debug page: useful to operators, never holding a credential."""

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import path

from tests.emulator_process import SDKAPPID, SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("crash/", crash)]


@pytest.mark.urls(__name__)
def test_the_debug_page_shows_no_password_from_a_service_url(client, settings):
    """Development mode's debug page lists settings and, under runserver, the environment."""
    settings.DEBUG = True
    settings.REDIS_URL = "redis://:hunter2@redis.internal:6379/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    client.raise_request_exception = False
    page = client.get("/crash/", REDIS_URL="redis://default:hunter2@redis.internal:6379/0",
                      DATABASE_URL="postgres://push:hunter2@db:5432/push")
    assert page.status_code == 500
    text = page.content.decode()
    assert "RuntimeError" in text and "REDIS_URL" in text and "redis.internal" in text
    assert "hunter2" not in text


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code],
                          env=environment, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_log_format_json_writes_one_json_object_a_line():
    result = run_django("import logging; logging.getLogger('campaigns').warning('hello %s', 'you')",
                        LOG_FORMAT="json")
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello you" and line["level"] == "WARNING"
    assert line["logger"] == "campaigns" and line["time"]


class Collector(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        Collector.bodies.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_sentry_events_and_breadcrumbs_carry_no_usersig_or_secret_key(emulator):
    """A real Sentry client sends to a local collector: a Tencent call (a breadcrumb with the
    UserSig in its URL), then an error whose message holds the secret key."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.bodies = []
    code = f"""
import logging, sentry_sdk
from pushclient import TimClient
client = TimClient(sdkappid={SDKAPPID}, secret_key={SECRET_KEY!r}, base_url={emulator.url!r})
client.members.get_attr_names()
print(client._usersig.get())
try:
    raise ValueError("signing failed with key {SECRET_KEY}")
except ValueError:
    logging.getLogger("campaigns").exception("could not sign")
sentry_sdk.flush(5)
"""
    try:
        result = run_django(code, SENTRY_DSN=f"http://key@127.0.0.1:{server.server_port}/1",
                            TIM_SECRET_KEY=SECRET_KEY)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    usersig = result.stdout.strip().splitlines()[-1]
    sent = b"".join(Collector.bodies).decode()
    assert "ValueError" in sent and "could not sign" in sent, "the error reached Sentry"
    assert "get_attr_name" in sent, "the Tencent call is there as a breadcrumb"
    assert SECRET_KEY not in sent
    assert usersig not in sent


def logged_lines(command: list[str], tmp_path, *, until: str, **env: str) -> list[str]:
    """Run a process until a line holding `until` is logged, then stop it; its stderr lines."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(DJANGO_DEVELOPMENT="1", VAR_DIR=str(tmp_path), LOG_FORMAT="json",
                       PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env)
    err = tmp_path / "stderr.log"
    with open(err, "w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                   stderr=sink)
    try:
        deadline = time.monotonic() + 60
        while until not in err.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    # Python's own warnings (Celery's about running as root, here) are not log records.
    return [line for line in err.read_text().splitlines() if line.startswith("{")
            or re.match(r"^\[\d{4}-|^\d{4}-\d\d-\d\d ", line)]


@pytest.mark.parametrize("command, until", [
    (["gunicorn", "config.wsgi", "--config", "python:config.gunicorn"], "Booting worker"),
    (["celery", "-A", "config", "worker", "--pool", "solo", "-l", "INFO"], "ready."),
])
def test_gunicorn_and_celery_log_json_too(command, until, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lines = logged_lines(command, tmp_path, until=until, PORT=str(port))
    assert any(until in line for line in lines)
    for line in lines:
        record = json.loads(line)  # every log line, the process's own included
        assert {"time", "level", "logger", "message"} <= set(record)
