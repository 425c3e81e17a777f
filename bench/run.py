"""`make bench`: run every benchmark and print its figures (recorded in BENCHMARKS.md)."""

import subprocess
import sys

BENCHMARKS = ["bench.campaign_timing", "bench.pages", "bench.upload_memory",
              "bench.audience_matrix", "bench.callback_intake", "bench.tester_sends",
              "bench.team_booking", "bench.several_apps", "bench.experiments"]

if __name__ == "__main__":
    # Each in its own process: each sets up Django against its own fresh database.
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        subprocess.run([sys.executable, "-m", module], check=True)
