"""The rules of a push, attribute and tag request (spec §2, §4, §5, §7), in one place.

Every check returns Violations that name the field, say the rule in words a marketer
understands, and carry the Tencent error code the request would have caused. The client,
the dashboard forms and the JSON API all call this module. Checks run in the server's
order (spec §5), so the first violation is the error Tencent would answer with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_ACCOUNTS_PER_CALL = 100
MAX_TAGS_PER_LIST = 10
MAX_TAGS_PER_ENTRY = 10
MAX_TAG_BYTES = 50
MAX_ATTR_NAMES = 10
MAX_ATTR_BYTES = 50
MAX_ACCOUNT_BYTES = 32
MAX_LIFETIME_SECONDS = 7 * 86400
MAX_MSGBODY_BYTES = 8 * 1024
MAX_UINT32 = 2**32 - 1

TAG_KEYS = ("TagsAnd", "TagsOr")
ATTR_KEYS = ("AttrsAnd", "AttrsOr")


@dataclass(frozen=True)
class Violation:
    field: str
    message: str
    code: int


class PayloadError(ValueError):
    """A request refused before sending; `violations` lists every problem, first one first."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations

    @property
    def code(self) -> int:
        return self.violations[0].code

    def by_field(self) -> dict[str, list[str]]:
        return by_field(self.violations)


def by_field(violations: list[Violation]) -> dict[str, list[str]]:
    """{field: [messages]}, the shape forms and the JSON API show."""
    grouped: dict[str, list[str]] = {}
    for v in violations:
        grouped.setdefault(v.field, []).append(v.message)
    return grouped


def raise_if_any(violations: list[Violation]) -> None:
    if violations:
        raise PayloadError(violations)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- MsgBody (spec §7.1) -------------------------------------------------------------------

STR, INT, NUM, FLAG2, IMAGE_INFOS = "string", "integer", "number", "the number 2", "image list"
REQUIRED, OPTIONAL = True, False

# The REST-sendable (SDK 4.x) form of each element. The docs do not say which missing
# fields Tencent refuses, so the conservative choice is to require what that form requires.
ELEMENT_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "TIMTextElem": {"Text": (STR, REQUIRED)},
    "TIMLocationElem": {"Desc": (STR, OPTIONAL), "Latitude": (NUM, REQUIRED),
                        "Longitude": (NUM, REQUIRED)},
    "TIMFaceElem": {"Index": (INT, REQUIRED), "Data": (STR, OPTIONAL)},
    "TIMCustomElem": {"Data": (STR, OPTIONAL), "Desc": (STR, OPTIONAL), "Ext": (STR, OPTIONAL),
                      "Sound": (STR, OPTIONAL)},
    "TIMSoundElem": {"Url": (STR, REQUIRED), "UUID": (STR, REQUIRED), "Size": (INT, OPTIONAL),
                     "Second": (INT, OPTIONAL), "Download_Flag": (FLAG2, REQUIRED)},
    "TIMImageElem": {"UUID": (STR, REQUIRED), "ImageFormat": (INT, OPTIONAL),
                     "ImageInfoArray": (IMAGE_INFOS, REQUIRED)},
    "TIMFileElem": {"Url": (STR, REQUIRED), "UUID": (STR, REQUIRED), "FileSize": (INT, OPTIONAL),
                    "FileName": (STR, OPTIONAL), "Download_Flag": (FLAG2, REQUIRED)},
    "TIMVideoFileElem": {
        "VideoUrl": (STR, REQUIRED), "VideoUUID": (STR, REQUIRED), "VideoSize": (INT, OPTIONAL),
        "VideoSecond": (INT, OPTIONAL), "VideoFormat": (STR, OPTIONAL),
        "VideoDownloadFlag": (FLAG2, REQUIRED), "ThumbUrl": (STR, REQUIRED),
        "ThumbUUID": (STR, REQUIRED), "ThumbSize": (INT, OPTIONAL),
        "ThumbWidth": (INT, REQUIRED), "ThumbHeight": (INT, REQUIRED),
        "ThumbFormat": (STR, OPTIONAL), "ThumbDownloadFlag": (FLAG2, REQUIRED),
    },
}
IMAGE_INFO_FIELDS = {"Type": (INT, REQUIRED), "Size": (INT, OPTIONAL), "Width": (INT, REQUIRED),
                     "Height": (INT, REQUIRED), "URL": (STR, REQUIRED)}
IMAGE_TYPES = (1, 2, 3)
ELEMENT_FORMAT_ERROR = 90010


def _value_ok(kind: str, value) -> bool:
    return {
        STR: lambda: isinstance(value, str),
        INT: lambda: _is_int(value),
        NUM: lambda: _is_number(value),
        FLAG2: lambda: _is_int(value) and value == 2,
        IMAGE_INFOS: lambda: isinstance(value, list) and len(value) > 0,
    }[kind]()


