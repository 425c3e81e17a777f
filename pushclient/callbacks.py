"""Tencent's push result callback, `Push.AllMemberPush` (spec §3.5): its signature and its events.

One definition for both sides: the emulator signs and sends these, the product checks and reads
them. No Django here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

COMMAND = "Push.AllMemberPush"
MAX_EVENTS = 100  # §3.5: a callback carries 1–100 events

# §3.5 PushPlatform and PushStage values.
PLATFORMS = {0: "Unknown", 1: "APNs", 2: "Xiaomi", 3: "Huawei", 4: "FCM", 5: "Meizu",
             6: "OPPO", 7: "vivo", 8: "Honor"}
SENT, DELIVERED, CLICKED = 1, 2, 3
STAGES = {SENT: "sent", DELIVERED: "delivered", CLICKED: "clicked"}
OFFLINE, ONLINE = 1, 2
EVENT_TYPES = {OFFLINE: "offline", ONLINE: "online"}
OK_ANSWER = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}


def sign(token: str, request_time: str | int) -> str:
    """Sign = hex(sha256(token + RequestTime)) (§3.5, [W:trtc.io/document/34354])."""
    return hashlib.sha256(f"{token}{request_time}".encode()).hexdigest()


def sign_matches(token: str, request_time: str, given: str) -> bool:
    """Constant-time comparison, so timing reveals nothing about the expected signature."""
    return hmac.compare_digest(sign(token, request_time).encode(), given.lower().encode())


@dataclass(frozen=True)
class Event:
    task_id: str
    data_id: str
    account: str
    platform: int
    stage: int
    event_type: int
    err_code: int
    err_info: str
    task_time: int
    event_time: int

    @property
    def key(self) -> tuple:
        """What makes an event unique; Tencent's retries repeat it (§3.5)."""
        return (self.task_id, self.account, self.platform, self.stage, self.event_type)


INT32 = range(-2**31, 2**31)  # what the counters' err_code column holds


def _int(value, name: str, allowed=None, *, within: range | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    if allowed is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, sorted(allowed)))}")
    if within is not None and value not in within:
        raise ValueError(f"{name} must be a whole number from {within.start} to "
                         f"{within.stop - 1}")
    return value


def _text(value, name: str, *, required: bool = True, max_bytes: int = 256) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"{name} must be non-empty text" if required else f"{name} must be text")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"{name} holds an unpaired surrogate") from None
    if size > max_bytes or "\x00" in value:
        raise ValueError(f"{name} must be at most {max_bytes} bytes of text, without NUL")
    return value


def parse_events(body) -> tuple[list[Event], dict[str, list[str]]]:
    """The events of a callback body, or the problems by field (`Events[3].PushStage`: rule).
    All or nothing: one bad event refuses the whole request, so nothing is half-counted."""
    if not isinstance(body, dict):
        return [], {"body": ["the body must be a JSON object"]}
    events = body.get("Events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        return [], {"Events": [f"Events must list 1 to {MAX_EVENTS} events"]}
    parsed, errors = [], {}
    for i, raw in enumerate(events):
        where = f"Events[{i}]"
        if not isinstance(raw, dict):
            errors[where] = ["each event must be a JSON object"]
            continue
        try:
            command = raw.get("CallbackCommand", COMMAND)
            if command != COMMAND:
                raise ValueError(f"CallbackCommand must be {COMMAND}")
            parsed.append(Event(
                task_id=_text(raw.get("TaskId"), "TaskId", max_bytes=128),
                data_id=_text(raw.get("DataId"), "DataId", required=False, max_bytes=64),
                account=_text(raw.get("To_Account"), "To_Account", max_bytes=128),
                platform=_int(raw.get("PushPlatform"), "PushPlatform", PLATFORMS),
                stage=_int(raw.get("PushStage"), "PushStage", STAGES),
                event_type=_int(raw.get("EventType"), "EventType", EVENT_TYPES),
                err_code=_int(raw.get("ErrCode", 0), "ErrCode", within=INT32),
                err_info=_text(raw.get("ErrInfo"), "ErrInfo", required=False),
                task_time=_int(raw.get("TaskTime", 0), "TaskTime"),
                event_time=_int(raw.get("EventTime", 0), "EventTime"),
            ))
        except ValueError as exc:
            errors[where] = [str(exc)]
    return (parsed, {}) if not errors else ([], errors)
