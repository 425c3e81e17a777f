"""Runs the emulator as its own process, reached over real HTTP, as the product reaches Tencent."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

SDKAPPID = 1400000000
SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"


class EmulatorProcess:
    def __init__(self, db_path: str, *extra: str):
        self.db_path = db_path
        self.extra = extra
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self, port: int = 0) -> EmulatorProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pushclient.emulator", "--port", str(port), "--db",
             self.db_path, "--sdkappid", str(SDKAPPID), *self.extra],
            stdout=subprocess.PIPE, text=True,
            # The secret key from the environment, as config/run.py passes it: never in `ps`.
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TIM_SECRET_KEY": SECRET_KEY},
        )
        line = self.process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        port = int(self.url.rsplit(":", 1)[-1])
        self.stop()
        self.start(port)

    # Control calls act on the default app (SDKAPPID) unless `sdkappid` names another one.

    def post(self, action: str, body: dict | None = None, *, sdkappid: int | None = None) -> dict:
        response = requests.post(f"{self.url}/emulator/{action}", json=body or {}, timeout=10,
                                 params={"sdkappid": sdkappid} if sdkappid else None)
        response.raise_for_status()
        return response.json()

    def advance_clock(self, seconds: float, *, sdkappid: int | None = None) -> None:
        """Move the emulator's clock on: its one-second windows (push spacing, MsgRandom
        dedupe, calls a second, recall) and its days pass without a test waiting for them."""
        self.post("clock", {"advance": seconds}, sdkappid=sdkappid)

    def state(self, *, sdkappid: int | None = None) -> dict:
        return requests.get(f"{self.url}/emulator/state", timeout=10,
                            params={"sdkappid": sdkappid} if sdkappid else None).json()

    def calls(self, since: float = 0.0, *, sdkappid: int | None = None) -> list[dict]:
        return requests.get(f"{self.url}/emulator/calls", timeout=30, params={
            "since": since, **({"sdkappid": sdkappid} if sdkappid else {})}).json()["calls"]


def busiest_second(calls: list[dict]) -> int:
    """The most calls the emulator received in any one-second window."""
    times = sorted(c["received_at"] for c in calls)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most
