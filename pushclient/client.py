"""The Tencent Cloud Chat REST client: push to all users, attribute names, user attributes and tags.

Every request the product makes to Tencent goes through `TimClient.call`. Section numbers
refer to ../shared/spec/tencent-push-api.md.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter

from . import payload, usersig
from .errors import (
    TRANSPORT_CONNECTION,
    TRANSPORT_HTTP,
    TRANSPORT_TIMEOUT,
    TencentError,
    backoff_seconds,
)

log = logging.getLogger("pushclient")

# Spec §1.2.
REGIONS = {
    "china": "console.tim.qq.com",
    "singapore": "adminapisgp.im.qcloud.com",
    "seoul": "adminapikr.im.qcloud.com",
    "frankfurt": "adminapiger.im.qcloud.com",
    "mumbai": "adminapiind.im.qcloud.com",
    "silicon-valley": "adminapiusa.im.qcloud.com",
    "jakarta": "adminapiidn.im.qcloud.com",
    "tokyo": "adminapijpn.im.qcloud.com",
}


def base_url_for(*, region: str | None = None, base_url: str | None = None) -> str:
    if base_url:
        return base_url.rstrip("/")
    if region not in REGIONS:
        raise ValueError(f"Unknown region {region!r}; choose one of {', '.join(REGIONS)} "
                         "or give a base URL")
    return f"https://{REGIONS[region]}"


class UserSigCache:
    """The admin's UserSig, renewed once half its lifetime has passed (well before expiry)."""

    def __init__(self, *, sdkappid: int, secret_key: str, identifier: str, ttl: int = 86400):
        self._args = dict(sdkappid=sdkappid, key=secret_key, identifier=identifier, expire=ttl)
        self._ttl = ttl
        self._lock = threading.Lock()
        self._sig = ""
        self._renew_at = 0.0

    def get(self) -> str:
        with self._lock:
            now = time.time()
            if now >= self._renew_at:
                self._sig = usersig.generate(**self._args, now=now)
                self._renew_at = int(now) + self._ttl / 2
            return self._sig


@dataclass(frozen=True)
class AccountError:
    account: str
    code: int
    info: str


@dataclass(frozen=True)
class PushResult:
    task_id: str
    msg_random: int


@dataclass(frozen=True)
class BatchPushResult:
    task_id: str
    failed: list[AccountError]


@dataclass
class BatchResult:
    """What a call did per account: `values` for reads, `failed` for partial failures."""
    values: dict = field(default_factory=dict)
    failed: list[AccountError] = field(default_factory=list)


# im_push and timpush/push: paced by the product's push gate (one a second, spec §2.1, §3.1),
# never by the per-call limiter.
PUSH_COMMANDS = frozenset({"im_push", "push"})
# The calls a bulk job makes, 100 a second, under both API families' names.
PER_ACCOUNT_WRITES = frozenset(prefix + command for prefix in ("im_", "") for command in (
    "set_attr", "remove_attr", "add_tag", "remove_tag", "remove_all_tags", "clear_all_tags"))


