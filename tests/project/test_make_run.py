"""`make run` (config/run.py): the laptop run, as a person sees it in the terminal."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.stack import wait_for

ROOT = Path(__file__).resolve().parents[2]


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a TCP port listens on, from /proc/net/tcp (state 0A is LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_make_run_listens_on_this_machine_only_and_shows_the_login_url_after_the_noise(
        tmp_path, emulator):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEVELOPMENT", "LOG_LEVEL")}
    env.update(VAR_DIR=str(tmp_path), PORT=str(port), TIM_API_BASE_URL=emulator.url,
               PYTHONUNBUFFERED="1")
    out = tmp_path / "run.log"
    with open(out, "w") as log:
        run = subprocess.Popen([sys.executable, "-m", "config.run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: out.read_text().count(f"Dashboard: http://127.0.0.1:{port}/") == 2,
                 timeout=90, interval=0.5, message="the login URL, twice")
        text = out.read_text()
        last_lines = text.rstrip().splitlines()[-3:]
        assert any("Press Ctrl-C" in line for line in last_lines), "the URL is the last thing"
        assert listening_addresses(port) == {"127.0.0.1"}
        assert requests.get(f"http://127.0.0.1:{port}/login/", timeout=10).status_code == 200
        time.sleep(3)  # three more scheduler ticks
        text = out.read_text()
        for chatter in ("Sending due task", "dispatch_due_campaigns[", "succeeded in"):
            assert chatter not in text, f"{chatter!r} is printed every second"
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
