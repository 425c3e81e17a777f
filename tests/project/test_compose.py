"""docker-compose.yml, proven without a Docker daemon (none runs here).

What ships is what runs: a fresh virtualenv is made exactly as the Dockerfile makes the image
(its own `pip install` line, from `requirements/run.txt` alone, no test tools), `pip check`
must be clean, and every service runs from it. Debian's `docker-compose config` resolves the
file as Docker would; then every service's own command runs on this host with that service's
resolved environment. Only what a container would have differently is replaced: the addresses
of PostgreSQL and Redis (the test's own database and Redis DB, from DATABASE_URL and
REDIS_URL), free ports instead of fixed ones, and folders for the image's paths. Then a
person's path: through Caddy's TLS, the login page and its CSS, a login, the editor's
JavaScript, a campaign sent once by that worker and beat, a 10,000-account tagging job run by
the audience worker, a signed delivery callback counted; every healthcheck passes; SIGTERM
stops every service within its stop_grace_period.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests
import yaml

from pushclient import callbacks
from tests.emulator_process import SDKAPPID, SECRET_KEY
from tests.stack import free_port, require_service, wait_for

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = ("web", "worker", "audience-worker", "beat", "caddy", "flower")
TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "from compose"}}]


def seconds(duration: str | int | None) -> float:
    """Compose durations: '1m30s', '10s', or Docker's default of 10 s."""
    if duration is None:
        return 10.0
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", str(duration))
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * scale[unit] for n, unit in parts) or float(duration)


def compose_config(env: dict[str, str]) -> dict:
    if not shutil.which("docker-compose"):
        require_service("docker-compose (apt-get install docker-compose)", False)
    result = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"),
                             "--profile", "flower", "config"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_config_refuses_to_start_without_the_required_secrets():
    env = {k: v for k, v in os.environ.items() if k not in (
        "POSTGRES_PASSWORD", "SECRET_KEY", "TIM_SDKAPPID", "TIM_SECRET_KEY")}
    if not shutil.which("docker-compose"):
        require_service("docker-compose (apt-get install docker-compose)", False)
    result = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "set POSTGRES_PASSWORD" in result.stderr


def test_the_image_runs_as_a_non_root_user_the_same_web_command_as_compose():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert yaml.safe_load(cmd) == compose["services"]["web"]["command"]
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.M)
    assert re.search(r"^USER app$", dockerfile, re.M)
    assert re.search(r"pip install --require-hashes .*-r requirements/run.txt", dockerfile)


def test_web_is_reachable_only_through_caddy():
    """Gunicorn reached without Caddy, with TRUSTED_PROXIES=1, would take a rotated
    X-Forwarded-For as the client (8 wrong passwords, no lockout). In compose nothing outside the
    stack reaches web but through Caddy, and Caddy reaches nothing else of the stack."""
    config = compose_config({"PATH": os.environ["PATH"], "POSTGRES_PASSWORD": "x",
                             "SECRET_KEY": "x", "TIM_SDKAPPID": "1", "TIM_SECRET_KEY": "x"})
    services, networks = config["services"], config["networks"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == "1"
    assert not services["web"].get("ports") and not services["web"].get("expose")
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"caddy", "flower"}  # flower: on the host's 127.0.0.1 only
    shared = set(services["caddy"]["networks"]) & set(services["web"]["networks"])
    assert shared and all(networks[n].get("internal") for n in shared)
    for network in shared:
        assert {n for n, s in services.items() if network in s.get("networks", {})} == {
            "caddy", "web"}
    for store in ("postgres", "redis"):  # on the default network, as is every other service
        assert not set(services["caddy"]["networks"]) & set(
            services[store].get("networks", {"default": None}))


def test_the_package_lists_every_app():
    """`pip install .` (and an editable install) must carry every package of ours."""
    import tomllib
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    for name in apps | {"config", "pushclient"}:
        assert f"{name}*" in include, name


