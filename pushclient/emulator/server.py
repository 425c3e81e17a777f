"""The emulator's HTTP face: Tencent's REST endpoints, plus /emulator/* for inspection and faults.

It serves one or more apps, each an SDKAppID with its own key, config, faults and SQLite state;
a REST call goes to the app its `sdkappid` names, a control call to the app its `?sdkappid=`
names or else to the first (default) app."""

from __future__ import annotations

import io
import json
import logging
import random
import socket
import struct
import sys
import threading
import time
from dataclasses import asdict, fields, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .. import payload, usersig
from .state import SECRET_FIELDS, Config, EmulatorState, Faults, Refusal, refuse_first

log = logging.getLogger("pushclient.emulator")

ALL_MEMBER_PUSH = {"im_push", "im_set_attr_name", "im_get_attr_name", "im_get_attr", "im_set_attr",
                   "im_remove_attr", "im_get_tag", "im_add_tag", "im_remove_tag",
                   "im_remove_all_tags"}
TIMPUSH = {"set_attr_name", "get_attr_name", "set_attr", "get_attr", "remove_attr", "get_tag",
           "add_tag", "remove_tag", "clear_all_tags", "push", "batch", "revoke",
           "all_member_push_statistics", "all_member_push_loss", "all_member_push_trace"}
# Commands with their own limits: pushes (spacing, §2.1) and recall (90051, §3.3).
OWN_LIMITS = {"im_push", "push", "revoke"}


class Api:
    """One method per REST command; each returns the extra response fields."""

    def __init__(self, state: EmulatorState):
        self.state = state

    def handle(self, service: str, command: str, body: dict, received_at: float) -> dict:
        timpush = service == "timpush"
        name = command.removeprefix("im_")
        if name == "push":
            return {"TaskId": self.state.push(body, received_at, service=service)}
        if name == "batch":
            task_id, unknown = self.state.batch(body, received_at)
            return {"TaskId": task_id, **self._errors(unknown)}
        if name == "revoke":
            self.state.revoke(body, received_at)
            return {}
        if name == "all_member_push_statistics":
            return self.state.statistics(body, received_at)
        if name == "all_member_push_loss":
            return self.state.loss(body, received_at)
        if name == "all_member_push_trace":
            return self.state.trace(body, received_at)
        if name == "set_attr_name":
            self.state.set_attr_names(body.get("AttrNames"),
                                      body.get("AttrTypes") if timpush else None)
            return {}
        if name == "get_attr_name":
            out = {"AttrNames": self.state.attr_names()}
            return {**out, "AttrTypes": self.state.attr_types()} if timpush else out
        if name in ("get_attr", "get_tag", "remove_all_tags", "clear_all_tags"):
            accounts = body.get("To_Account")
            refuse_first(payload.accounts_violations("To_Account", accounts))
            accounts, errors = self._known(accounts, timpush)
            if name == "get_attr":
                attrs = self.state.get_attrs(accounts) if accounts else {}
                return {"UserAttrs": [{"To_Account": a, "Attrs": v} for a, v in attrs.items()],
                        **errors}
            if name == "get_tag":
                tags = self.state.get_tags(accounts) if accounts else {}
                return {"UserTags": [{"To_Account": a, "Tags": v} for a, v in tags.items()],
                        **errors}
            self.state.remove_all_tags(accounts)
            return errors
        if name in ("set_attr", "remove_attr"):
            check = (payload.attr_map_check(self.state.attr_names().values())
                     if name == "set_attr" else payload.attr_list_check)
            entries = body.get("UserAttrs")
            refuse_first(payload.user_entries_violations(entries, value_key="Attrs", check=check))
            entries, errors = self._known_entries(entries, timpush)
            if name == "set_attr":
                self.state.set_attrs(entries, typed=timpush)
            else:
                self.state.remove_attrs(entries)
            return errors
        if name in ("add_tag", "remove_tag"):
            replace = timpush and name == "add_tag" and body.get("Replace") == 1
            max_tags = (payload.MAX_TAGS_WHEN_REPLACING if replace else
                        payload.MAX_TAGS_PER_ENTRY if name == "add_tag" else None)
            entries = body.get("UserTags")
            refuse_first(payload.user_entries_violations(entries, value_key="Tags",
                                                   check=payload.tag_entry_check(max_tags)))
            entries, errors = self._known_entries(entries, timpush)
            if name == "add_tag":
                self.state.add_tags(entries, replace=replace, typed=timpush)
            else:
                self.state.remove_tags(entries)
            return errors
        raise Refusal(60009, "request resource error")

    def _known(self, accounts: list[str], timpush: bool) -> tuple[list[str], dict]:
        """timpush answers 70107 per unknown account; all_member_push accepts them (spec §8)."""
        if not timpush:
            return accounts, {}
        known = self.state.known(accounts) if accounts else set()
        return [a for a in accounts if a in known], self._errors(
            [a for a in accounts if a not in known])

    @staticmethod
    def _errors(unknown: list[str]) -> dict:
        """§1.3 partial success: 70107 per account that does not exist."""
        return {"ErrorList": [{"To_Account": a, "ErrorCode": 70107, "ErrorInfo": "account not found"}
                              for a in unknown]} if unknown else {}

    def _known_entries(self, entries: list[dict], timpush: bool) -> tuple[list[dict], dict]:
        kept, errors = self._known([e["To_Account"] for e in entries], timpush)
        kept_set = set(kept)
        return [e for e in entries if e["To_Account"] in kept_set], errors


