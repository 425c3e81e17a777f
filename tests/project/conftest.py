"""What the project tests share: the image's Python, made as the Dockerfile makes it."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg
import pytest

from tests.devenv import WORKER
from tests.stack import require_service

ROOT = Path(__file__).resolve().parents[2]


def image_install_command() -> list[str]:
    """The Dockerfile's own `pip install` of the dependencies, word for word."""
    text = (ROOT / "Dockerfile").read_text()
    return re.search(r"^RUN (pip install .*-r requirements/run\.txt)$", text, re.M).group(1).split()


@pytest.fixture(scope="session")
def image_python(tmp_path_factory) -> Path:
    """A virtualenv with what the image has: the run lock, installed as the Dockerfile does.
    Made once per run: the test workers share it (the first makes it, the other waits)."""
    shared = tmp_path_factory.getbasetemp()
    if WORKER:
        shared = shared.parent  # the run's folder, above each worker's own
    venv = shared / "image-venv"
    with open(shared / "image-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "made").exists():
            make_image_venv(venv)
            (venv / "made").touch()
    return venv / "bin" / "python"


def make_image_venv(venv: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = image_install_command()
    installed = subprocess.run([str(venv / "bin" / install[0]), *install[1:]], cwd=ROOT,
                               capture_output=True, text=True, timeout=600,
                               env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert installed.returncode == 0, installed.stderr
    checked = subprocess.run([str(venv / "bin" / "pip"), "check"], capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def spare_database():
    """A fresh PostgreSQL database beside the test database (test -> test_spare), and Redis, for
    processes started as in production."""
    url = os.environ.get("DATABASE_URL", "")
    require_service("PostgreSQL (DATABASE_URL)", url.startswith("postgres"))
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_spare"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