def build_context(directory: Path) -> set[str]:
    """What `COPY . .` sends from a directory, by .dockerignore's rules as docker-compose's own
    library reads them (Debian's python3-docker, installed with docker-compose)."""
    if not Path("/usr/bin/python3").exists() or not shutil.which("docker-compose"):
        require_service("docker-compose (apt-get install docker-compose)", False)
    listing = subprocess.run(["/usr/bin/python3", "-c", (
        "import sys; from docker.utils.build import exclude_paths\n"
        f"ignore = [l for l in open({str(ROOT / '.dockerignore')!r}).read().splitlines()"
        " if l and not l.startswith('#')]\n"
        "print('\\n'.join(sorted(exclude_paths('.', ignore))))")],
        cwd=directory, capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    return set(listing.stdout.splitlines())


def test_the_build_context_holds_every_app_templates_locale_and_static_files():
    context = build_context(ROOT)
    for needed in ("manage.py", "campaigns/apps.py", "audience/apps.py", "pushclient/client.py",
                   "config/settings.py", "templates/base.html", "templates/login.html",
                   "locale/zh_Hans/LC_MESSAGES/django.mo", "campaigns/static/campaigns/app.css",
                   "requirements/run.txt", "deploy/Caddyfile"):
        assert needed in context, needed
    for app in ROOT.glob("*/apps.py"):
        assert f"{app.parent.name}/apps.py" in context


def test_the_build_context_leaves_out_the_developers_state_and_secrets(tmp_path):
    for path in (".venv/bin/python", "var/db.sqlite3", "var/broker/queue/x", ".env",
                 "staticfiles/app.css", "campaigns/__pycache__/x.pyc", "db.sqlite3",
                 ".git/config", "campaigns/models.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    files = {p for p in build_context(tmp_path) if (tmp_path / p).is_file()}
    assert files == {"campaigns/models.py"}


def image_environment() -> dict[str, str]:
    """The Dockerfile's ENV lines, as the image's processes see them."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    pairs = {}
    for line in re.findall(r"^ENV (.+)$", text, re.M):
        pairs.update(pair.split("=", 1) for pair in line.split())
    return pairs


def test_the_image_has_every_module_the_product_imports_and_no_test_tool(image_python):
    """Each module of ours imports with the run lock alone: a module that only the test lock
    brings (kombu's Redis transport needs `packaging`, which pytest brought) fails here."""
    code = ("import importlib, pkgutil, django\n"
            "django.setup()\n"
            "for package in ('config', 'core', 'pushclient', 'audience', 'campaigns', 'reports'):\n"
            "    for info in pkgutil.walk_packages(importlib.import_module(package).__path__,\n"
            "                                      package + '.'):\n"
            "        importlib.import_module(info.name)\n"
            "import kombu.transport.redis, celery.backends.redis, gunicorn.app.wsgiapp, flower\n"
            "from importlib.util import find_spec\n"
            "print([m for m in ('pytest', 'playwright', 'hypothesis') if find_spec(m)])\n")
    result = subprocess.run([str(image_python), "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={
                                "PATH": os.environ["PATH"], "DJANGO_DEVELOPMENT": "1",
                                "DJANGO_SETTINGS_MODULE": "config.settings",
                                "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", "test tools in the image"


class Host:
    """The compose services as processes on this host, run by the image's Python."""

    def __init__(self, tmp_path: Path, config: dict, overrides: dict[str, dict[str, str]],
                 python: Path):
        self.tmp = tmp_path
        self.config = config
        self.overrides = overrides
        self.bin = python.parent
        self.processes: dict[str, subprocess.Popen] = {}

    def env(self, name: str) -> dict[str, str]:
        service = self.config["services"][name]
        image = image_environment() if service.get("build") else {}
        return {"PATH": f"{self.bin}:{os.environ['PATH']}",
                "HOME": str(self.tmp), "LANG": "C.UTF-8", **image,
                **{k: str(v) for k, v in (service.get("environment") or {}).items()},
                **self.overrides.get(name, {})}

    def command(self, name: str) -> list[str]:
        """The service's command, with its bind-mounted files read from where they lie here."""
        service = self.config["services"][name]
        mounts = {}
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("/"):
                mounts[target] = source
        return [mounts.get(arg, arg) for arg in service["command"]]

    def run(self, name: str, *args: str, **extra: str) -> subprocess.CompletedProcess:
        """A one-off command in the service's environment (`docker compose run`)."""
        command = list(args) or self.command(name)
        return subprocess.run(command, cwd=ROOT, env={**self.env(name), **extra},
                              capture_output=True, text=True, timeout=120)

    def start(self, name: str) -> None:
        log = open(self.tmp / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(self.command(name), cwd=ROOT, env=self.env(name),
                                                stdout=log, stderr=subprocess.STDOUT)

    def healthcheck(self, name: str) -> subprocess.CompletedProcess:
        check = self.config["services"][name]["healthcheck"]
        kind, *rest = check["test"]
        command = ["sh", "-c", rest[0].replace("$$", "$")] if kind == "CMD-SHELL" else rest
        try:
            return subprocess.run(command, cwd=ROOT, env=self.env(name), capture_output=True,
                                  text=True, timeout=seconds(check.get("timeout", "30s")))
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(command, 124, "", f"timed out: {exc}")

    def check_running(self) -> None:
        """A service that exits while the test waits on it fails the test at once, with its log."""
        gone = {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}
        assert not gone, f"services exited: {gone}\n{self.logs()}"

    def stop_all(self) -> dict[str, float]:
        """SIGTERM to every service at once, as `docker compose stop` does; seconds to exit."""
        started = time.monotonic()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        took: dict[str, float] = {}
        while len(took) < len(self.processes):
            elapsed = time.monotonic() - started
            for name, process in self.processes.items():
                grace = seconds(self.config["services"][name].get("stop_grace_period"))
                if name in took:
                    continue
                if process.poll() is not None:
                    took[name] = elapsed
                elif elapsed > grace:  # Docker's SIGKILL
                    process.kill()
                    process.wait()
                    took[name] = float("inf")
            time.sleep(0.1)
        return took

    def kill_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
                         for p in sorted(self.tmp.glob("*.log")))


def test_the_compose_stack_serves_logs_in_sends_and_stops_on_this_host(
        tmp_path, emulator, spare_database, image_python):
    postgres_password = "compose-" + secrets.token_hex(8)
    callback_token = "compose-callback-" + secrets.token_hex(8)
    config = compose_config({
        "PATH": os.environ["PATH"], "POSTGRES_PASSWORD": postgres_password,
        "SECRET_KEY": secrets.token_urlsafe(50), "TIM_SDKAPPID": str(SDKAPPID),
        "TIM_SECRET_KEY": SECRET_KEY, "TIM_API_BASE_URL": emulator.url,
        "TIM_CALLBACK_TOKEN": callback_token,
        "FLOWER_BASIC_AUTH": "ops:flower-password", "DOMAIN": "localhost"})
    services = config["services"]
    assert services["web"]["environment"]["DATABASE_URL"].endswith("@postgres:5432/push")
    for name in ("web", "worker", "audience-worker", "beat", "flower"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert isinstance(services[name]["command"], list), f"{name}: exec form, not a shell"
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], f"{name} has a healthcheck"

    web_port, https_port = free_port(), free_port()
    static_root, var = tmp_path / "staticfiles", tmp_path / "var"
    image = {"DATABASE_URL": spare_database, "REDIS_URL": os.environ["REDIS_URL"],
             "STATIC_ROOT": str(static_root), "VAR_DIR": str(var), "PORT": str(web_port),
             "HOSTNAME": socket.gethostname()}
    caddy_home = tmp_path / "caddy"
    host = Host(tmp_path, config, {
        **{name: image for name in ("migrate", "web", "worker", "audience-worker", "beat")},
        "flower": {**image, "FLOWER_PORT": str(free_port())},
        "caddy": {"UPSTREAM": f"127.0.0.1:{web_port}", "CADDY_HTTPS_PORT": str(https_port),
                  "CADDY_HTTP_PORT": str(free_port()), "CADDY_HEALTH_PORT": str(free_port()),
                  "XDG_DATA_HOME": str(caddy_home / "data"),
                  "XDG_CONFIG_HOME": str(caddy_home / "config")},
    }, image_python)
    # The image's build step, then the one-off migrate service.
    built = host.run("web", "python", "manage.py", "collectstatic", "--noinput", "-v", "0")
    assert built.returncode == 0, built.stderr
    migrated = host.run("migrate")
    assert migrated.returncode == 0, migrated.stderr
    host.run("worker", "celery", "-A", "config", "purge", "-f")
    created = host.run("web", "python", "manage.py", "createsuperuser", "--noinput",
                       "--username", "ops", "--email", "ops@example.com",
                       DJANGO_SUPERUSER_PASSWORD="ops-password-1")
    assert created.returncode == 0, created.stderr
    try:
        for name in LONG_RUNNING:
            host.start(name)
        site = f"https://localhost:{https_port}"
        root_ca = caddy_home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        browser = requests.Session()
        browser.verify = str(root_ca)  # trust exactly Caddy's local CA...
        browser.trust_env = False  # ...which REQUESTS_CA_BUNDLE would otherwise replace

        seen = []

        def login_page():
            host.check_running()
            try:
                seen.append(root_ca.exists() and browser.get(f"{site}/login/", timeout=5))
            except (requests.ConnectionError, requests.Timeout) as exc:  # still starting
                seen.append(exc)
            answer = seen[-1]
            return answer if isinstance(answer, requests.Response) and answer.ok else None
        try:
            page = wait_for(login_page, timeout=60, message="the login page through Caddy")
        except AssertionError:
            raise AssertionError(f"last answer: {seen[-1:]}\n{host.logs()}") from None

        css = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
        assert re.search(r"app\.[0-9a-f]{12}\.css$", css), f"a hashed, cacheable name: {css}"
        style = browser.get(site + css, timeout=10)
        assert style.status_code == 200 and "text/css" in style.headers["Content-Type"]

        # Log in as a person would: the form's CSRF token, a secure session cookie over TLS.
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(f"{site}/login/", data={
            "username": "ops", "password": "ops-password-1",
            "csrfmiddlewaretoken": token}, headers={"Referer": f"{site}/login/"}, timeout=10,
            allow_redirects=False)
        assert signed_in.status_code == 302, signed_in.text[:2000]
        home = browser.get(site + "/", timeout=10)
        assert home.status_code == 200 and "/login/" not in home.url
        editor = browser.get(f"{site}/campaigns/new/", timeout=10)
        script = re.search(r'<script src="([^"]*editor[^"]*)"', editor.text).group(1)
        assert browser.get(site + script, timeout=10).status_code == 200

        # A campaign created there is sent by that worker and beat.
        api_token = browser.post(f"{site}/api/token/", json={
            "username": "ops", "password": "ops-password-1"}, timeout=10).json()["token"]
        api = {"Authorization": f"Token {api_token}"}
        send_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 3))
        made = browser.post(f"{site}/api/campaigns/", headers=api, timeout=10, json={
            "name": "Compose", "send_at": send_at, "push": {"MsgBody": TEXT}})
        assert made.status_code == 201, made.text

        def sent():
            host.check_running()
            status = browser.get(f"{site}/api/campaigns/{made.json()['id']}/", headers=api,
                                 timeout=10).json()["status"]
            return status if status in ("sent", "failed", "needs_review") else None
        assert wait_for(sent, timeout=60, interval=1, message="the send") == "sent", host.logs()
        pushed = [p for p in emulator.state()["pushes"] if p["body"]["MsgBody"] == TEXT]
        assert len(pushed) == 1, "sent once"

        # Tencent's signed result callback, through Caddy, is counted in the campaign's report.
        task_id = browser.get(f"{site}/api/campaigns/{made.json()['id']}/report/", headers=api,
                              timeout=10).json()["task_id"]
        request_time = str(int(time.time()))
        events = [{"CallbackCommand": callbacks.COMMAND, "TaskId": task_id, "DataId": "",
                   "TaskTime": int(time.time()) - 5, "EventTime": int(time.time()),
                   "To_Account": f"phone{i}", "EventType": 1, "PushPlatform": 4,
                   "PushStage": callbacks.DELIVERED, "ErrCode": 0, "ErrInfo": ""}
                  for i in range(100)]
        answer = browser.post(f"{site}/tencent/callback/", timeout=10, json={"Events": events},
                              params={"SdkAppid": SDKAPPID, "CallbackCommand": callbacks.COMMAND,
                                      "contenttype": "json", "RequestTime": request_time,
                                      "Sign": callbacks.sign(callback_token, request_time)})
        assert answer.json()["ActionStatus"] == "OK", answer.text

        def delivered():
            return browser.get(f"{site}/api/campaigns/{made.json()['id']}/report/", headers=api,
                               timeout=10).json()["delivered"] or None
        assert wait_for(delivered, timeout=10, message="the callback's count") == 100

        # A 10,000-account tagging job is run by the audience worker (the campaign worker takes
        # no job).
        job = browser.post(f"{site}/api/audience/jobs/", headers=api, timeout=10, json={
            "action": "add_tags", "accounts": [f"c{i:05d}" for i in range(10_000)],
            "tags": ["compose"]})
        assert job.status_code == 202, job.text

        def finished():
            host.check_running()
            status = browser.get(f"{site}/api/audience/jobs/{job.json()['id']}/", headers=api,
                                 timeout=10).json()["status"]
            return status if status in ("done", "failed", "cancelled") else None
        assert wait_for(finished, timeout=60, interval=1, message="the job") == "done", \
            host.logs()
        assert emulator.post("reach", {"Condition": {"TagsAnd": ["compose"]}})["reach"] == 10_000

        for name in LONG_RUNNING:
            result = host.healthcheck(name)
            assert result.returncode == 0, (name, result.stdout, result.stderr, host.logs())
        flower = f"http://127.0.0.1:{host.overrides['flower']['FLOWER_PORT']}/"
        assert requests.get(flower, timeout=10).status_code == 401
        assert requests.get(flower, auth=("ops", "flower-password"), timeout=10).ok

        for process in host.processes.values():
            command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode()
            assert SECRET_KEY not in command_line and postgres_password not in command_line
        emulator_command = Path(f"/proc/{emulator.process.pid}/cmdline").read_bytes().decode()
        assert SECRET_KEY not in emulator_command

        took = host.stop_all()
        slow = {n: t for n, t in took.items() if t == float("inf")}
        assert not slow, f"not stopped within stop_grace_period: {slow}\n{host.logs()}"
        print("seconds to stop after SIGTERM:", {n: round(t, 1) for n, t in took.items()})
    finally:
        host.kill_all()
