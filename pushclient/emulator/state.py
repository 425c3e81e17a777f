"""The emulated app's state and server-side behaviour, kept in SQLite so a restart loses nothing.

Format rules come from `pushclient.payload` (one rule, one place); what only a server can
know (attribute names it holds, spacing, quota, accounts, QPS) is checked here (spec §2, §3, §8).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field, replace

from .. import payload

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attr_names (idx TEXT PRIMARY KEY, name TEXT NOT NULL, type INTEGER);
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS user_attrs (account TEXT, idx TEXT, value TEXT,
                                       PRIMARY KEY (account, idx));
CREATE TABLE IF NOT EXISTS user_tags (account TEXT, tag TEXT, PRIMARY KEY (account, tag));
CREATE INDEX IF NOT EXISTS user_tags_by_tag ON user_tags (tag);
CREATE TABLE IF NOT EXISTS pushes (seq INTEGER PRIMARY KEY, task_id TEXT, received_at REAL,
                                   day TEXT, msg_random INTEGER, body TEXT, audience INTEGER);
CREATE TABLE IF NOT EXISTS calls (seq INTEGER PRIMARY KEY, command TEXT, received_at REAL,
                                  accounts INTEGER, code INTEGER, random INTEGER);
"""

MAX_TAGS_PER_USER = 100


@dataclass
class Config:
    sdkappid: int = 1400000000
    secret_key: str = "emulator-secret-key"
    admins: list[str] = field(default_factory=lambda: ["administrator"])
    push_enabled: bool = True
    daily_quota: int = 100
    min_push_interval: float = 1.0
    qps_limit: int = 100
    quota_utc_offset_hours: float = 8.0  # the quota day runs midnight to midnight, UTC+8
    # The official text dedupes a MsgRandom "within the same second" (spec §9 item 2).
    msgrandom_dedupe_seconds: float = 1.0


@dataclass
class Faults:
    latency_ms: float = 0.0
    error_91000_rate: float = 0.0
    http_502_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 30.0
    # Forced outcomes for the next calls, one each: "91000", "502" or "stall".
    script: list[str] = field(default_factory=list)


class Refusal(Exception):
    def __init__(self, code: int, info: str):
        super().__init__(info)
        self.code = code
        self.info = info


