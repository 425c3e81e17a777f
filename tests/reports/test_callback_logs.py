"""A callback's Sign and RequestTime (its query string) stay out of the logs of the processes
that serve it as deployed: gunicorn with config.gunicorn, and Caddy with deploy/Caddyfile.
Anyone reading a Sign within its minute could post other bodies under it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
import requests

from pushclient import callbacks
from tests.emulator_process import SDKAPPID
from tests.project.test_observability import Collector
from tests.reports.conftest import TOKEN, event
from tests.stack import database_url, free_port, require_service, wait_for

ROOT = Path(__file__).resolve().parents[2]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def signed_query() -> dict:
    # A RequestTime a few seconds old: a value unlikely to show up in a log by chance (as the
    # current second would, in timestamps).
    request_time = str(int(time.time()) - 7)
    return {"SdkAppid": SDKAPPID, "CallbackCommand": callbacks.COMMAND,
            "RequestTime": request_time, "Sign": callbacks.sign(TOKEN, request_time)}


def run_until(command: list[str], env: dict, log: Path, port: int, send, *, until: str) -> str:
    """Start a server, send it requests once it listens, stop it when `until` is logged."""
    with open(log, "w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: listening(port), timeout=30, interval=0.05, message=command[0])
        send()
        wait_for(lambda: until in log.read_text(), timeout=10, interval=0.05, message=until)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return log.read_text()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_gunicorn_logs_a_callback_without_its_query_string(tmp_path, log_format):
    port = free_port()
    env = {**os.environ, "DJANGO_DEVELOPMENT": "1", "DATABASE_URL": database_url(),
           "VAR_DIR": str(tmp_path), "PORT": str(port), "WEB_CONCURRENCY": "1",
           "LOG_FORMAT": log_format, "TIM_SDKAPPID": str(SDKAPPID),
           "TIM_CALLBACK_TOKEN": TOKEN,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    queries = [signed_query(), {**signed_query(), "Sign": "f" * 64}]  # counted; refused
    answers = []

    def send():
        for query in queries:
            answers.append(requests.post(f"http://127.0.0.1:{port}/tencent/callback/",
                                         params=query, json={"Events": [event()]}, timeout=10))

    logged = run_until(["gunicorn", "config.wsgi", "--config", "python:config.gunicorn"], env,
                       tmp_path / "gunicorn.log", port, send, until='" 401 ')
    assert [a.status_code for a in answers] == [200, 401]
    assert re.search(r'"POST /tencent/callback/ HTTP/1.1\\?" 200 ', logged)  # JSON escapes "
    assert "Unauthorized: /tencent/callback/" in logged  # Django's own line, path only
    for query in queries:
        assert query["Sign"] not in logged
        assert query["RequestTime"] not in logged
    assert "Sign=" not in logged and "?" not in logged


def test_caddy_logs_a_failed_callback_without_its_query_string(tmp_path):
    """Nothing listens upstream, so reverse_proxy fails and Caddy logs the request."""
    require_service("caddy", bool(shutil.which("caddy")))
    port, upstream = free_port(), free_port()
    env = {**os.environ, "DOMAIN": f"http://127.0.0.1:{port}", "UPSTREAM": f"127.0.0.1:{upstream}",
           "CADDY_HTTP_PORT": str(free_port()), "CADDY_HTTPS_PORT": str(free_port()),
           "CADDY_HEALTH_PORT": str(free_port()), "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    query = signed_query()
    answers = []

    def send():
        answers.append(requests.post(f"http://127.0.0.1:{port}/tencent/callback/", params=query,
                                     json={"Events": [event()]}, timeout=10))

    logged = run_until(["caddy", "run", "--config", str(ROOT / "deploy" / "Caddyfile"),
                        "--adapter", "caddyfile"], env, tmp_path / "caddy.log", port, send,
                       until="connection refused")
    assert answers[0].status_code == 502
    assert '"uri":"/tencent/callback/?[query not logged]"' in logged
    assert query["Sign"] not in logged and query["RequestTime"] not in logged


def test_sentry_hears_of_a_callback_that_could_not_be_stored_without_its_sign(tmp_path):
    """Redis unreachable: the receiver answers 503 and logs the error, which a real Sentry
    client sends, with the request, to a local collector."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.bodies = []
    query = urlencode(signed_query())
    code = f"""
import sentry_sdk
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)  # the receiver reads the apps: the database is up
answer = Client().post("/tencent/callback/?{query}", {{"Events": [{event()!r}]}},
                       content_type="application/json")
print(answer.status_code)
sentry_sdk.flush(5)
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEVELOPMENT": "1",
           "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "TIM_SDKAPPID": str(SDKAPPID),
           "TIM_CALLBACK_TOKEN": TOKEN,
           "SENTRY_DSN": f"http://key@127.0.0.1:{server.server_port}/1"}
    try:
        result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code],
                                env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert result.stdout.split() == ["503"], result.stderr
    sent = b"".join(Collector.bodies).decode()
    assert "could not be stored" in sent and "/tencent/callback/" in sent
    assert "Sign=" in query and TOKEN not in sent
    for name in ("Sign", "RequestTime"):
        assert dict(parse_qsl(query))[name] not in sent


@pytest.mark.django_db(transaction=True)
def test_make_runs_runserver_logs_a_callback_without_its_sign(tmp_path):
    """make run serves the emulator's callbacks with runserver, which logs each request."""
    port = free_port()
    env = {**os.environ, "DJANGO_DEVELOPMENT": "1", "DATABASE_URL": database_url(),
           "VAR_DIR": str(tmp_path), "TIM_SDKAPPID": str(SDKAPPID), "TIM_CALLBACK_TOKEN": TOKEN}
    query = signed_query()
    answers = []

    def send():
        answers.append(requests.post(f"http://127.0.0.1:{port}/tencent/callback/", params=query,
                                     json={"Events": [event()]}, timeout=10))

    logged = run_until([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}",
                        "--noreload", "--skip-checks"], env, tmp_path / "runserver.log", port,
                       send, until="POST /tencent/callback/")
    assert answers[0].status_code == 200
    assert "Sign=[redacted]" in logged and "RequestTime=[redacted]" in logged
    assert query["Sign"] not in logged and query["RequestTime"] not in logged