def _accounts_in(body) -> int:
    if not isinstance(body, dict):
        return 0
    for key in ("To_Account", "UserAttrs", "UserTags"):
        if isinstance(body.get(key), list):
            return len(body[key])
    return 0


# Linux's socket(7) option: the kernel stamps each packet it receives with the wall-clock time.
SO_TIMESTAMPNS = 35


def _kernel_stamp(ancdata) -> float | None:
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds + nanoseconds / 1e9
    return None


class _ArrivalStampingIO(socket.SocketIO):
    """A connection's raw reads, each with the kernel's time of receipt of its bytes.

    A call counts toward Tencent's limit when it reaches Tencent, not when one of the
    emulator's threads gets round to it: on a busy host a handler can start tens of
    milliseconds after its bytes arrived, late by a different amount for each call, and a
    count on those late stamps finds 101 calls in a second that arrived in more than one."""

    def __init__(self, sock: socket.socket):
        super().__init__(sock, "rb")
        self.first_stamp: float | None = None  # of the first read since `mark`
        self.last_stamp: float | None = None

    def mark(self) -> None:
        self.first_stamp = None

    def readinto(self, buffer) -> int:
        nbytes, ancdata, _, _ = self._sock.recvmsg_into([buffer], socket.CMSG_SPACE(16))
        stamp = _kernel_stamp(ancdata) or time.time()
        self.last_stamp = stamp
        if self.first_stamp is None:
            self.first_stamp = stamp
        return nbytes


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the docs advise clients to use
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: EmulatorServer

    def log_message(self, format, *args):  # the query holds a UserSig: never log request lines
        pass

    def setup(self):
        super().setup()
        self._arrivals = None
        if sys.platform == "linux":
            self.connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self._arrivals = _ArrivalStampingIO(self.connection)
            self.rfile.close()  # the connection stays open: finish() closes this one instead
            self.rfile = io.BufferedReader(self._arrivals)

    def handle_one_request(self):
        if self._arrivals:
            self._arrivals.mark()
        super().handle_one_request()

    def _arrived_at(self) -> float:
        """When the request's first bytes reached this host. Bytes already read ahead (a
        pipelining client) arrived with the read that brought them."""
        if self._arrivals is None:
            return time.time()
        return self._arrivals.first_stamp or self._arrivals.last_stamp or time.time()

    def _send(self, status: int, body: dict | str, content_type="application/json") -> None:
        raw = (json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _control_app(self, query: dict) -> EmulatorState | None:
        """The app a control call names with `?sdkappid=`, else the default app; None (and a
        404 answered) when it names an app the emulator does not serve."""
        if "sdkappid" not in query:
            return self.server.state
        state = self.server.app(query["sdkappid"])
        if state is None:
            self._send(404, {"error": f"no app {query['sdkappid']}"})
        return state

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthz":
            return self._send(200, {"ok": True})
        if url.path not in ("/emulator/state", "/emulator/calls"):
            return self._send(404, {"error": "not found"})
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        state = self._control_app(query)
        if state is None:
            return
        if url.path == "/emulator/state":
            return self._send(200, state.snapshot())
        self._send(200, {"calls": state.calls(float(query.get("since", "0")))})

    def do_POST(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/emulator/"):
            return self._control(url.path.removeprefix("/emulator/"), query)
        if not url.path.startswith("/v4/"):
            return self._send(404, "<html>404</html>", "text/html")
        # A call naming no app the emulator serves is refused (60012, 70020) by the default
        # app, and counted and faulted there, as the one app did before there were several.
        state = self.server.app(query.get("sdkappid")) or self.server.state
        # Arrival on the kernel's clock, moved by the clock offset tests set (recall's 24 h).
        received_at = self._arrived_at() + state.config.clock_offset_seconds
        parts = url.path.split("/")
        service, command = (parts[2], parts[3]) if len(parts) == 4 else ("", "")
        raw = self._body()
        if len(raw) < int(self.headers.get("Content-Length") or 0):
            # The client went away mid-body (a killed worker): a server never sees such a call.
            self.close_connection = True
            return
        fault = self._pick_fault(state)
        if state.faults.latency_ms:
            time.sleep(state.faults.latency_ms / 1000)
        if fault == "502":
            state.record_call(command, received_at, 0, 502, None)
            return self._send(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
        body, random_value = None, None
        try:
            random_value = self._authenticate(state.config, service, command, query)
            if fault == "91000":
                raise Refusal(91000, "internal error, please retry")
            if command not in OWN_LIMITS:
                state.check_rate(command, received_at)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise Refusal(90001, "JSON parse failed: the body must be a JSON object")
            result = {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
                      **Api(state).handle(service, command, body, received_at)}
            code = 0
        except Refusal as refusal:
            code = refusal.code
            result = {"ActionStatus": "FAIL", "ErrorInfo": refusal.info, "ErrorCode": refusal.code}
        state.record_call(command, received_at, _accounts_in(body), code, random_value)
        if fault == "stall":
            time.sleep(state.faults.stall_seconds)
        try:
            self._send(200, result)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a stalled answer)

    @staticmethod
    def _pick_fault(state: EmulatorState) -> str | None:
        faults = state.faults
        scripted = state.next_scripted_fault()
        if scripted:
            return scripted
        roll = random.random()
        for name, rate in (("91000", faults.error_91000_rate), ("502", faults.http_502_rate),
                           ("stall", faults.stall_rate)):
            if roll < rate:
                return name
            roll -= rate
        return None

    @staticmethod
    def _authenticate(config: Config, service: str, command: str, query: dict) -> int:
        """The checks of spec §1.4, in the recommended order, against the app `config`
        describes; returns the request's `random`."""
        if (service, command) not in {("all_member_push", c) for c in ALL_MEMBER_PUSH} | \
                {("timpush", c) for c in TIMPUSH}:
            raise Refusal(60009, "request resource error: unknown API")
        if "sdkappid" not in query:
            raise Refusal(60012, "sdkappid is missing")
        if query["sdkappid"] != str(config.sdkappid):
            raise Refusal(70020, "SDKAppID not found")
        if not query.get("usersig"):
            raise Refusal(70002, "UserSig length is 0")
        if query.get("contenttype") != "json":
            raise Refusal(60002, "contenttype must be json")
        random_text = query.get("random", "")
        # isascii(): "²".isdigit() is true and int("²") raises (pushclient imports none of core).
        if not (random_text.isascii() and random_text.isdigit()) or len(random_text) > 10 \
                or int(random_text) > payload.MAX_UINT32:
            raise Refusal(60002, "random must be a 32-bit unsigned integer")
        try:
            usersig.verify(query["usersig"], sdkappid=config.sdkappid, key=config.secret_key,
                           identifier=query.get("identifier", ""))
        except usersig.UserSigInvalid as exc:
            raise Refusal(exc.code, exc.reason) from None
        if query.get("identifier") not in config.admins:
            raise Refusal(90009, "this API needs App admin permission")
        return int(random_text)

    def _control(self, action: str, query: dict):
        try:
            body = json.loads(self._body() or b"{}")
        except ValueError:
            return self._send(400, {"error": "body must be JSON"})
        if action == "apps":
            return self._add_app(body)
        state = self._control_app(query)
        if state is None:
            return
        if action == "reset":
            state.reset()
        elif action == "config":
            if not _click_shares_ok(body.get("clicked_share_by_tag", {})):
                return self._send(400, {"error": "clicked_share_by_tag maps tags to shares "
                                                 "from 0 to 1"})
            _update(state.config, body)
        elif action == "clock":
            # Tests move the clock past a one-second window (spacing, dedupe, rate) or a day
            # instead of waiting for it: every call after this arrives `advance` seconds later.
            state.config.clock_offset_seconds += float(body.get("advance", 0))
        elif action == "faults":
            state.faults = Faults()
            _update(state.faults, body)
        elif action == "accounts":
            state.import_accounts(list(body.get("accounts", [])))
            state.import_accounts(list(body.get("registration_ids", [])), registration_ids=True)
        elif action == "reach":
            return self._send(200, {"reach": state.reach(body.get("Condition"))})
        elif action == "recipients":
            # Who a Condition selects, by name: tests check who a push reached and who not.
            return self._send(200, {"accounts": sorted(state.recipients(body.get("Condition")))})
        else:
            return self._send(404, {"error": f"unknown action {action}"})
        self._send(200, {"config": {k: v for k, v in asdict(state.config).items()
                                    if k not in SECRET_FIELDS}, "faults": asdict(state.faults)})

    def _add_app(self, body: dict):
        """POST /emulator/apps {"sdkappid": …, "secret_key": …, other config fields…}: one more
        app, starting from the default app's initial config."""
        sdkappid, secret_key = body.get("sdkappid"), body.get("secret_key")
        if not (isinstance(sdkappid, int) and not isinstance(sdkappid, bool) and sdkappid > 0
                and isinstance(secret_key, str) and secret_key):
            return self._send(400, {"error": "sdkappid (a positive integer) and secret_key "
                                             "(a string) are required"})
        if not _click_shares_ok(body.get("clicked_share_by_tag", {})):
            return self._send(400, {"error": "clicked_share_by_tag maps tags to shares from 0 "
                                             "to 1"})
        config = self.server.app_config(sdkappid, secret_key)
        _update(config, body)
        try:
            self.server.add_app(config)
        except ValueError as exc:
            return self._send(409, {"error": str(exc)})
        self._send(200, {"apps": sorted(self.server.states)})


def _click_shares_ok(shares) -> bool:
    """A tag's true click rate is a share: a wrong one would skew every figure silently."""
    return isinstance(shares, dict) and all(
        isinstance(tag, str) and isinstance(share, (int, float)) and not isinstance(share, bool)
        and 0 <= share <= 1 for tag, share in shares.items())


def _update(target, values: dict) -> None:
    names = {f.name for f in fields(target)} - {"secret_key", "sdkappid"}
    for key, value in values.items():
        if key in names:
            setattr(target, key, value)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], state: EmulatorState):
        super().__init__(address, Handler)
        self.state = state  # the default app: control calls naming no app act on it
        self.states = {state.config.sdkappid: state}
        self._adding = threading.Lock()

    def app(self, sdkappid: str | None) -> EmulatorState | None:
        """The app a request's `sdkappid` text names, as Tencent compares it: the exact digits."""
        for state in self.states.values():
            if str(state.config.sdkappid) == sdkappid:
                return state
        return None

    def app_config(self, sdkappid: int, secret_key: str) -> Config:
        """A new app's config: the default app's initial one under its own SDKAppID and key."""
        return replace(self.state.initial_config, sdkappid=sdkappid, secret_key=secret_key)

    def add_app(self, config: Config, db_path: str | None = None) -> EmulatorState:
        """Serve one more app, its state in `db_path` (by default next to the default app's
        file: `emulator-1400000001.sqlite3` beside `emulator.sqlite3`)."""
        if db_path is None:
            first = Path(self.state.path)
            db_path = str(first.with_name(f"{first.stem}-{config.sdkappid}{first.suffix}"))
        with self._adding:
            if config.sdkappid in self.states:
                raise ValueError(f"app {config.sdkappid} is already served")
            state = EmulatorState(db_path, config)
            # A new dict, not a change to the one in use: handlers iterate it unlocked.
            self.states = {**self.states, config.sdkappid: state}
        return state

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread


def make_server(*, host: str = "127.0.0.1", port: int = 9180, db_path: str = "emulator.sqlite3",
                config: Config | None = None) -> EmulatorServer:
    return EmulatorServer((host, port), EmulatorState(db_path, config or Config()))
