"""`make run` (config/run.py): the laptop run, as a person sees it in the terminal."""

import contextlib
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY
from tests.stack import free_port, wait_for

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


def _runs_from(proc: Path, var: Path) -> bool:
    """Whether a process of /proc has `var` (a run's VAR_DIR) in its environment."""
    try:
        return f"VAR_DIR={var}".encode() in (proc / "environ").read_bytes().split(b"\0")
    except OSError:  # gone meanwhile, or not ours to read
        return False


def run_environment(tmp_path, **settings: str) -> dict[str, str]:
    """The environment of a newcomer's terminal: none of the test's services, output unbuffered."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEVELOPMENT", "LOG_LEVEL")}
    return {**env, "VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1", **settings}


@contextlib.contextmanager
def make_run(tmp_path, emulator, python: Path | str = sys.executable, stopped: list | None = None,
             **settings: str):
    """`python -m config.run` with nothing of the test's services set (unless given), until the
    login URL shows twice; yields its port and its terminal's log. After Ctrl-C, its exit code
    is appended to `stopped`."""
    stopped = [] if stopped is None else stopped
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # emulator=None: make run starts its own, as on a newcomer's machine.
    own = {} if emulator is None else {"TIM_API_BASE_URL": emulator.url}
    env = run_environment(tmp_path, PORT=str(port), **own, **settings)
    out = tmp_path / "run.log"
    with open(out, "w") as log:
        run = subprocess.Popen([str(python), "-m", "config.run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: out.read_text().count(f"Dashboard: http://127.0.0.1:{port}/") == 2,
                 timeout=90, interval=0.5, message="the login URL, twice")

        def answers():
            try:
                return requests.get(f"http://127.0.0.1:{port}/login/", timeout=5).ok
            except requests.ConnectionError:  # a loaded machine: the server is still starting
                return False
        wait_for(answers, timeout=30, interval=0.5, message=f"the web server\n{out.read_text()}")
        yield port, out
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        stopped.append(run.returncode)


def test_make_run_listens_on_this_machine_only_and_shows_the_login_url_after_the_noise(
        tmp_path, emulator):
    stopped = []
    with make_run(tmp_path, emulator, stopped=stopped) as (port, out):
        text = out.read_text()
        last_lines = text.rstrip().splitlines()[-3:]
        assert any("Press Ctrl-C" in line for line in last_lines), "the URL is the last thing"
        assert listening_addresses(port) == {"127.0.0.1"}
        assert requests.get(f"http://127.0.0.1:{port}/login/", timeout=10).status_code == 200
        time.sleep(3)  # three more scheduler ticks
        text = out.read_text()
        for chatter in ("Sending due task", "dispatch_due_campaigns[", "succeeded in"):
            assert chatter not in text, f"{chatter!r} is printed every second"
    # Ctrl-C ends quietly with status 0, not "A process stopped; stopping the rest." and Error 1.
    assert stopped == [0] and "A process stopped" not in out.read_text(), out.read_text()[-2000:]
    assert not [p for p in Path("/proc").glob("[0-9]*") if _runs_from(p, tmp_path)], \
        "everything make run started has stopped"


def test_make_run_shows_two_emulated_apps_the_staging_one_marked(tmp_path):
    """A newcomer sees the header's app switcher: the app of the TIM_* settings and a staging
    app, each its own SDKAppID on the emulator make run starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        emulator_port = s.getsockname()[1]
    with make_run(tmp_path, None, DJANGO_SUPERUSER_USERNAME="ada", EMULATOR_PORT=str(emulator_port),
                  DJANGO_SUPERUSER_PASSWORD="pw-ada-long-enough") as (port, _out):
        site = f"http://127.0.0.1:{port}"
        with requests.Session() as browser:
            browser.get(f"{site}/login/", timeout=10)
            browser.post(f"{site}/login/", timeout=10, data={
                "username": "ada", "password": "pw-ada-long-enough",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"]})
            home = browser.get(f"{site}/", timeout=10).text
            assert 'data-testid="app-choice"' in home and "Main app" in home and "Staging" in home
            browser.post(f"{site}/app/switch/", timeout=10, data={
                "app": "staging", "next": "/", "csrfmiddlewaretoken": browser.cookies["csrftoken"]})
            assert 'data-testid="staging-mark"' in browser.get(f"{site}/", timeout=10).text
            # The staging app's own emulated app answers with its own key.
            apps = requests.get(f"http://127.0.0.1:{emulator_port}/emulator/state",
                                params={"sdkappid": 1400000001}, timeout=10)
            assert apps.status_code == 200


def test_a_taken_port_is_said_first_with_the_command_to_start_on_another(tmp_path, emulator):
    """With port 8000 taken, the screen ends on that, not on "A process stopped" with
    runserver's "That port is already in use" scrolled past among the workers' lines."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "config.run"], cwd=ROOT, timeout=120,
                             env=run_environment(tmp_path, PORT=str(port),
                                                 TIM_API_BASE_URL=emulator.url),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said = run.stdout.strip().splitlines()
    assert said and said[0].startswith(
        f"Port {port} is in use (another program is listening there). Start on another one: "
        "PORT="), run.stdout[-2000:]
    suggested = int(said[0].rsplit("PORT=", 1)[1].split()[0])
    assert suggested != port and said[0].endswith(f"PORT={suggested} make run")
    assert run.returncode != 0 and "Traceback" not in run.stdout
    assert len(said) == 1, "nothing started, so nothing else is said"
    assert time.monotonic() - started < 30


def test_a_port_that_is_not_a_number_is_refused_in_words(tmp_path, emulator):
    run = subprocess.run([sys.executable, "-m", "config.run"], cwd=ROOT, timeout=120,
                         env=run_environment(tmp_path, PORT="80OO",
                                             TIM_API_BASE_URL=emulator.url),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.returncode != 0 and "Traceback" not in run.stdout
    assert run.stdout.strip() == ("PORT=80OO is not a port number: give one from 1 to 65535, "
                                  "e.g. PORT=8001 make run")


def _ended(pid: int) -> tuple[int] | None:
    """(its wait status,) once the child has ended."""
    done, status = os.waitpid(pid, os.WNOHANG)
    return (status,) if done else None


def test_ctrl_c_in_the_terminal_ends_make_run_with_status_0(tmp_path, emulator):
    """`make run` in a terminal, Ctrl-C typed into it: make gets the terminal's SIGINT too,
    and must not kill itself with it once the recipe has stopped with 0 (the shell would read
    130). `-o install`: the lock is installed already; the test's Python runs it."""
    port = free_port()
    env = run_environment(tmp_path, PORT=str(port), TIM_API_BASE_URL=emulator.url)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: make, as a shell would start it in a new terminal
        try:
            os.chdir(ROOT)
            os.execvpe("make", ["make", "-o", "install", "run",
                                f"BIN={Path(sys.executable).parent}"], env)
        finally:
            os._exit(127)
    screen = bytearray()

    def read(until: bytes = b"", timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (until and screen.count(until) >= 2):
            if select.select([terminal], [], [], 0.2)[0]:
                try:
                    screen.extend(os.read(terminal, 65536))
                except OSError:  # the terminal closed: everything on it has ended
                    return
    try:
        read(until=f"Dashboard: http://127.0.0.1:{port}/".encode())
        assert screen.count(b"Press Ctrl-C") == 2, screen.decode(errors="replace")[-3000:]
        os.write(terminal, b"\x03")  # Ctrl-C
        read(timeout=30)
    finally:
        os.close(terminal)  # on a failure, the terminal's hang-up stops what still runs
        try:
            (status,) = wait_for(lambda: _ended(pid), timeout=30, message="make to end")
        except AssertionError:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
    text = screen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-3000:]
    assert "Interrupt" not in text and "Error" not in text.split("Press Ctrl-C")[-1]
    assert not [p for p in Path("/proc").glob("[0-9]*") if _runs_from(p, tmp_path)], \
        "everything make run started has stopped"


def test_a_campaign_sent_while_a_bulk_job_runs_goes_out_at_once(
        tmp_path, emulator, image_python, spare_database):
    """Bulk jobs have a worker of their own: on one shared worker a tagging job's two tasks
    take both processes as soon as the running dispatcher tick ends (DISPATCH_RUN_SECONDS), so
    the next ticks wait and a campaign sent meanwhile goes out only when the job ends. Ticks
    here end every second, as one ends some time during any long job.

    Run on PostgreSQL and Redis from the run lock alone (the laptop default is the test above):
    with REDIS_URL set, `make run`'s workers start and stay up: kombu's Redis transport needs
    `packaging`, which the run lock must hold, not only the test lock."""
    emulator.post("faults", {"latency_ms": 300})
    accounts = 20_000  # 200 calls at 10 a second: a job of about 20 s
    login = {"username": "ada", "password": "make-run-password-1"}
    with make_run(tmp_path, emulator, image_python, DATABASE_URL=spare_database,
                  REDIS_URL=os.environ["REDIS_URL"], TIM_SDKAPPID=str(SDKAPPID),
                  TIM_SECRET_KEY=SECRET_KEY,
                  TIM_CALLS_PER_SECOND="10", DISPATCH_RUN_SECONDS="1", DJANGO_SUPERUSER_USERNAME=login["username"],
                  DJANGO_SUPERUSER_PASSWORD=login["password"]) as (port, out):
        site = f"http://127.0.0.1:{port}"
        token = requests.post(f"{site}/api/token/", json=login, timeout=10).json()["token"]
        api = {"Authorization": f"Token {token}"}
        upload = "\n".join(f"member{i:05d}" for i in range(accounts)).encode()
        job = requests.post(f"{site}/api/audience/jobs/upload/", headers=api, timeout=30,
                            data={"action": "add_tags", "tags": ["spring"]},
                            files={"accounts_file": ("members.txt", upload)})
        assert job.status_code == 202, job.text
        job_url = f"{site}/api/audience/jobs/{job.json()['id']}/"
        wait_for(lambda: requests.get(job_url, headers=api, timeout=10).json()["done"] >= 3000,
                 timeout=30, message="the job under way")

        made = requests.post(f"{site}/api/campaigns/", headers=api, timeout=10,
                             json={"name": "news", "push": {"MsgBody": TEXT}})
        assert made.status_code == 201, made.text
        asked = time.time()
        sent = requests.post(f"{site}/api/campaigns/{made.json()['id']}/send-now/", headers=api,
                             timeout=10)
        assert sent.status_code == 200, sent.text
        pushes = wait_for(lambda: emulator.state()["pushes"], timeout=60,
                          message="the push", interval=0.1)
        pushed_after = pushes[0]["received_at"] - asked
        job_then = requests.get(job_url, headers=api, timeout=10).json()
        assert job_then["status"] == "running" and job_then["done"] < accounts, \
            f"the push waited for the job: {pushed_after:.1f} s, {out.read_text()[-3000:]}"
        assert pushed_after < 5

        # A second job starts while the first runs: a 9-account job does not sit "queued"
        # behind a 200,000-account one (the audience worker has processes for more than one).
        small = requests.post(f"{site}/api/audience/jobs/", headers=api, timeout=10, json={
            "action": "add_tags", "tags": ["small"], "accounts": ["member00001", "member00002"]})
        assert small.status_code == 202, small.text
        small_url = f"{site}/api/audience/jobs/{small.json()['id']}/"
        wait_for(lambda: requests.get(small_url, headers=api, timeout=10).json()["status"] ==
                 "done", timeout=30, message="the small job", interval=0.2)
        big_then = requests.get(job_url, headers=api, timeout=10).json()
        assert big_then["status"] == "running", "the small job waited for the big one to end"