def _fields_violations(prefix: str, content: Mapping, spec: Mapping) -> list[Violation]:
    out = []
    for name, (kind, required) in spec.items():
        if name not in content:
            if required:
                out.append(Violation(f"{prefix}.{name}", f"{prefix}.{name} is required",
                                     ELEMENT_FORMAT_ERROR))
        elif not _value_ok(kind, content[name]):
            rule = "a non-empty list" if kind == IMAGE_INFOS else f"a {kind}" if kind != FLAG2 else kind
            out.append(Violation(f"{prefix}.{name}", f"{prefix}.{name} must be {rule}",
                                 ELEMENT_FORMAT_ERROR))
    return out


def _element_violations(index: int, element) -> list[Violation]:
    field = f"MsgBody[{index}]"
    if not isinstance(element, dict):
        return [Violation(field, f"{field} must be an object with MsgType and MsgContent", 90002)]
    msg_type = element.get("MsgType")
    if msg_type not in ELEMENT_FIELDS:
        return [Violation(f"{field}.MsgType", f"{field}.MsgType must be one of "
                          f"{', '.join(ELEMENT_FIELDS)}", 90002)]
    if "MsgContent" not in element:
        return [Violation(f"{field}.MsgContent", f"{field}.MsgContent is required", 90002)]
    content = element["MsgContent"]
    prefix = f"{field}.MsgContent"
    if not isinstance(content, dict):
        return [Violation(prefix, f"{prefix} must be an object", ELEMENT_FORMAT_ERROR)]
    out = _fields_violations(prefix, content, ELEMENT_FIELDS[msg_type])
    if msg_type == "TIMTextElem" and isinstance(content.get("Text"), str) and not content["Text"].strip():
        out.append(Violation(f"{prefix}.Text", f"{prefix}.Text is empty; write the message text",
                             ELEMENT_FORMAT_ERROR))
    if msg_type == "TIMImageElem" and isinstance(content.get("ImageInfoArray"), list):
        for i, info in enumerate(content["ImageInfoArray"]):
            info_field = f"{prefix}.ImageInfoArray[{i}]"
            if not isinstance(info, dict):
                out.append(Violation(info_field, f"{info_field} must be an object",
                                     ELEMENT_FORMAT_ERROR))
                continue
            out += _fields_violations(info_field, info, IMAGE_INFO_FIELDS)
            if _is_int(info.get("Type")) and info["Type"] not in IMAGE_TYPES:
                out.append(Violation(f"{info_field}.Type", f"{info_field}.Type must be 1 "
                                     "(original), 2 (large) or 3 (thumbnail)", ELEMENT_FORMAT_ERROR))
    return out


