"""`make run`: the whole product on one machine, on embedded defaults, until Ctrl-C.

Starts the emulator (unless TIM_API_BASE_URL is set), applies migrations, creates the login
from DJANGO_SUPERUSER_USERNAME/PASSWORD, then runs the web server, two Celery workers (campaigns; bulk jobs)
and the scheduler in the foreground, and stops everything it started when interrupted.

The web server listens on 127.0.0.1 only: development mode shows debug pages to whoever can
reach it. BIND=0.0.0.0 opens it to the network on purpose.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_PORT = int(os.environ.get("EMULATOR_PORT") or 9180)


def _bind_error(bind: str, port: int) -> OSError | None:
    """What listening on bind:port would fail with; None when it can. As the servers bind:
    SO_REUSEADDR, so a port the last run left in TIME_WAIT counts as free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind, port))
        except OSError as exc:
            return exc
    return None


def port_problem(bind: str, port: str) -> str:
    """Why the web server could not listen on PORT, with what to do; "" when it can. Said
    before anything starts: otherwise runserver's complaint scrolled past among the workers'
    start-up lines, and what was left on screen was "A process stopped" and make's Error 1."""
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"PORT={port} is not a port number: give one from 1 to 65535, e.g. PORT=8001 make run"
    error = _bind_error(bind, int(port))
    if error is None:
        return ""
    if error.errno == errno.EADDRNOTAVAIL:
        return f"BIND={bind} is not an address of this machine: leave BIND unset, or give one of its own."
    free = next((p for p in range(int(port) + 1, min(int(port) + 100, 65536))
                 if _bind_error(bind, p) is None), 8001)
    problem = "is in use (another program is listening there)" \
        if error.errno == errno.EADDRINUSE else f"cannot be used here ({error.strerror})"
    return f"Port {port} {problem}. Start on another one: PORT={free} make run"


def emulator_port_problem() -> str:
    error = _bind_error("127.0.0.1", EMULATOR_PORT)
    if error is None:
        return ""
    return (f"Port {EMULATOR_PORT}, where the emulator listens, is in use ({error.strerror}): "
            "is another `make run` still running? Stop it first, start on another port "
            "(EMULATOR_PORT=9190 make run), or set TIM_API_BASE_URL to an emulator that is "
            "already running.")


