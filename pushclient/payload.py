"""What Tencent's documents say the server refuses, each rule with its code and spec section.

Only documented refusals live here (spec §1.4, §2, §3, §5, §7). Where the documents give no
code, nothing here refuses: the client sends and the server decides. What the product refuses
because it would send something useless (an image without a URL, a mistyped account id) is the
product's rule, kept in the product (campaigns.push_rules, audience.rules), never here.
Checks run in the server's order (spec §5), so the first violation is the error Tencent would
answer with. Section numbers refer to ../shared/spec/tencent-push-api.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field as dataclass_field

from .errors import gettext_noop

MAX_ACCOUNTS_PER_CALL = 100  # §2.4–§2.10, §3: 90018
MAX_BATCH_ACCOUNTS = 500  # §3.2: To_Account holds 1–500 accounts
MAX_TAGS_PER_LIST = 10  # §2.1, §5: 90032
MAX_TAGS_PER_ENTRY = 10  # §2.8: 90032
MAX_TAGS_WHEN_REPLACING = 100  # §3 add_tag with Replace=1
MAX_TAG_BYTES = 50  # §2.1, §2.8: 90020
MAX_ATTR_NAMES = 10  # §2.2
MAX_ATTR_BYTES = 50  # §2.2, §2.5: 90033
MAX_USER_ID_BYTES = 32  # §4: a fact with no documented error; the product decides
MAX_LIFETIME_SECONDS = 7 * 86400  # §2.1: 90026
MAX_MSGBODY_BYTES = 8 * 1024  # §1.4: 80002
MAX_TIMPUSH_BODY_BYTES = 10 * 1024  # §3.1: 90056
MAX_DATA_ID_BYTES = 64  # §3.2: 90057
MAX_UINT32 = 2**32 - 1  # §2.1 MsgRandom

TAG_KEYS = ("TagsAnd", "TagsOr")
ATTR_KEYS = ("AttrsAnd", "AttrsOr")
TIMPUSH_TAG_KEYS = ("TagsAnd", "TagsOr", "TagsNot")  # §3.1, §3.5


# Each rule's words, in English: the one wording of every rule. %(field)s is the wire path
# here; the dashboard translates the words and names the field as a person sees it
# (core.payload_words).
RULES = {
    "push.not_object": gettext_noop("The push must be a JSON object."),
    "push.too_big": gettext_noop("%(field)s is %(size)s bytes, at most %(max)s."),
    "msg_body.not_list": gettext_noop("%(field)s must be a list of elements."),
    "msg_body.empty": gettext_noop("%(field)s is empty: add at least one element."),
    "msg_body.custom_count": gettext_noop("%(field)s: %(count)s custom-data elements given, at "
                                          "most %(max)s."),
    "msg_body.too_big": gettext_noop("%(field)s is %(size)s bytes, at most %(max)s."),
    "element.not_object": gettext_noop("%(field)s must be an element with a type and content."),
    "element.type": gettext_noop("%(field)s: the type must be one of %(choices)s."),
    "element.no_content": gettext_noop("%(field)s has no content."),
    "element.content_not_object": gettext_noop("%(field)s: the content must be an object."),
    "element.text_not_text": gettext_noop("%(field)s must be text."),
    "tags.not_list": gettext_noop("%(field)s must be a list of tags."),
    "tags.too_many": gettext_noop("%(field)s: %(count)s given, at most %(max)s."),
    "tags.empty_tag": gettext_noop("%(field)s holds an empty tag: every tag needs text."),
    "tags.too_long": gettext_noop("%(field)s: the tag “%(tag)s” is %(size)s bytes, at most "
                                  "%(max)s."),
    "attrs.not_map": gettext_noop("%(field)s must pair attribute names with text values."),
    "attrs.unknown_name": gettext_noop("%(field)s: “%(name)s” is not one of the app's "
                                       "attributes (%(choices)s)."),
    "attrs.value_too_long": gettext_noop("%(field)s: the value of “%(name)s” is %(size)s bytes, "
                                         "at most %(max)s."),
    "condition.not_object": gettext_noop("%(field)s must be an object."),
    "condition.tags_and_attrs": gettext_noop("Choose tags or attributes, not both: Tencent "
                                             "refuses a push that targets both."),
    "condition.tag_in_both": gettext_noop("The tag “%(tag)s” is in both “All of these tags” and "
                                          "“Any of these tags”: keep it in one of them."),
    "account.not_text": gettext_noop("%(field)s must be an account ID (text)."),
    "msg_random.range": gettext_noop("%(field)s must be a whole number from 0 to %(max)s."),
    "lifetime.range": gettext_noop("%(field)s must be from 0 seconds to 7 days."),
    "accounts.not_list": gettext_noop("%(field)s must be a list of account IDs."),
    "accounts.too_many": gettext_noop("%(field)s: %(count)s accounts given, at most %(max)s."),
    "data_id.too_long": gettext_noop("%(field)s is %(size)s bytes, at most %(max)s."),
    "attr_names.not_map": gettext_noop("%(field)s must pair indexes 0 to 9 with names."),
    "attr_names.index": gettext_noop("%(field)s: the index must be one of 0 to 9 (at most "
                                     "%(max)s attributes)."),
    "attr_names.not_text": gettext_noop("%(field)s must be a name (text)."),
    "attr_names.too_long": gettext_noop("%(field)s is %(size)s bytes long; Tencent allows at "
                                        "most %(max)s bytes (a Chinese character takes 3)."),
    "attr_names.duplicate": gettext_noop("%(field)s: index %(other)s already has the name "
                                         "“%(name)s”; each name may name one index only."),
    "entries.not_objects": gettext_noop("%(field)s must be a list of objects."),
    "attr_list.not_names": gettext_noop("%(field)s must be a list of attribute names."),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: the wire path it is about (e.g. Condition.TagsOr), a stable rule id,
    its parameters and, for Tencent's own rules, the code Tencent answers with (0 for a rule
    of the product's). Worded where it is shown; `message` is the English."""
    field: str
    rule: str
    params: dict = dataclass_field(default_factory=dict, compare=False)
    code: int = 0

    @property
    def message(self) -> str:
        return violation_text(self)


