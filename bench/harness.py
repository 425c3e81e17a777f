"""A throwaway product stack for benchmarks: its own database, emulator, workers and beat."""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

import django


def setup_django(tmp: Path) -> None:
    """Use DATABASE_URL if given, else a fresh SQLite file, and migrate it."""
    os.environ.setdefault("DJANGO_DEVELOPMENT", "1")
    os.environ["VAR_DIR"] = str(tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median": statistics.median(values),
            "p95": percentile(values, 0.95), "max": max(values), "mean": statistics.mean(values)}