def msg_body_violations(body) -> list[Violation]:
    if not isinstance(body, list):
        return [Violation("MsgBody", "MsgBody must be a list of message elements", 90007)]
    if not body:
        return [Violation("MsgBody", "MsgBody is empty; add at least one message element", 90002)]
    out = []
    for index, element in enumerate(body):
        out += _element_violations(index, element)
    customs = sum(1 for e in body if isinstance(e, dict) and e.get("MsgType") == "TIMCustomElem")
    if customs > 1:
        out.append(Violation("MsgBody", f"MsgBody holds {customs} custom elements; at most 1 is "
                             "allowed", 90002))
    if not out:
        size = utf8_len(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        if size > MAX_MSGBODY_BYTES:
            out.append(Violation("MsgBody", f"MsgBody is {size} bytes; at most "
                                 f"{MAX_MSGBODY_BYTES} bytes are allowed", 80002))
    return out


# --- Condition (spec §5) -------------------------------------------------------------------

def _tag_list_shape(field: str, tags) -> list[Violation]:
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return [Violation(field, f"{field} must be a list of tag strings", 90001)]
    return []


def tags_violations(field: str, tags: list[str], *, max_tags: int = MAX_TAGS_PER_LIST,
                    too_many_code: int = 90032) -> list[Violation]:
    """Count, emptiness and length of one list of tags, in the server's order."""
    out = []
    if len(tags) > max_tags:
        out.append(Violation(field, f"{field} holds {len(tags)} tags; at most {max_tags} are "
                             "allowed", too_many_code))
    if any(t == "" for t in tags):
        out.append(Violation(field, f"{field} holds an empty tag; every tag needs text", 90040))
    for tag in tags:
        if utf8_len(tag) > MAX_TAG_BYTES:
            out.append(Violation(field, f"{field} tag '{tag[:20]}…' is {utf8_len(tag)} bytes; "
                                 f"at most {MAX_TAG_BYTES} bytes are allowed", 90020))
    return out


def attrs_violations(field: str, attrs, attr_names: Iterable[str] | None) -> list[Violation]:
    """An {attribute name: value} map; names must be the app's (when known), values ≤ 50 bytes."""
    if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
        return [Violation(field, f"{field} must map attribute names to text values", 90033)]
    out = []
    known = None if attr_names is None else set(attr_names)
    for name, value in attrs.items():
        if known is not None and name not in known:
            choices = ", ".join(sorted(known)) or "none are defined yet"
            out.append(Violation(field, f"{field} names attribute '{name}', which is not one of "
                                 f"the app's attribute names ({choices})", 90033))
        if utf8_len(value) > MAX_ATTR_BYTES:
            out.append(Violation(field, f"{field}['{name}'] is {utf8_len(value)} bytes; at most "
                                 f"{MAX_ATTR_BYTES} bytes are allowed", 90033))
    return out


def condition_violations(condition, *, attr_names: Iterable[str] | None = None) -> list[Violation]:
    if not isinstance(condition, dict):
        return [Violation("Condition", "Condition must be an object", 90001)]
    unknown = [k for k in condition if k not in TAG_KEYS + ATTR_KEYS]
    if unknown:
        return [Violation(f"Condition.{unknown[0]}", f"Condition.{unknown[0]} is not a condition; "
                          f"use {', '.join(TAG_KEYS + ATTR_KEYS)}", 90001)]
    tag_keys = [k for k in TAG_KEYS if k in condition]
    attr_keys = [k for k in ATTR_KEYS if k in condition]
    if tag_keys and attr_keys:
        return [Violation("Condition", "Condition targets tags and attributes at once; choose "
                          "either tags or attributes", 90039)]
    out = []
    for key in tag_keys:
        out += _tag_list_shape(f"Condition.{key}", condition[key])
    if out:
        return out
    # One pass per rule across both lists, the order the server checks in (spec §5).
    for code in (90032, 90040, 90020):
        for key in tag_keys:
            out += [v for v in tags_violations(f"Condition.{key}", condition[key]) if v.code == code]
    both = set(condition.get("TagsAnd", [])) & set(condition.get("TagsOr", []))
    if both:
        out.append(Violation("Condition", f"Tag '{sorted(both)[0]}' is in both TagsAnd and "
                             "TagsOr; a tag may appear in only one of them", 90022))
    for key in attr_keys:
        out += attrs_violations(f"Condition.{key}", condition[key], attr_names)
    return out


# --- OfflinePushInfo (spec §7.2) ------------------------------------------------------------

OFFLINE_STRINGS = ("Title", "Desc", "Ext")
ANDROID_STRINGS = ("Sound", "HuaWeiChannelID", "XiaoMiChannelID", "OPPOChannelID",
                   "GoogleChannelID", "HuaWeiCategory")
APNS_STRINGS = ("Sound", "Title", "SubTitle", "Image")
ZERO_OR_ONE = (0, 1)


def offline_push_violations(info) -> list[Violation]:
    """Known fields are type-checked; unknown vendor keys pass through untouched."""
    if not isinstance(info, dict):
        return [Violation("OfflinePushInfo", "OfflinePushInfo must be an object", 90001)]
    out = []

    def check(field: str, ok: bool, rule: str):
        if not ok:
            out.append(Violation(field, f"{field} must be {rule}", 90001))

    if "PushFlag" in info:
        check("OfflinePushInfo.PushFlag", info["PushFlag"] in ZERO_OR_ONE
              and _is_int(info["PushFlag"]), "0 (push) or 1 (do not push)")
    for name in OFFLINE_STRINGS:
        if name in info:
            check(f"OfflinePushInfo.{name}", isinstance(info[name], str), "text")
    for section, strings, flags in (("AndroidInfo", ANDROID_STRINGS, ()),
                                    ("ApnsInfo", APNS_STRINGS, ("BadgeMode", "MutableContent"))):
        if section not in info:
            continue
        sub = info[section]
        if not isinstance(sub, dict):
            check(f"OfflinePushInfo.{section}", False, "an object")
            continue
        for name in strings:
            if name in sub:
                check(f"OfflinePushInfo.{section}.{name}", isinstance(sub[name], str), "text")
        for name in flags:
            if name in sub:
                check(f"OfflinePushInfo.{section}.{name}", _is_int(sub[name])
                      and sub[name] in ZERO_OR_ONE, "0 or 1")
    return out


# --- The whole im_push body (spec §2.1, §5 order) ------------------------------------------

def account_violations(field: str, account) -> list[Violation]:
    if not isinstance(account, str) or not account:
        return [Violation(field, f"{field} must be a non-empty account id", 70402)]
    if utf8_len(account) > MAX_ACCOUNT_BYTES:
        return [Violation(field, f"{field} is {utf8_len(account)} bytes; account ids are at most "
                          f"{MAX_ACCOUNT_BYTES} bytes", 70402)]
    if any(c.isspace() or not c.isprintable() for c in account):
        return [Violation(field, f"{field} holds spaces or control characters", 70402)]
    return []


def push_violations(body, *, attr_names: Iterable[str] | None = None,
                    require_msg_random: bool = True) -> list[Violation]:
    if not isinstance(body, dict):
        return [Violation("body", "The push must be a JSON object", 90001)]
    out = []
    if require_msg_random or "MsgRandom" in body:
        value = body.get("MsgRandom")
        if not (_is_int(value) and 0 <= value <= MAX_UINT32):
            out.append(Violation("MsgRandom", "MsgRandom must be an integer from 0 to "
                                 f"{MAX_UINT32}", 90005))
    out += msg_body_violations(body.get("MsgBody"))
    if "MsgLifeTime" in body:
        value = body["MsgLifeTime"]
        if not (_is_int(value) and 0 <= value <= MAX_LIFETIME_SECONDS):
            out.append(Violation("MsgLifeTime", "MsgLifeTime must be a whole number of seconds "
                                 f"from 0 to {MAX_LIFETIME_SECONDS} (7 days)", 90026))
    if "From_Account" in body:
        out += account_violations("From_Account", body["From_Account"])
    if "Condition" in body:
        out += condition_violations(body["Condition"], attr_names=attr_names)
    if "OfflinePushInfo" in body:
        out += offline_push_violations(body["OfflinePushInfo"])
    return out


def validate_push(body, *, attr_names: Iterable[str] | None = None,
                  require_msg_random: bool = True) -> None:
    raise_if_any(push_violations(body, attr_names=attr_names,
                                 require_msg_random=require_msg_random))


# --- Attribute names, user attributes and tags (spec §2.2–§2.10, §3) -----------------------

def attr_names_violations(names) -> list[Violation]:
    field = "AttrNames"
    if not isinstance(names, dict):
        return [Violation(field, "AttrNames must map indexes '0'–'9' to names", 90033)]
    out = []
    for key, name in names.items():
        item = f"AttrNames['{key}']"
        if key not in {str(i) for i in range(MAX_ATTR_NAMES)}:
            out.append(Violation(item, f"{item}: the index must be one of '0' to '9' (at most "
                                 f"{MAX_ATTR_NAMES} attributes)", 90033))
        elif not isinstance(name, str) or not name:
            out.append(Violation(item, f"{item} must be a non-empty name", 90033))
        elif utf8_len(name) > MAX_ATTR_BYTES:
            out.append(Violation(item, f"{item} is {utf8_len(name)} bytes; at most "
                                 f"{MAX_ATTR_BYTES} bytes are allowed", 90033))
    values = [n for n in names.values() if isinstance(n, str)]
    for name in sorted({n for n in values if values.count(n) > 1}):
        out.append(Violation(field, f"AttrNames uses '{name}' for more than one index; names "
                             "must be unique", 90033))
    return out


def accounts_violations(field: str, accounts) -> list[Violation]:
    if not isinstance(accounts, list):
        return [Violation(field, f"{field} must be a list of account ids", 90001)]
    if not accounts:
        return [Violation(field, f"{field} is empty; give at least one account", 90018)]
    if len(accounts) > MAX_ACCOUNTS_PER_CALL:
        return [Violation(field, f"{field} holds {len(accounts)} accounts; at most "
                          f"{MAX_ACCOUNTS_PER_CALL} are allowed per call", 90018)]
    out = []
    for i, account in enumerate(accounts):
        out += account_violations(f"{field}[{i}]", account)
    return out


def user_entries_violations(entries, *, value_key: str, check) -> list[Violation]:
    """`UserAttrs` / `UserTags` lists: ≤ 100 entries, each {To_Account, <value_key>}."""
    field = "UserAttrs" if value_key == "Attrs" else "UserTags"
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [Violation(field, f"{field} must be a list of objects", 90001)]
    out = accounts_violations(field, [e.get("To_Account") for e in entries])
    for i, entry in enumerate(entries):
        out += check(f"{field}[{i}].{value_key}", entry.get(value_key))
    return out


def tag_entry_check(max_tags: int = MAX_TAGS_PER_ENTRY):
    def check(field: str, tags) -> list[Violation]:
        return _tag_list_shape(field, tags) or (
            [Violation(field, f"{field} is empty; give at least one tag", 90040)] if not tags
            else tags_violations(field, tags, max_tags=max_tags))
    return check


def attr_map_check(attr_names: Iterable[str] | None):
    def check(field: str, attrs) -> list[Violation]:
        if isinstance(attrs, dict) and not attrs:
            return [Violation(field, f"{field} is empty; give at least one attribute", 90033)]
        return attrs_violations(field, attrs, attr_names)
    return check


def attr_list_check(field: str, names) -> list[Violation]:
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return [Violation(field, f"{field} must be a non-empty list of attribute names", 90033)]
    return []