def _plain(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none yet"
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "…"


def violation_text(violation: Violation, *, translate=str, field: str | None = None,
                   param=_plain) -> str:
    """The rule's words with its parameters: English by default; the dashboard passes gettext,
    the field's name and its own way of writing numbers and lists."""
    template = RULES.get(violation.rule)
    if template is None:
        return f"{violation.field}: {violation.rule}"
    params = {key: param(value) for key, value in violation.params.items()}
    params["field"] = violation.field if field is None else field
    return translate(template) % params


class PayloadError(ValueError):
    """A request refused before sending; `violations` lists every problem, first one first."""

    def __init__(self, violations: list[Violation]):
        super().__init__(" ".join(v.message for v in violations))
        self.violations = violations

    @property
    def code(self) -> int:
        return self.violations[0].code


def raise_if_any(violations: list[Violation]) -> None:
    if violations:
        raise PayloadError(violations)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def json_len(value) -> int:
    return utf8_len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- MsgBody (spec §7.1) -------------------------------------------------------------------

STR, INT, NUM, FLAG2, IMAGE_INFOS = "string", "integer", "number", "the number 2", "image list"
REQUIRED, OPTIONAL = True, False

# Spec §7.1: each element's documented fields and types. REQUIRED marks what the REST-sendable
# (SDK 4.x) form needs. The documents do not say the server refuses its absence (legacy forms
# omit these fields), so the client does not check them; the product does (campaigns.push_rules)
# and the dashboard's editor builds this form.
ELEMENT_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "TIMTextElem": {"Text": (STR, REQUIRED)},
    "TIMLocationElem": {"Desc": (STR, OPTIONAL), "Latitude": (NUM, OPTIONAL),
                        "Longitude": (NUM, OPTIONAL)},
    "TIMFaceElem": {"Index": (INT, OPTIONAL), "Data": (STR, OPTIONAL)},
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
# Spec §7.1: Type 1 original, 2 large, 3 thumbnail; the REST-sendable form needs URL, Width, Height.
IMAGE_INFO_FIELDS = {"Type": (INT, OPTIONAL), "Size": (INT, OPTIONAL), "Width": (INT, REQUIRED),
                     "Height": (INT, REQUIRED), "URL": (STR, REQUIRED)}


def _element_violations(index: int, element) -> list[Violation]:
    """Spec §7.1 [UNCERTAIN] recommendation: refuse only an unknown MsgType, a missing or
    non-object MsgContent and a text element without a string Text; otherwise lenient."""
    field = f"MsgBody[{index}]"
    if not isinstance(element, dict):
        return [Violation(field, "element.not_object",
                          code=90002)]  # §7.1: neither a known MsgType nor a MsgContent
    if element.get("MsgType") not in ELEMENT_FIELDS:
        return [Violation(f"{field}.MsgType", "element.type",
                          {"choices": list(ELEMENT_FIELDS)}, code=90002)]  # §7.1
    if "MsgContent" not in element:
        return [Violation(f"{field}.MsgContent", "element.no_content", code=90002)]  # §7.1
    content = element["MsgContent"]
    prefix = f"{field}.MsgContent"
    if not isinstance(content, dict):
        return [Violation(prefix, "element.content_not_object", code=90010)]  # §7.1
    if element["MsgType"] == "TIMTextElem" and not isinstance(content.get("Text"), str):
        return [Violation(f"{prefix}.Text", "element.text_not_text", code=90002)]  # §7.1
    return []


def msg_body_violations(body) -> list[Violation]:
    if not isinstance(body, list):
        return [Violation("MsgBody", "msg_body.not_list", code=90007)]  # §2.1
    if not body:
        # §2.1: MsgBody is required and 90002 is "MsgBody does not match the message format";
        # a list with no element carries no message [INFERRED].
        return [Violation("MsgBody", "msg_body.empty", code=90002)]
    out = []
    for index, element in enumerate(body):
        out += _element_violations(index, element)
    customs = sum(1 for e in body if isinstance(e, dict) and e.get("MsgType") == "TIMCustomElem")
    if customs > 1:
        out.append(Violation("MsgBody", "msg_body.custom_count",
                             {"count": customs, "max": 1}, code=90002))  # §7.1, §4
    if not out and json_len(body) > MAX_MSGBODY_BYTES:
        out.append(Violation("MsgBody", "msg_body.too_big",
                             {"size": json_len(body), "max": MAX_MSGBODY_BYTES},
                             code=80002))  # §1.4
    return out


# --- Condition (spec §5) -------------------------------------------------------------------

def _tag_list_shape(field: str, tags) -> list[Violation]:
    # §2.1: tag conditions are Array<String>; anything else does not parse as the request.
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return [Violation(field, "tags.not_list", code=90001)]
    return []


def tags_violations(field: str, tags: list[str], *, max_tags: int = MAX_TAGS_PER_LIST,
                    empty_code: int | None = 90040) -> list[Violation]:
    """Count (90032), emptiness (90040, §5, only for push conditions) and length (90020)."""
    out = []
    if len(tags) > max_tags:
        out.append(Violation(field, "tags.too_many",
                             {"count": len(tags), "max": max_tags}, code=90032))  # §2.1, §2.8
    if empty_code and any(t == "" for t in tags):
        out.append(Violation(field, "tags.empty_tag", code=empty_code))  # §2.1 90040
    for tag in tags:
        if utf8_len(tag) > MAX_TAG_BYTES:
            out.append(Violation(field, "tags.too_long",
                                 {"tag": tag, "size": utf8_len(tag), "max": MAX_TAG_BYTES},
                                 code=90020))  # §2.1
    return out


def attrs_violations(field: str, attrs, attr_names: Iterable[str] | None) -> list[Violation]:
    """An {attribute name: value} map (§2.5, §5): names must be the app's when known, values
    text of at most 50 bytes. All 90033 ("invalid attribute"; value length [UNCERTAIN] §2.5)."""
    if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
        return [Violation(field, "attrs.not_map", code=90033)]
    out = []
    known = None if attr_names is None else set(attr_names)
    for name, value in attrs.items():
        if known is not None and name not in known:
            out.append(Violation(field, "attrs.unknown_name",
                                 {"name": name, "choices": sorted(known)}, code=90033))
        if utf8_len(value) > MAX_ATTR_BYTES:
            out.append(Violation(field, "attrs.value_too_long",
                                 {"name": name, "size": utf8_len(value), "max": MAX_ATTR_BYTES},
                                 code=90033))
    return out


def condition_violations(condition, *, attr_names: Iterable[str] | None = None,
                         tag_keys: tuple[str, ...] = TAG_KEYS) -> list[Violation]:
    """Spec §5, in its order. Keys other than the documented ones are left to the server."""
    if not isinstance(condition, dict):
        return [Violation("Condition", "condition.not_object", code=90001)]  # §5
    present_tags = [k for k in tag_keys if k in condition]
    present_attrs = [k for k in ATTR_KEYS if k in condition]
    if present_tags and present_attrs:
        return [Violation("Condition", "condition.tags_and_attrs", code=90039)]  # §5 rule 3
    out = []
    for key in present_tags:
        out += _tag_list_shape(f"Condition.{key}", condition[key])
    if out:
        return out
    # One pass per rule across the lists, the order the server checks in (§5).
    for code in (90032, 90040, 90020):
        for key in present_tags:
            out += [v for v in tags_violations(f"Condition.{key}", condition[key])
                    if v.code == code]
    both = set(condition.get("TagsAnd", [])) & set(condition.get("TagsOr", []))
    if both:
        out.append(Violation("Condition", "condition.tag_in_both",
                             {"tag": sorted(both)[0]}, code=90022))  # §5 rule 4
    for key in present_attrs:
        out += attrs_violations(f"Condition.{key}", condition[key], attr_names)
    return out


# --- The push bodies ------------------------------------------------------------------------
# OfflinePushInfo (§7.2) documents no refusal: the client sends it as given, unknown vendor
# keys included.

def account_violations(field: str, account) -> list[Violation]:
    """§1.4 60015: an account must be a string. Nothing else about an id is documented as
    refused (the docs' own sample holds a space, §2.4)."""
    if not isinstance(account, str):
        return [Violation(field, "account.not_text", code=60015)]
    return []


def _msg_random_violations(body: dict, code: int) -> list[Violation]:
    value = body.get("MsgRandom")
    if not (is_int(value) and 0 <= value <= MAX_UINT32):
        return [Violation("MsgRandom", "msg_random.range", {"max": MAX_UINT32}, code=code)]
    return []


def _lifetime_violations(body: dict) -> list[Violation]:
    value = body.get("MsgLifeTime", 0)
    if not (is_int(value) and 0 <= value <= MAX_LIFETIME_SECONDS):
        return [Violation("MsgLifeTime", "lifetime.range",
                          {"max": MAX_LIFETIME_SECONDS}, code=90026)]  # §2.1
    return []


def push_violations(body, *, attr_names: Iterable[str] | None = None,
                    require_msg_random: bool = True) -> list[Violation]:
    """`v4/all_member_push/im_push` (§2.1), checked in the order of §5."""
    if not isinstance(body, dict):
        return [Violation("body", "push.not_object", code=90001)]  # §2.1
    out = []
    if require_msg_random or "MsgRandom" in body:
        out += _msg_random_violations(body, 90005)  # §2.1
    out += msg_body_violations(body.get("MsgBody"))
    out += _lifetime_violations(body)
    if "From_Account" in body:
        out += account_violations("From_Account", body["From_Account"])
    if "Condition" in body:
        out += condition_violations(body["Condition"], attr_names=attr_names)
    return out


def validate_push(body, *, attr_names: Iterable[str] | None = None,
                  require_msg_random: bool = True) -> None:
    raise_if_any(push_violations(body, attr_names=attr_names,
                                 require_msg_random=require_msg_random))


def timpush_push_violations(body, *, attr_names: Iterable[str] | None = None) -> list[Violation]:
    """`v4/timpush/push` (§3.1): the push-service variant (no MsgBody) and the IM variant
    (MsgBody, OnlineOnlyFlag); the same Condition as §5, plus TagsNot (§3.5)."""
    if not isinstance(body, dict):
        return [Violation("body", "push.not_object", code=90001)]  # §3.1
    out = _msg_random_violations(body, 90005)  # §3.1 90005
    if "MsgBody" in body:
        out += msg_body_violations(body["MsgBody"])
    out += _lifetime_violations(body)  # §3.1 90026
    if "From_Account" in body:
        out += account_violations("From_Account", body["From_Account"])
    if "Condition" in body:
        out += condition_violations(body["Condition"], attr_names=attr_names,
                                    tag_keys=TIMPUSH_TAG_KEYS)
    if not out and json_len(body) > MAX_TIMPUSH_BODY_BYTES:
        out.append(Violation("body", "push.too_big",
                             {"size": json_len(body), "max": MAX_TIMPUSH_BODY_BYTES},
                             code=90056))  # §3.1
    return out


def batch_violations(body) -> list[Violation]:
    """`v4/timpush/batch` (§3.2)."""
    if not isinstance(body, dict):
        return [Violation("body", "push.not_object", code=90001)]  # §3.2
    # §3.2's sample answers an invalid MsgRandom with 90001 "Invalid format of MsgRandom".
    out = _msg_random_violations(body, 90001)
    accounts = body.get("To_Account")
    if isinstance(accounts, list) and len(accounts) > MAX_BATCH_ACCOUNTS:
        out.append(Violation("To_Account", "accounts.too_many",
                             {"count": len(accounts), "max": MAX_BATCH_ACCOUNTS},
                             code=90018))  # §4 [INFERRED]
    for i, account in enumerate(accounts if isinstance(accounts, list) else []):
        out += account_violations(f"To_Account[{i}]", account)
    data_id = body.get("DataId")
    if isinstance(data_id, str) and utf8_len(data_id) > MAX_DATA_ID_BYTES:
        out.append(Violation("DataId", "data_id.too_long",
                             {"size": utf8_len(data_id), "max": MAX_DATA_ID_BYTES},
                             code=90057))  # §3.2
    return out


# --- Attribute names, user attributes and tags (spec §2.2–§2.10, §3) -----------------------

def attr_names_violations(names) -> list[Violation]:
    """The one check of attribute names (§2.2 [UNCERTAIN] recommendation): 90033 for a bad
    index, a name over 50 bytes or a name already given to another index (the timpush variant
    documents 90033 for a duplicate, §3). A duplicate is reported on the later index."""
    field = "AttrNames"
    if not isinstance(names, dict):
        return [Violation(field, "attr_names.not_map", code=90033)]
    out = []
    seen: dict[str, str] = {}
    for key, name in sorted(names.items(), key=lambda item: str(item[0]).zfill(3)):
        item = f"AttrNames['{key}']"
        if key not in {str(i) for i in range(MAX_ATTR_NAMES)}:
            out.append(Violation(item, "attr_names.index", {"key": key, "max": MAX_ATTR_NAMES},
                                 code=90033))
        elif not isinstance(name, str):
            out.append(Violation(item, "attr_names.not_text", code=90033))
        elif utf8_len(name) > MAX_ATTR_BYTES:
            out.append(Violation(item, "attr_names.too_long",
                                 {"size": utf8_len(name), "max": MAX_ATTR_BYTES}, code=90033))
        elif name in seen:
            out.append(Violation(item, "attr_names.duplicate",
                                 {"name": name, "other": seen[name]}, code=90033))
        else:
            seen[name] = key
    return out


def accounts_violations(field: str, accounts) -> list[Violation]:
    """A To_Account list (§2.4, §2.7, §2.10, §3): at most 100 accounts (90018), each a string.
    An empty list has no documented answer: the server decides."""
    if not isinstance(accounts, list):
        return [Violation(field, "accounts.not_list", code=90001)]  # §2.4 Array
    if len(accounts) > MAX_ACCOUNTS_PER_CALL:
        return [Violation(field, "accounts.too_many",
                          {"count": len(accounts), "max": MAX_ACCOUNTS_PER_CALL}, code=90018)]
    out = []
    for i, account in enumerate(accounts):
        out += account_violations(f"{field}[{i}]", account)
    return out


def user_entries_violations(entries, *, value_key: str, check) -> list[Violation]:
    """`UserAttrs` / `UserTags` lists (§2.5, §2.6, §2.8, §2.9): ≤ 100 entries (90018), each
    {To_Account, <value_key>}."""
    field = "UserAttrs" if value_key == "Attrs" else "UserTags"
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [Violation(field, "entries.not_objects", code=90001)]  # §2.5 Array
    out = accounts_violations(field, [e.get("To_Account") for e in entries])
    for i, entry in enumerate(entries):
        out += check(f"{field}[{i}].{value_key}", entry.get(value_key))
    return out


def tag_entry_check(max_tags: int | None = MAX_TAGS_PER_ENTRY):
    """Tags of one add_tag entry (§2.8: ≤ 10, or ≤ 100 with timpush Replace=1; ≤ 50 bytes).
    remove_tag (§2.9) documents no cap: pass max_tags=None. 90040 is documented only for a
    push condition, so an empty tag here is left to the server."""
    def check(field: str, tags) -> list[Violation]:
        return _tag_list_shape(field, tags) or tags_violations(
            field, tags, max_tags=max_tags if max_tags is not None else len(tags),
            empty_code=None)
    return check


def attr_map_check(attr_names: Iterable[str] | None):
    def check(field: str, attrs) -> list[Violation]:
        return attrs_violations(field, attrs, attr_names)  # §2.5
    return check


def attr_list_check(field: str, names) -> list[Violation]:
    # §2.6: Attrs is an Array of attribute names.
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return [Violation(field, "attr_list.not_names", code=90033)]
    return []