@contextlib.contextmanager
def terminal_of_our_own():
    """Ctrl-C for this process only, so `make run` ends with status 0.

    The terminal sends Ctrl-C's SIGINT to its whole foreground process group: make too. make
    then waits for its recipe and kills itself with SIGINT, whatever the recipe returned, so
    the shell read status 130. In a process group of our own that holds the terminal, only we
    get it; make sees a recipe that exited 0. Nothing changes without a terminal, or when run
    in the background."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        yield
        return
    previous = None
    try:
        if os.tcgetpgrp(tty) == os.getpgrp() and os.getpid() != os.getsid(0):
            previous = os.getpgrp()
            os.setpgid(0, 0)
            _give_terminal(tty, os.getpgrp())
            # Ctrl-Z would stop only us, and leave make (and the shell waiting on it) hung.
            signal.signal(signal.SIGTSTP, lambda *_: None)
        yield
    finally:
        if previous is not None:
            with contextlib.suppress(OSError):  # make's group is gone: the shell takes it back
                _give_terminal(tty, previous)
        os.close(tty)


def _give_terminal(tty: int, group: int) -> None:
    # A process outside the foreground group that sets it gets SIGTTOU, which would stop it.
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, group)
    finally:
        signal.signal(signal.SIGTTOU, old)


STAGING_SDKAPPID = 1400000001


def add_emulated_app(url: str, **config) -> None:
    """Tell the emulator about another app (its keys in a request body, never on a command
    line), waiting the few seconds it takes to start listening."""
    body = json.dumps(config).encode()
    deadline = time.monotonic() + 15
    while True:
        try:
            request = urllib.request.Request(f"{url}/emulator/apps", data=body,
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=5).close()
            return
        except urllib.error.HTTPError as error:
            if error.code == 409:  # already served (a key change still reaches it below)
                return
            raise
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    # What .env sets counts here as in the settings (TIM_REGION decides on the emulator).
    env_file = Path(os.environ.get("ENV_FILE", ROOT / ".env"))
    if env_file.exists():
        environ.Env.read_env(env_file)
    env = {**os.environ, "DJANGO_DEVELOPMENT": os.environ.get("DJANGO_DEVELOPMENT", "1")}
    var = Path(env.setdefault("VAR_DIR", str(ROOT / "var")))
    var.mkdir(exist_ok=True)
    port = env.get("PORT", "8000")
    bind = env.get("BIND", "127.0.0.1")
    emulator = not env.get("TIM_API_BASE_URL") and not env.get("TIM_REGION")
    problem = port_problem(bind, port) or (emulator and emulator_port_problem())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    python = sys.executable
    processes: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        # Each in a session of its own: Ctrl-C reaches only this process, which stops them in
        # order. In the terminal's group they died of the same SIGINT first, and a normal stop
        # read "A process stopped; stopping the rest." with make's Error 1.
        process = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
        processes.append(process)
        return process

    def stop(*_):
        # SIGTERM, then SIGKILL after 3 s: a warm worker shutdown would wait out the running
        # dispatcher tick (30 s), and a person pressing Ctrl-C wants the prompt back.
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 3
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:  # the worker's pool processes are in its session too
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()

    for closing in (signal.SIGTERM, signal.SIGHUP):  # `kill`, or the terminal closed
        signal.signal(closing, lambda *_: (stop(), sys.exit(0)))
    try:
        if emulator:
            env["TIM_API_BASE_URL"] = f"http://127.0.0.1:{EMULATOR_PORT}"
            # The emulator's simulated phones report back to our callback receiver, signed
            # with a token made for this run, so the funnel fills in after a send.
            env.setdefault("TIM_CALLBACK_TOKEN", secrets.token_urlsafe(24))
            # The emulator reads TIM_SECRET_KEY and TIM_CALLBACK_TOKEN from the environment:
            # not on a command line, where `ps` would show them.
            start(python, "-m", "pushclient.emulator", "--port", str(EMULATOR_PORT),
                  "--db", str(var / "emulator.sqlite3"),
                  "--sdkappid", env.get("TIM_SDKAPPID", "1400000000"),
                  "--callback-url", f"http://127.0.0.1:{port}/tencent/callback/")
        manage = [python, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
        subprocess.run([*manage, "ensure_login"], cwd=ROOT, env=env, check=True)
        if emulator:  # a second, staging app on the emulator: the header's app switcher
            env["STAGING_SECRET_KEY"] = secrets.token_urlsafe(32)
            add_emulated_app(env["TIM_API_BASE_URL"], sdkappid=STAGING_SDKAPPID,
                             secret_key=env["STAGING_SECRET_KEY"],
                             callback_token=env["TIM_CALLBACK_TOKEN"])
            subprocess.run([*manage, "ensure_staging_app", "--sdkappid", str(STAGING_SDKAPPID),
                            "--base-url", env["TIM_API_BASE_URL"]], cwd=ROOT, env=env,
                           check=True)
        start(*manage, "runserver", f"{bind}:{port}", "--noreload")
        celery = [python, "-m", "celery", "-A", "config"]
        # Campaigns (the dispatch tick, sends, reports) on the default queue; bulk jobs on a
        # worker of their own, so a job never keeps a campaign waiting for a free process.
        start(*celery, "worker", "-Q", "celery", "-n", "campaigns@%h", "-l", "INFO",
              "--concurrency", env.get("WORKER_CONCURRENCY", "2"))
        # Processes for two jobs at once, as compose runs it: a small job does not wait for a
        # large one to end (they share the limiter's 100 calls a second).
        jobs_at_once = 2 * max(1, int(env.get("AUDIENCE_TASKS_PER_JOB") or 2))
        start(*celery, "worker", "-Q", "audience", "-n", "audience@%h", "-l", "INFO",
              "--concurrency", str(jobs_at_once))
        start(*celery, "beat", "-l", "INFO",
              "-s", str(var / "celerybeat-schedule"))
        host = "127.0.0.1" if bind in ("127.0.0.1", "0.0.0.0") else bind
        banner = (f"\n  Dashboard: http://{host}:{port}/   (admin: http://{host}:{port}/admin/)"
                  f"\n  Tencent API: {env['TIM_API_BASE_URL'] or env.get('TIM_REGION')}"
                  f"\n  Tencent callback URL: http://{host}:{port}/tencent/callback/"
                  "\n  Press Ctrl-C to stop everything.\n")
        time.sleep(2)
        print(banner, flush=True)
        # Once more after the worker's and the scheduler's start-up lines, so it is on screen.
        deadline = time.monotonic() + 8
        while all(p.poll() is None for p in processes):
            if deadline and time.monotonic() > deadline:
                print(banner, flush=True)
                deadline = 0
            time.sleep(0.5)
        print("A process stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    with terminal_of_our_own():
        code = main()
    sys.exit(code)
