"""Loaded with -p before Django starts: tests run the development settings (no SECRET_KEY).

Under pytest-xdist (`make test` runs two workers) each worker gets services of its own, so no
test sees another's data: the database named after the worker (pytest-django then makes its test
database from that name), the next Redis database numbers and a VAR_DIR inside the usual one
(SQLite, the broker's SQLite file, the cache, the limiter file).
"""

import os
import urllib.parse
from pathlib import Path

os.environ.setdefault("DJANGO_DEVELOPMENT", "1")

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... in a worker; unset otherwise


def _own_services(worker: str) -> None:
    number = int(worker.removeprefix("gw"))
    root = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    os.environ["VAR_DIR"] = str(root / worker)
    if database := os.environ.get("DATABASE_URL"):
        parts = urllib.parse.urlsplit(database)
        if parts.scheme.startswith("postgres"):
            path = f"{parts.path.rstrip('/')}_{worker}"
            os.environ["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=path))
    if redis := os.environ.get("REDIS_URL"):
        parts = urllib.parse.urlsplit(redis)
        base = int(parts.path.strip("/") or 0)
        path = f"/{(base + 1 + number) % 16}"
        os.environ["REDIS_URL"] = urllib.parse.urlunsplit(parts._replace(path=path))


if WORKER:
    _own_services(WORKER)