class EmulatorState:
    def __init__(self, path: str, config: Config):
        self.config = config
        self._initial_config = replace(config)
        self.faults = Faults()
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._accepted_calls: dict[str, deque] = defaultdict(deque)

    # --- bookkeeping -----------------------------------------------------------------

    def _kv(self, key: str, default=None):
        row = self._db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def _set_kv(self, key: str, value) -> None:
        self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, json.dumps(value)))

    def record_call(self, command: str, received_at: float, accounts: int, code: int,
                    random_value: int | None) -> None:
        with self._lock:
            self._db.execute("INSERT INTO calls (command, received_at, accounts, code, random) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (command, received_at, accounts, code, random_value))

    def check_rate(self, command: str, now: float) -> None:
        """60007 past `qps_limit` accepted calls of one API in any one-second window."""
        with self._lock:
            window = self._accepted_calls[command]
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.config.qps_limit:
                raise Refusal(60007, "REST API call frequency over the limit")
            window.append(now)

    def reset(self) -> None:
        with self._lock:
            for table in ("kv", "attr_names", "accounts", "user_attrs", "user_tags", "pushes",
                          "calls"):
                self._db.execute(f"DELETE FROM {table}")
            self._accepted_calls.clear()
            self.faults = Faults()
            self.config = replace(self._initial_config)

    def next_scripted_fault(self) -> str | None:
        with self._lock:
            return self.faults.script.pop(0) if self.faults.script else None

    # --- attribute names -----------------------------------------------------------------

    def attr_names(self) -> dict[str, str]:
        with self._lock:
            return {i: n for i, n in self._db.execute("SELECT idx, name FROM attr_names")}

    def attr_types(self) -> dict[str, int]:
        with self._lock:
            return {i: t or 0 for i, t in self._db.execute("SELECT idx, type FROM attr_names")}

    def set_attr_names(self, names: dict, types: dict | None = None) -> None:
        refuse_first(payload.attr_names_violations(names))
        with self._lock:
            merged = {**self.attr_names(), **names}
            by_name: dict[str, str] = {}
            for idx, name in sorted(merged.items()):
                if name in by_name:
                    raise Refusal(90033, f"attrName:{name} already exists at index:{by_name[name]}")
                by_name[name] = idx
            current_types = self.attr_types()
            for idx, kind in (types or {}).items():
                if idx not in merged or kind not in (0, 1):
                    raise Refusal(90033, f"AttrTypes[{idx}] must be 0 or 1 for a named index")
                if idx in current_types and idx in self.attr_names() and current_types[idx] != kind:
                    raise Refusal(90033, f"AttrTypes[{idx}] cannot change once set")
            for idx, name in names.items():
                kind = (types or {}).get(idx, current_types.get(idx, 0))
                self._db.execute("INSERT OR REPLACE INTO attr_names VALUES (?, ?, ?)",
                                 (idx, name, kind))

    def _index_of(self) -> dict[str, str]:
        return {name: idx for idx, name in self.attr_names().items()}

    # --- accounts, attributes, tags -------------------------------------------------------

    def import_accounts(self, accounts: list[str]) -> None:
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO accounts VALUES (?)",
                                 [(a,) for a in accounts])

    def known(self, accounts: list[str]) -> set[str]:
        with self._lock:
            marks = ",".join("?" * len(accounts))
            return {r[0] for r in self._db.execute(
                f"SELECT account FROM accounts WHERE account IN ({marks})", accounts)}

    def get_attrs(self, accounts: list[str]) -> dict[str, dict[str, str]]:
        with self._lock:
            names = self.attr_names()
            out: dict[str, dict[str, str]] = {a: {} for a in accounts}
            marks = ",".join("?" * len(accounts))
            for account, idx, value in self._db.execute(
                    f"SELECT account, idx, value FROM user_attrs WHERE account IN ({marks})",
                    accounts):
                if idx in names:
                    out[account][names[idx]] = value
            return out

    def set_attrs(self, entries: list[dict]) -> None:
        with self._lock:
            index = self._index_of()
            rows = [(e["To_Account"], index[name], value)
                    for e in entries for name, value in e["Attrs"].items()]
            self._db.execute("BEGIN")
            self.import_accounts([e["To_Account"] for e in entries])
            self._db.executemany("INSERT OR REPLACE INTO user_attrs VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def remove_attrs(self, entries: list[dict]) -> None:
        with self._lock:
            index = self._index_of()
            for entry in entries:
                for name in entry["Attrs"]:
                    if name not in index:
                        raise Refusal(90033, f"attribute {name} is not an app attribute name")
            self._db.executemany("DELETE FROM user_attrs WHERE account=? AND idx=?",
                                 [(e["To_Account"], index[n]) for e in entries for n in e["Attrs"]])

    def get_tags(self, accounts: list[str]) -> dict[str, list[str]]:
        with self._lock:
            out: dict[str, list[str]] = {a: [] for a in accounts}
            marks = ",".join("?" * len(accounts))
            for account, tag in self._db.execute(
                    f"SELECT account, tag FROM user_tags WHERE account IN ({marks}) "
                    "ORDER BY rowid", accounts):
                out[account].append(tag)
            return out

    def add_tags(self, entries: list[dict], *, replace: bool = False) -> None:
        with self._lock:
            accounts = [e["To_Account"] for e in entries]
            current = self.get_tags(accounts)
            for entry in entries:
                have = set() if replace else set(current[entry["To_Account"]])
                if len(have | set(entry["Tags"])) > MAX_TAGS_PER_USER:
                    raise Refusal(90032, f"{entry['To_Account']} would hold more than "
                                  f"{MAX_TAGS_PER_USER} tags")
            self._db.execute("BEGIN")
            self.import_accounts(accounts)
            if replace:
                self._db.executemany("DELETE FROM user_tags WHERE account=?",
                                     [(a,) for a in accounts])
            self._db.executemany("INSERT OR IGNORE INTO user_tags VALUES (?, ?)",
                                 [(e["To_Account"], t) for e in entries for t in e["Tags"]])
            self._db.execute("COMMIT")

    def remove_tags(self, entries: list[dict]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM user_tags WHERE account=? AND tag=?",
                                 [(e["To_Account"], t) for e in entries for t in e["Tags"]])

    def remove_all_tags(self, accounts: list[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM user_tags WHERE account=?", [(a,) for a in accounts])

    # --- pushes (spec §2.1, §5) ------------------------------------------------------------

    def reach(self, condition: dict | None) -> int:
        """How many known accounts a condition selects (And-part and Or-part must both hold)."""
        with self._lock:
            selects, args = ["SELECT account FROM accounts"], []
            if condition:
                index = self._index_of()
                tags_and, tags_or = condition.get("TagsAnd") or [], condition.get("TagsOr") or []
                if tags_and:
                    required = sorted(set(tags_and))  # a tag listed twice is required once
                    selects.append(f"SELECT account FROM user_tags WHERE tag IN "
                                   f"({','.join('?' * len(required))}) GROUP BY account "
                                   f"HAVING COUNT(*) = {len(required)}")
                    args += required
                if tags_or:
                    selects.append(f"SELECT account FROM user_tags WHERE tag IN "
                                   f"({','.join('?' * len(tags_or))})")
                    args += tags_or
                attrs_and = condition.get("AttrsAnd") or {}
                for name, value in attrs_and.items():
                    selects.append("SELECT account FROM user_attrs WHERE idx=? AND value=?")
                    args += [index.get(name), value]
                attrs_or = condition.get("AttrsOr") or {}
                if attrs_or:
                    selects.append(" UNION ".join(
                        ["SELECT account FROM user_attrs WHERE idx=? AND value=?"] * len(attrs_or)))
                    for name, value in attrs_or.items():
                        args += [index.get(name), value]
            query = " INTERSECT ".join(f"SELECT * FROM ({s})" for s in selects)
            return self._db.execute(f"SELECT COUNT(*) FROM ({query})", args).fetchone()[0]

    def quota_day(self, now: float) -> str:
        offset = self.config.quota_utc_offset_hours * 3600
        return time.strftime("%Y-%m-%d", time.gmtime(now + offset))

    def push(self, body: dict, received_at: float) -> str:
        """Validate, then apply spacing and the daily quota; returns the TaskId."""
        refuse_first(payload.push_violations(body, attr_names=self.attr_names().values()))
        with self._lock:
            if not self.config.push_enabled:
                raise Refusal(90045, "push to all users is not enabled")
            last = self._db.execute(
                "SELECT task_id, received_at, msg_random FROM pushes ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if last and last[2] == body["MsgRandom"] and \
                    received_at - last[1] <= self.config.msgrandom_dedupe_seconds:
                return last[0]
            if last and received_at - last[1] <= self.config.min_push_interval:
                raise Refusal(90024, "push too frequent; the interval must exceed 1 s")
            day = self.quota_day(received_at)
            used = self._db.execute("SELECT COUNT(*) FROM pushes WHERE day=?", (day,)).fetchone()[0]
            if used >= self.config.daily_quota:
                raise Refusal(90047, f"daily push quota ({self.config.daily_quota}) exceeded")
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM pushes").fetchone()[0]
            task_id = f"{self.config.sdkappid}_{seq}_{int(received_at)}_{body['MsgRandom']}"
            self._db.execute(
                "INSERT INTO pushes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, task_id, received_at, day, body["MsgRandom"],
                 json.dumps(body, ensure_ascii=False), self.reach(body.get("Condition"))))
            return task_id

    # --- inspection ----------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self._lock:
            pushes = [
                {"task_id": t, "received_at": r, "day": d, "msg_random": m,
                 "body": json.loads(b), "audience": a}
                for t, r, d, m, b, a in self._db.execute(
                    "SELECT task_id, received_at, day, msg_random, body, audience FROM pushes "
                    "ORDER BY seq")]
            counters: dict[str, dict] = {}
            for command, code, n in self._db.execute(
                    "SELECT command, code, COUNT(*) FROM calls GROUP BY command, code"):
                counters.setdefault(command, {})[str(code)] = n
            return {
                "pushes": pushes,
                "pushes_today": sum(1 for p in pushes if p["day"] == self.quota_day(time.time())),
                "accounts": self._db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0],
                "attr_names": self.attr_names(),
                "counters": counters,
                "config": {k: v for k, v in asdict(self.config).items() if k != "secret_key"},
                "faults": asdict(self.faults),
            }

    def calls(self, since: float = 0.0) -> list[dict]:
        with self._lock:
            return [{"command": c, "received_at": r, "accounts": a, "code": code, "random": rnd}
                    for c, r, a, code, rnd in self._db.execute(
                        "SELECT command, received_at, accounts, code, random FROM calls "
                        "WHERE received_at >= ? ORDER BY seq", (since,))]


def refuse_first(violations: list[payload.Violation]) -> None:
    """Answer the way a server does: with the first broken rule's code."""
    if violations:
        raise Refusal(violations[0].code, violations[0].message)
