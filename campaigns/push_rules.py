"""What the dashboard refuses in a push because it would send something useless, in the marketer's words.

Tencent's own refusals are `pushclient.payload`'s, with their codes. These rules are the
product's: stricter than Tencent, so each message says that Tencent would have taken the push
and why the dashboard does not. They read any input without failing; shapes Tencent refuses
are left to its rules, so one problem gets one message.
"""

from __future__ import annotations

from audience.rules import account_id_violations
from core.payload_words import words_by_field
from pushclient.payload import ATTR_KEYS, TAG_KEYS, Violation, is_int

# The fields that carry what a phone downloads, for each element (spec §7.1's REST-sendable
# form). Without them the element arrives but shows nothing.
MEDIA_FIELDS = {
    "TIMSoundElem": ("Url", "UUID"),
    "TIMImageElem": ("UUID",),
    "TIMFileElem": ("Url", "UUID"),
    "TIMVideoFileElem": ("VideoUrl", "VideoUUID", "ThumbUrl", "ThumbUUID"),
}
ZERO_OR_ONE_FIELDS = (("PushFlag",), ("ApnsInfo", "BadgeMode"), ("ApnsInfo", "MutableContent"))


def _blank(value) -> bool:
    return not isinstance(value, str) or not value.strip()


def _https_problem(field: str, url) -> list[Violation]:
    """A picture a phone downloads comes over https (iOS refuses plain http, and so do recent
    Android versions), and the editor's preview shows only https pictures (its
    Content-Security-Policy, core/security.py). Found: an http:// picture was saved and
    sent, and showed nowhere."""
    if _blank(url) or url.strip().lower().startswith("https://"):
        return []
    return [Violation(field, "product.image_not_https")]


def _element_errors(prefix: str, msg_type: str, content: dict) -> list[Violation]:
    errors: list[Violation] = []

    def refuse(field: str, rule: str, params: dict | None = None) -> None:
        errors.append(Violation(f"{prefix}.{field}", rule, params or {}))

    if msg_type == "TIMTextElem" and isinstance(content.get("Text"), str) and \
            not content["Text"].strip():
        refuse("Text", "product.text_empty")
    for name in MEDIA_FIELDS.get(msg_type, ()):
        if _blank(content.get(name)):
            refuse(name, "product.media_missing")
    if msg_type == "TIMImageElem":
        images = content.get("ImageInfoArray")
        if not isinstance(images, list) or not images:
            refuse("ImageInfoArray", "product.image_url_missing")
        else:
            seen = set()
            for i, info in enumerate(images):
                if not isinstance(info, dict) or _blank(info.get("URL")):
                    refuse(f"ImageInfoArray[{i}].URL", "product.picture_url_missing",
                           {"number": i + 1})
                elif info["URL"] not in seen:  # the editor puts one URL in all three sizes
                    seen.add(info["URL"])
                    errors += _https_problem(f"{prefix}.ImageInfoArray[{i}].URL", info["URL"])
    if msg_type == "TIMVideoFileElem":
        errors += _https_problem(f"{prefix}.ThumbUrl", content.get("ThumbUrl"))
    if msg_type == "TIMLocationElem":
        for name in ("Latitude", "Longitude"):
            if not isinstance(content.get(name), (int, float)) or isinstance(content.get(name),
                                                                             bool):
                refuse(name, "product.location_missing")
    return errors


def _condition_errors(condition) -> list[Violation]:
    if not isinstance(condition, dict):
        return []
    errors: list[Violation] = []
    for key in condition:
        field = f"Condition.{key}"
        if key not in TAG_KEYS + ATTR_KEYS:
            errors.append(Violation(field, "product.condition_unknown", {
                "key": key, "paths": [f"Condition.{k}" for k in TAG_KEYS + ATTR_KEYS]}))
        elif condition[key] in ([], {}):
            errors.append(Violation(field, "product.condition_empty"))
    return errors


def _offline_errors(info) -> list[Violation]:
    if not isinstance(info, dict):
        return []
    errors: list[Violation] = []
    apns = info.get("ApnsInfo")
    if isinstance(apns, dict):
        errors += _https_problem("OfflinePushInfo.ApnsInfo.Image", apns.get("Image"))
    for path in ZERO_OR_ONE_FIELDS:
        value = info
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not (is_int(value) and value in (0, 1)):
            field = ".".join(("OfflinePushInfo",) + path)
            errors.append(Violation(field, "product.zero_or_one"))
    return errors


def push_product_violations(push) -> list[Violation]:
    """What the product refuses, each with its rule id; [] when it has nothing to say."""
    if not isinstance(push, dict):
        return []
    errors: list[Violation] = []
    body = push.get("MsgBody")
    for index, element in enumerate(body if isinstance(body, list) else []):
        if isinstance(element, dict) and isinstance(element.get("MsgContent"), dict):
            errors += _element_errors(f"MsgBody[{index}].MsgContent",
                                      str(element.get("MsgType")), element["MsgContent"])
    if push.get("From_Account") == "":
        errors.append(Violation("From_Account", "product.sender_empty"))
    elif "From_Account" in push:
        errors += account_id_violations("From_Account", push["From_Account"])
    errors += _condition_errors(push.get("Condition"))
    errors += _offline_errors(push.get("OfflinePushInfo"))
    return errors


def push_product_errors(push) -> dict[str, list[str]]:
    """{field path: [words]} for what the product refuses; {} when it has nothing to say."""
    return words_by_field(push_product_violations(push), push)
