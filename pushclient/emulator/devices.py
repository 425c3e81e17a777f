"""Simulated phones behind the emulator's accounts, and the result callbacks they cause (§3.5).

Each account the emulator knows has one device, on a platform drawn from its id. For a push,
each recipient's fate is drawn from (TaskId, account): sent, reached and clicked in the shares
the config sets, or lost with one of the reasons Tencent's pages name. The draw is a hash, not
a random number, so statistics, loss, trace and the callbacks all tell the same story without
storing a row per device. A reached device clicks with `device_clicked_share`, or with its
tag's true click rate when the config's `clicked_share_by_tag` lists one of its account's tags
(an A/B test's variants, each sent to its own bucket tag, then differ by a known rate).

When `callback_url` is set, a sender thread posts signed `Push.AllMemberPush` callbacks in
batches of at most 100 events, stage by stage (sent, then delivered, then clicked), retrying a
batch the receiver did not take.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from .. import callbacks
from ..errors import backoff_seconds

log = logging.getLogger("pushclient.emulator")

# A rough Chinese-market mix: (platform, weight), platform numbers from §3.5.
PLATFORM_MIX = [(1, 30), (4, 10), (3, 18), (2, 16), (6, 11), (7, 8), (8, 5), (5, 2)]
# Loss reasons named on Tencent's loss page (§3.5); the codes are not documented [INFERRED],
# so the product recognises a reason by its words. (code, words, stage at which it is lost)
LOSS_REASONS = [
    (20001, "device token never uploaded", callbacks.SENT),
    (20002, "certificate not set", callbacks.SENT),
    (20003, "unregistered token", callbacks.DELIVERED),
]


def _draws(task_id: str, account: str) -> list[float]:
    digest = hashlib.sha256(f"{task_id}\x1f{account}".encode("utf-8", "surrogatepass")).digest()
    return [int.from_bytes(digest[i:i + 4], "big") / 2**32 for i in range(0, 16, 4)]


def platform_of(account: str) -> int:
    """The account's one device: its platform depends on the account only."""
    point = _draws("device", account)[0] * sum(w for _p, w in PLATFORM_MIX)
    for platform, weight in PLATFORM_MIX:
        if point < weight:
            return platform
        point -= weight
    return PLATFORM_MIX[-1][0]


@dataclass(frozen=True)
class Fate:
    account: str
    platform: int
    sent: bool
    delivered: bool
    clicked: bool
    loss: tuple[int, str, int] | None  # (ErrCode, ErrInfo, stage)


def fate(task_id: str, account: str, *, reached_share: float, clicked_share: float) -> Fate:
    reach, reason, click, _spare = _draws(task_id, account)
    platform = platform_of(account)
    if reach < reached_share:
        return Fate(account, platform, True, True, click < clicked_share, None)
    loss = LOSS_REASONS[int(reason * len(LOSS_REASONS))]
    sent = loss[2] > callbacks.SENT
    return Fate(account, platform, sent, False, False, loss)


def fates_of(task_id: str, accounts: list[str], *, reached_share: float, clicked_share: float,
          clicked_share_of: Mapping[str, float] | None = None) -> list[Fate]:
    """Every recipient's fate; `clicked_share_of` holds the accounts whose tag sets their own
    click rate (EmulatorState.tag_clicked_shares), the rest click with `clicked_share`."""
    own = clicked_share_of or {}
    return [fate(task_id, a, reached_share=reached_share,
                 clicked_share=own.get(a, clicked_share)) for a in accounts]


def events_of(task: dict, item: Fate, stage: int, now: int) -> dict | None:
    """The callback event of one device at one stage, or None when it never got there."""
    failed_here = item.loss is not None and item.loss[2] == stage
    happened = {callbacks.SENT: item.sent, callbacks.DELIVERED: item.delivered,
                callbacks.CLICKED: item.clicked}[stage]
    if not happened and not failed_here:
        return None
    return {"CallbackCommand": callbacks.COMMAND, "TaskId": task["task_id"],
            "DataId": task.get("data_id", ""), "TaskTime": int(task["received_at"]),
            "EventTime": now, "To_Account": item.account, "EventType": callbacks.OFFLINE,
            "PushPlatform": item.platform, "PushStage": stage,
            "ErrCode": item.loss[0] if failed_here else 0,
            "ErrInfo": item.loss[1] if failed_here else ""}


def task_statistics(fates: list[Fate]) -> tuple[dict, dict]:
    """all_member_push_statistics and _loss figures of one task."""
    per_platform: dict[int, Counter] = {}
    losses: Counter = Counter()
    for item in fates:
        counts = per_platform.setdefault(item.platform, Counter())
        counts["SentCount"] += item.sent
        counts["DeliveredCount"] += item.delivered
        counts["ClickCount"] += item.clicked
        if item.loss:
            losses[(item.platform, item.loss[0], item.loss[1])] += 1
    statistics = {
        "TotalCount": len(fates),
        "SentCount": sum(c["SentCount"] for c in per_platform.values()),
        "DeliveredCount": sum(c["DeliveredCount"] for c in per_platform.values()),
        "ClickCount": sum(c["ClickCount"] for c in per_platform.values()),
        "PlatformStatistics": [{"PushPlatform": p, "EventType": callbacks.OFFLINE, **dict(c)}
                               for p, c in sorted(per_platform.items())]}
    loss = {"LossCount": sum(losses.values()),
            "LossReasons": [{"PushPlatform": p, "ErrCode": code, "ErrInfo": info, "Count": n}
                            for (p, code, info), n in sorted(losses.items())]}
    return statistics, loss


