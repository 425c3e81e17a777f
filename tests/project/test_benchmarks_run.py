"""No benchmark rots (issue 26): each benchmark `make bench` runs (bench/run.py) runs here at a
tiny size, in a process of its own as there, and prints its figures.

They run on `make run`'s defaults (SQLite, the filesystem broker): a benchmark makes its own
rows, which a database shared with other tests would already hold. Each starts from a copy of
one migrated SQLite file, so the benchmarks migrate once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]

# Each benchmark's command-line arguments and environment for a run of a few seconds.
TINY = {
    "bench.campaign_timing": (["1", "2"], {}),
    "bench.pages": (["200", "2"], {}),
    "bench.upload_memory": (["1000"], {}),
    "bench.audience_matrix": (["--rows", "20", "--columns", "defaults", "--accounts", "1000"],
                              {}),
    "bench.callback_intake": ([], {"BENCH_SECONDS": "1", "BENCH_RATES": "10",
                                   "BENCH_ACCOUNTS": "100", "BENCH_CONCURRENCY": "2",
                                   "WEB_CONCURRENCY": "1"}),
    "bench.tester_sends": (["2", "1"], {}),
    "bench.team_booking": (["1"], {}),
    "bench.several_apps": (["--apps", "3", "--campaigns", "3", "--dispatchers", "2"], {}),
    "bench.experiments": (["--runs", "5", "--accounts-per-variant", "300", "--min-sample", "100"],
                          {}),
}


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench-db")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                   env=environment(folder, folder / "template.sqlite3"), timeout=300)
    return folder / "template.sqlite3"


def environment(folder: Path, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "DJANGO_DEVELOPMENT": "1", "DATABASE_URL": f"sqlite:///{database}",
            "VAR_DIR": str(folder / "var"), "LOG_LEVEL": "WARNING"}


def last_json(output: str) -> dict:
    """The figures a benchmark prints last: a JSON document starting on a line of its own."""
    start = 0 if output.startswith("{") else output.rindex("\n{") + 1
    return json.loads(output[start:])


def test_every_benchmark_has_a_tiny_size():
    assert sorted(TINY) == sorted(BENCHMARKS)


def figures_of(module: str, output: str) -> None:
    """Asserts the benchmark printed the figures it exists for."""
    if module == "bench.team_booking":
        assert "series: book 30 occurrences: median" in output
        assert "split: book 10 time-zone buckets: median" in output
        return
    if module == "bench.audience_matrix":
        cells = [json.loads(line) for line in output.splitlines()
                 if line.startswith('{"deployment"')]
        assert len(cells) == 1 and "error" not in cells[0], cells
        assert cells[0]["done"] == 1000 and cells[0]["share_of_ceiling"] > 0
        return
    figures = last_json(output)
    if module == "bench.pages":
        assert set(figures["pages"]) == {"home", "list", "list filtered", "calendar",
                                         "detail with report", "series list", "audit"}
        for page in figures["pages"].values():
            assert page["n"] == 2 and page["p95"] > 0 and page["queries"] > 0
        assert figures["campaigns"] >= 200 and figures["attempts"] >= 2000
        assert figures["counted_events"] >= 20_000 and figures["test_sends"] >= 40
    elif module == "bench.campaign_timing":
        assert figures["lateness_seconds"]["n"] == 1 and figures["queued_gap_seconds"]["n"] == 1
    elif module == "bench.upload_memory":
        assert figures["accounts"] == 1000 and figures["peak_rss_mb"] > 0
    elif module == "bench.callback_intake":
        assert figures["saturation"]["failures"] == 0
        assert figures["saturation"]["events_per_second_end_to_end"] > 0
        assert figures["offered"]["1000_events_per_second"]["answer_p95_ms"] > 0
        assert figures["storage"]["counted"] == 300
    elif module == "bench.tester_sends":
        assert figures["test_sends"] == 2 and figures["codes"] == [0]
    elif module == "bench.several_apps":
        # Each app's 3 pushes, more than 1 s apart, none refused; every app started.
        assert figures["pushes"] == 9 and figures["apps_finished"] == 3
        assert figures["refused_90024"] == 0 and figures["min_gap_seconds"] > 1.0
        assert set(figures["by_latency"]) == {"20_ms", "150_ms"}
        assert figures["first_push_spread_seconds"] < 3.0 and figures["dispatchers"] == 2
    elif module == "bench.experiments":
        # Both scenarios, every run decided at each level: each push reached its 300 accounts.
        assert set(figures["scenarios"]) == {"5% vs 6%", "5% vs 5%"}
        for scenario in figures["scenarios"].values():
            assert scenario["reached_per_run"] == [300]
            for outcome in scenario["by_significance"].values():
                assert sum(o["count"] for o in outcome.values()) == 5
                assert outcome["too_few"]["count"] == 0
    else:
        raise AssertionError(f"no figures known for {module}")


@pytest.mark.workers
def test_every_benchmark_runs_at_a_tiny_size_and_prints_its_figures(migrated, tmp_path):
    # All at once: most of a benchmark's time is spent waiting (workers starting, a push's
    # time coming), so together they take about as long as the slowest.
    running = {}
    for module in BENCHMARKS:
        folder = tmp_path / module
        folder.mkdir()
        shutil.copy(migrated, folder / "bench.sqlite3")
        args, extra = TINY[module]
        running[module] = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=open(folder / "stderr.log", "w"),
            env={**environment(folder, folder / "bench.sqlite3"), **extra})
    broken = {}
    for module, process in running.items():
        try:
            output = process.communicate(timeout=300)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
        try:
            assert process.returncode == 0, f"exit code {process.returncode}"
            figures_of(module, output)
        except (AssertionError, ValueError, KeyError) as exc:
            stderr = (tmp_path / module / "stderr.log").read_text()
            broken[module] = f"{exc!r}\n{output[-1500:]}\n{stderr[-3000:]}"
    assert not broken, "\n\n".join(f"== {m}: {why}" for m, why in broken.items())