class TimClient:
    def __init__(
        self, *, sdkappid: int, secret_key: str, admin_identifier: str = "administrator",
        region: str | None = "china", base_url: str | None = None,
        connect_timeout: float = 3.05, read_timeout: float = 10.0,
        retries: int = 3, backoff: float = 0.25, pool_size: int = 32, usersig_ttl: int = 86400,
        throttle: Callable[[str], object] | None = None,
    ):
        """`throttle`, if given, is called with the command's name before every request, each
        retry included, except the pushes (im_push, timpush/push: they have their own gate), and blocks until the shared
        rate limit of that command allows the call."""
        self.sdkappid = int(sdkappid)
        self.admin_identifier = admin_identifier
        self.base_url = base_url_for(region=region, base_url=base_url)
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.throttle = throttle
        self._usersig = UserSigCache(sdkappid=self.sdkappid, secret_key=secret_key,
                                     identifier=admin_identifier, ttl=usersig_ttl)
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # What session.post would take from the environment (proxies, CA bundle), once.
        self._environment = self._session.merge_environment_settings(
            self.base_url, {}, None, None, None)
        self._bind_apis()

    def _bind_apis(self) -> None:
        self.members = AllMemberPushApi(self)
        self.timpush = TimPushApi(self)

    def with_retries(self, retries: int) -> TimClient:
        """This client (its connections, UserSig and throttle) for a caller that owns retries
        itself, such as a bulk job that records each try: one retry owner per call path."""
        clone = copy.copy(self)
        clone.retries = retries
        clone._bind_apis()
        return clone

    def __repr__(self):  # never show the key or the UserSig
        return f"TimClient(sdkappid={self.sdkappid}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    # --- the one door --------------------------------------------------------------------

    def call(self, service: str, command: str, body: Mapping, *, retries: int | None = None) -> dict:
        """POST one REST call (spec §1); retries only retryable failures, with the same body."""
        retries = self.retries if retries is None else retries
        name = f"{service}/{command}"
        for attempt in range(retries + 1):
            try:
                return self._call_once(service, command, body)
            except TencentError as exc:
                if not exc.retryable or attempt == retries:
                    raise
                delay = backoff_seconds(attempt + 1, base=self.backoff)
                log.warning("%s failed with %s, retry %d in %.2fs", name, exc.code, attempt + 1,
                            delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _call_once(self, service: str, command: str, body: Mapping) -> dict:
        name = f"{service}/{command}"
        params = {
            "sdkappid": self.sdkappid,
            "identifier": self.admin_identifier,
            "usersig": self._usersig.get(),
            "random": secrets.randbelow(2**32),  # a fresh one for every request (spec §1.1)
            "contenttype": "json",
        }
        request = self._session.prepare_request(requests.Request(
            "POST", f"{self.base_url}/v4/{service}/{command}", params=params, json=dict(body)))
        # The permit is taken last, once the request is built: the less time between permit and
        # sending, the less a busy host can bunch calls into one of Tencent's seconds.
        if self.throttle and command not in PUSH_COMMANDS:
            self.throttle(command)
        started = time.monotonic()
        # Exceptions from requests quote the URL, which holds the UserSig: none is chained.
        try:
            response = self._session.send(request, timeout=self.timeout, **self._environment)
        except requests.ConnectTimeout:
            raise TencentError(TRANSPORT_CONNECTION, "connection timed out", command=name) from None
        except requests.Timeout:
            raise TencentError(TRANSPORT_TIMEOUT, f"no answer within {self.timeout[1]}s",
                               command=name, outcome_unknown=True) from None
        except requests.ConnectionError:
            raise TencentError(TRANSPORT_CONNECTION, "connection failed", command=name,
                               outcome_unknown=True) from None
        elapsed_ms = (time.monotonic() - started) * 1000
        if response.status_code != 200:
            log.warning("%s answered HTTP %d in %.0f ms", name, response.status_code, elapsed_ms)
            raise TencentError(TRANSPORT_HTTP, f"HTTP {response.status_code}", command=name,
                               outcome_unknown=response.status_code >= 500)
        try:
            data = response.json()
            code = int(data.get("ErrorCode", 0))
        except (ValueError, AttributeError, TypeError):
            raise TencentError(60013, "the answer was not JSON", command=name,
                               outcome_unknown=True) from None
        # A bulk job makes 100 of these calls a second: their answers go to DEBUG (the job's
        # page holds their outcome); pushes, lookups and failures stay at INFO.
        quiet = command in PER_ACCOUNT_WRITES and code == 0
        log.log(logging.DEBUG if quiet else logging.INFO, "%s -> %d in %.0f ms", name, code,
                elapsed_ms)
        if code != 0 or data.get("ActionStatus") == "FAIL":
            raise TencentError(code, str(data.get("ErrorInfo", "")), command=name)
        return data

    # --- v4/all_member_push/im_push (spec §2.1) -----------------------------------------

    def push(
        self, *, msg_body: list, condition: dict | None = None,
        offline_push_info: dict | None = None, msg_life_time: int | None = None,
        from_account: str | None = None, msg_random: int | None = None,
        attr_names=None, retries: int | None = None,
    ) -> PushResult:
        """Push one message to everyone, or to those matching `condition`.

        A retry reuses `msg_random`, so Tencent can recognise a repeat of the same push.
        """
        body = push_body(msg_body=msg_body, condition=condition,
                         offline_push_info=offline_push_info, msg_life_time=msg_life_time,
                         from_account=from_account,
                         msg_random=secrets.randbelow(2**32) if msg_random is None else msg_random)
        return self.push_request(body, attr_names=attr_names, retries=retries)

    def push_request(self, body: Mapping, *, attr_names=None,
                     retries: int | None = None) -> PushResult:
        """Send a whole im_push body (MsgRandom included) as it is, after Tencent's rules."""
        payload.validate_push(body, attr_names=attr_names)
        data = self.call("all_member_push", "im_push", body, retries=retries)
        return PushResult(task_id=str(data.get("TaskId", "")), msg_random=body["MsgRandom"])


def push_body(*, msg_body, condition=None, offline_push_info=None, msg_life_time=None,
              from_account=None, msg_random=None) -> dict:
    """The im_push request body, leaving out what is unset."""
    body = {"MsgBody": msg_body}
    optional = {"MsgRandom": msg_random, "From_Account": from_account,
                "MsgLifeTime": msg_life_time, "Condition": condition,
                "OfflinePushInfo": offline_push_info}
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _account_errors(data: dict) -> list[AccountError]:
    return [AccountError(account=str(e.get("To_Account", "")), code=int(e.get("ErrorCode", 0)),
                         info=str(e.get("ErrorInfo", "")))
            for e in data.get("ErrorList") or []]


class AllMemberPushApi:
    """Attribute names, user attributes and tags of `v4/all_member_push` (spec §2.2–§2.10)."""

    service = "all_member_push"
    prefix = "im_"
    clear_command = "im_remove_all_tags"

    def __init__(self, client: TimClient):
        self._client = client

    def _call(self, command: str, body: dict) -> dict:
        return self._client.call(self.service, self.prefix + command, body)

    def set_attr_names(self, names: Mapping[str, str]) -> BatchResult:
        payload.raise_if_any(payload.attr_names_violations(dict(names)))
        self._call("set_attr_name", {"AttrNames": dict(names)})
        return BatchResult()

    def get_attr_names(self) -> dict[str, str]:
        return dict(self._call("get_attr_name", {}).get("AttrNames") or {})

    def get_attrs(self, accounts: list[str]) -> BatchResult:
        payload.raise_if_any(payload.accounts_violations("To_Account", accounts))
        data = self._call("get_attr", {"To_Account": accounts})
        return BatchResult(values={e["To_Account"]: e.get("Attrs") or {}
                                   for e in data.get("UserAttrs", [])},
                           failed=_account_errors(data))

    def set_attrs(self, user_attrs: Mapping[str, Mapping[str, str]], *,
                  attr_names=None) -> BatchResult:
        entries = [{"To_Account": a, "Attrs": dict(v)} for a, v in user_attrs.items()]
        payload.raise_if_any(payload.user_entries_violations(
            entries, value_key="Attrs", check=payload.attr_map_check(attr_names)))
        return BatchResult(failed=_account_errors(self._call("set_attr", {"UserAttrs": entries})))

    def remove_attrs(self, user_attrs: Mapping[str, list[str]]) -> BatchResult:
        entries = [{"To_Account": a, "Attrs": list(v)} for a, v in user_attrs.items()]
        payload.raise_if_any(payload.user_entries_violations(
            entries, value_key="Attrs", check=payload.attr_list_check))
        return BatchResult(failed=_account_errors(self._call("remove_attr", {"UserAttrs": entries})))

    def get_tags(self, accounts: list[str]) -> BatchResult:
        payload.raise_if_any(payload.accounts_violations("To_Account", accounts))
        data = self._call("get_tag", {"To_Account": accounts})
        return BatchResult(values={e["To_Account"]: list(e.get("Tags") or [])
                                   for e in data.get("UserTags", [])},
                           failed=_account_errors(data))

    def _tag_entries(self, user_tags: Mapping[str, list[str]], max_tags: int | None) -> list[dict]:
        entries = [{"To_Account": a, "Tags": list(t)} for a, t in user_tags.items()]
        payload.raise_if_any(payload.user_entries_violations(
            entries, value_key="Tags", check=payload.tag_entry_check(max_tags)))
        return entries

    def add_tags(self, user_tags: Mapping[str, list[str]]) -> BatchResult:
        entries = self._tag_entries(user_tags, payload.MAX_TAGS_PER_ENTRY)
        return BatchResult(failed=_account_errors(self._call("add_tag", {"UserTags": entries})))

    def remove_tags(self, user_tags: Mapping[str, list[str]]) -> BatchResult:
        entries = self._tag_entries(user_tags, None)  # §2.9 documents no cap
        return BatchResult(failed=_account_errors(self._call("remove_tag", {"UserTags": entries})))

    def remove_all_tags(self, accounts: list[str]) -> BatchResult:
        payload.raise_if_any(payload.accounts_violations("To_Account", accounts))
        data = self._client.call(self.service, self.clear_command, {"To_Account": accounts})
        return BatchResult(failed=_account_errors(data))


class TimPushApi(AllMemberPushApi):
    """The newer `v4/timpush` family (spec §3): partial results come back in `failed`."""

    service = "timpush"
    prefix = ""
    clear_command = "clear_all_tags"

    def set_attr_names(self, names: Mapping[str, str],
                       types: Mapping[str, int] | None = None) -> BatchResult:
        payload.raise_if_any(payload.attr_names_violations(dict(names)))
        body = {"AttrNames": dict(names)}
        if types:
            body["AttrTypes"] = dict(types)
        self._call("set_attr_name", body)
        return BatchResult()

    def add_tags(self, user_tags: Mapping[str, list[str]], *, replace: bool = False) -> BatchResult:
        limit = payload.MAX_TAGS_WHEN_REPLACING if replace else payload.MAX_TAGS_PER_ENTRY
        entries = self._tag_entries(user_tags, limit)
        data = self._call("add_tag", {"Replace": int(replace), "UserTags": entries})
        return BatchResult(failed=_account_errors(data))

    # --- pushes, test sends, recall and reports (spec §3.1–§3.5) -------------------------

    def push(
        self, *, offline_push_info: dict | None = None, msg_body: list | None = None,
        condition: dict | None = None, online_only: bool | None = None,
        msg_life_time: int | None = None, from_account: str | None = None,
        msg_random: int | None = None, attr_names=None, retries: int | None = None,
    ) -> PushResult:
        """`v4/timpush/push` (§3.1): without `msg_body` the push-service variant, with it the
        IM variant (`online_only` is OnlineOnlyFlag). `condition` may hold TagsNot (§3.5)."""
        body = push_body(msg_body=msg_body, condition=condition,
                         offline_push_info=offline_push_info, msg_life_time=msg_life_time,
                         from_account=from_account,
                         msg_random=secrets.randbelow(2**32) if msg_random is None else msg_random)
        if msg_body is None:
            del body["MsgBody"]
        if online_only is not None:
            body["OnlineOnlyFlag"] = int(online_only)
        return self.push_request(body, attr_names=attr_names, retries=retries)

    def push_request(self, body: Mapping, *, attr_names=None,
                     retries: int | None = None) -> PushResult:
        """Send a whole timpush/push body (MsgRandom included) as it is, after its rules."""
        payload.raise_if_any(payload.timpush_push_violations(body, attr_names=attr_names))
        data = self._client.call(self.service, "push", body, retries=retries)
        return PushResult(task_id=str(data.get("TaskId", "")), msg_random=body["MsgRandom"])

    def batch(self, *, from_account: str, to_accounts: list[str], offline_push_info: dict,
              msg_random: int | None = None, data_id: str | None = None) -> BatchPushResult:
        """`v4/timpush/batch` (§3.2): a test send to 1–500 named accounts."""
        body = {"From_Account": from_account, "To_Account": list(to_accounts),
                "MsgRandom": secrets.randbelow(2**32) if msg_random is None else msg_random,
                "OfflinePushInfo": offline_push_info}
        if data_id is not None:
            body["DataId"] = data_id
        payload.raise_if_any(payload.batch_violations(body))
        data = self._call("batch", body)
        return BatchPushResult(task_id=str(data.get("TaskId", "")), failed=_account_errors(data))

    def revoke(self, *, task_id: str, offline_push_info: dict) -> None:
        """`v4/timpush/revoke` (§3.3): recall a push started within 24 h."""
        self._call("revoke", {"TaskId": task_id, "OfflinePushInfo": offline_push_info})

    def push_statistics(self, *, start: int, end: int, task_ids: list[str] = ()) -> dict:
        """`v4/timpush/all_member_push_statistics` (§3.5): ≤ 5 tasks, or totals with none."""
        return self._call("all_member_push_statistics",
                          {"StartTime": start, "EndTime": end, "TaskID": list(task_ids)})

    def push_loss(self, *, start: int, end: int, task_ids: list[str] = ()) -> dict:
        """`v4/timpush/all_member_push_loss` (§3.5)."""
        return self._call("all_member_push_loss",
                          {"StartTime": start, "EndTime": end, "TaskID": list(task_ids)})

    def push_trace(self, *, task_id: str, user_id: str) -> dict:
        """`v4/timpush/all_member_push_trace` (§3.5)."""
        return self._call("all_member_push_trace", {"TaskID": task_id, "UserID": user_id})


class _RedactUserSig(logging.Filter):
    """urllib3 logs request lines at DEBUG, query and all: keep the UserSig out of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = USERSIG_IN_URL.sub("usersig=[redacted]", str(record.msg))
        if record.args:
            record.args = tuple(USERSIG_IN_URL.sub("usersig=[redacted]", a) if isinstance(a, str)
                                else a for a in record.args)
        return True


USERSIG_IN_URL = re.compile(r"usersig=[^&\s\"']*")
logging.getLogger("urllib3.connectionpool").addFilter(_RedactUserSig())