def trace_of(task: dict, item: Fate) -> dict:
    """One device's trace (§3.5 all_member_push_trace; its shape is [UNCERTAIN])."""
    start = int(task["received_at"])
    token = hashlib.sha256(f"token\x1f{item.account}".encode()).hexdigest()[:32]
    steps = [{"Stage": "im", "Status": "ok", "ErrCode": 0, "ErrInfo": "", "Time": start},
             {"Stage": "offline", "Status": "ok", "ErrCode": 0, "ErrInfo": "", "Time": start}]
    for name, stage, done in (("vendor", callbacks.SENT, item.sent),
                              ("device", callbacks.DELIVERED, item.delivered),
                              ("click", callbacks.CLICKED, item.clicked)):
        if item.loss and item.loss[2] == stage:
            steps.append({"Stage": name, "Status": "failed", "ErrCode": item.loss[0],
                          "ErrInfo": item.loss[1], "Time": start + stage})
            break
        if not done:
            break
        steps.append({"Stage": name, "Status": "ok", "ErrCode": 0, "ErrInfo": "",
                      "Time": start + stage})
    return {"PushPlatform": item.platform, "Token": token, "Stages": steps}


class CallbackSender:
    """Posts the callbacks of each push from one background thread, in order."""

    def __init__(self, state):
        self.state = state
        self._queue: queue.Queue = queue.Queue()
        self._session = requests.Session()
        self.posted = Counter()  # requests by outcome, for /emulator/state
        # Bumped by each reset: a push's callbacks still going out from before it stop, and
        # are not counted in the figures of the test that follows.
        self._generation = 0
        threading.Thread(target=self._run, daemon=True, name="callbacks").start()

    def enqueue(self, task: dict, fates: list[Fate]) -> None:
        """Where to post and with which token are taken now: a later config change (a test's
        reset) does not send this push's callbacks elsewhere. The fates are the ones its
        statistics were counted from, so a config change (click rates, reached share) before
        the callbacks go out cannot make them tell another story."""
        config = self.state.config
        if config.callback_url and fates:
            self._queue.put(({**task, "url": config.callback_url,
                              "token": config.callback_token,
                              "generation": self._generation}, fates))

    def clear(self) -> None:
        """Drop callbacks not yet started, stop the one going out, start the figures afresh
        (the emulator's reset)."""
        self._generation += 1
        self.posted = Counter()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
            self._queue.task_done()

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            task, fates = self._queue.get()
            try:
                self._deliver(task, fates)
            except Exception:  # one bad push must not stop the thread
                log.exception("callbacks for %s failed", task["task_id"])
            finally:
                self._queue.task_done()

    def _deliver(self, task: dict, fates: list[Fate]) -> None:
        config = self.state.config
        size = max(1, min(callbacks.MAX_EVENTS, int(config.callback_batch_size)))
        for stage in (callbacks.SENT, callbacks.DELIVERED, callbacks.CLICKED):
            now = int(time.time())
            events = [e for e in (events_of(task, f, stage, now) for f in fates) if e]
            for start in range(0, len(events), size):
                if task["generation"] != self._generation:
                    return
                self._post(task, events[start:start + size])
            if config.callback_stage_delay_seconds and stage != callbacks.CLICKED:
                time.sleep(config.callback_stage_delay_seconds)

    def _post(self, task: dict, events: list[dict]) -> bool:
        config = self.state.config
        body = json.dumps({"Events": events}, ensure_ascii=False).encode()
        for attempt in range(int(config.callback_retries) + 1):
            now = str(int(time.time()))
            query = {"SdkAppid": config.sdkappid, "CallbackCommand": callbacks.COMMAND,
                     "contenttype": "json"}
            if task["token"]:  # a fresh RequestTime and Sign on every try
                query.update(RequestTime=now, Sign=callbacks.sign(task["token"], now))
            try:
                answer = self._session.post(
                    f"{task['url']}?{urlencode(query)}", data=body, timeout=5,
                    headers={"Content-Type": "application/json; charset=utf-8"})
                ok = answer.status_code == 200 and answer.json().get("ErrorCode") == 0
            except (requests.RequestException, ValueError, AttributeError):
                ok = False
            if task["generation"] != self._generation:
                return ok
            self.posted["ok" if ok else "failed"] += 1
            if ok:
                return True
            time.sleep(backoff_seconds(attempt + 1, base=config.callback_retry_base_seconds,
                                       cap=30))
        log.warning("gave up on a callback of %d events", len(events))
        return False
