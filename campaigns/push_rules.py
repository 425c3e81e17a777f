"""What the dashboard refuses in a push because it would send something useless, in the marketer's words.

Tencent's own refusals are `pushclient.payload`'s, with their codes. These rules are the
product's: stricter than Tencent, so each message says that Tencent would have taken the push
and why the dashboard does not. They read any input without failing; shapes Tencent refuses
are left to its rules, so one problem gets one message.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from audience.rules import account_id_errors
from core.payload_words import PATH_WORDS, Problem, field_words
from pushclient.payload import ATTR_KEYS, TAG_KEYS, is_int

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


def _https_problem(field: str, url, push) -> list[Problem]:
    """A picture a phone downloads comes over https (iOS refuses plain http, and so do recent
    Android versions), and the editor's preview shows only https pictures (its
    Content-Security-Policy, core/security.py). Found: an http:// picture was saved and
    sent, and showed nowhere."""
    if _blank(url) or url.strip().lower().startswith("https://"):
        return []
    return [Problem(field, "product.image_not_https", _(
        "%(field)s is not an https:// address. Tencent would send it, but phones load pictures "
        "only over https, and this page shows only https pictures: use the picture's https:// "
        "address.") % {"field": field_words(field, push)})]


def _element_errors(prefix: str, msg_type: str, content: dict, push) -> list[Problem]:
    errors: list[Problem] = []

    def refuse(field: str, message: str, rule: str) -> None:
        errors.append(Problem(f"{prefix}.{field}", rule, message))

    def words(field: str) -> str:
        return field_words(f"{prefix}.{field}", push)

    if msg_type == "TIMTextElem" and isinstance(content.get("Text"), str) and \
            not content["Text"].strip():
        refuse("Text", _("The text is empty. Tencent would send it, but people would get an "
                         "empty message: write the text."), "product.text_empty")
    for name in MEDIA_FIELDS.get(msg_type, ()):
        if _blank(content.get(name)):
            refuse(name, _("%(field)s is missing. Tencent would send the element without it, "
                           "but phones could not download it: fill it in.")
                   % {"field": words(name)}, "product.media_missing")
    if msg_type == "TIMImageElem":
        images = content.get("ImageInfoArray")
        if not isinstance(images, list) or not images:
            refuse("ImageInfoArray", _("The image has no picture URL. Tencent would send it, "
                                       "but phones would show nothing: add the image's URL."),
                   "product.image_url_missing")
        else:
            seen = set()
            for i, info in enumerate(images):
                if not isinstance(info, dict) or _blank(info.get("URL")):
                    refuse(f"ImageInfoArray[{i}].URL", _(
                        "Image %(number)d has no URL. Tencent would send it, but phones would "
                        "show nothing: add the image's URL.") % {"number": i + 1},
                           "product.image_url_missing")
                elif info["URL"] not in seen:  # the editor puts one URL in all three sizes
                    seen.add(info["URL"])
                    errors += _https_problem(f"{prefix}.ImageInfoArray[{i}].URL", info["URL"],
                                             push)
    if msg_type == "TIMVideoFileElem":
        errors += _https_problem(f"{prefix}.ThumbUrl", content.get("ThumbUrl"), push)
    if msg_type == "TIMLocationElem":
        for name in ("Latitude", "Longitude"):
            if not isinstance(content.get(name), (int, float)) or isinstance(content.get(name),
                                                                             bool):
                refuse(name, _("%(field)s is missing. Tencent would send the location without "
                               "it, but phones could not place it on a map.")
                       % {"field": words(name)}, "product.location_missing")
    return errors


def _condition_errors(condition) -> list[Problem]:
    if not isinstance(condition, dict):
        return []
    errors: list[Problem] = []
    for key in condition:
        field = f"Condition.{key}"
        if key not in TAG_KEYS + ATTR_KEYS:
            errors.append(Problem(field, "product.condition_unknown", _(
                "%(key)s is not a condition the dashboard sends; use %(keys)s. Tencent would "
                "ignore it and the push could reach everyone.")
                % {"key": key, "keys": ", ".join(str(PATH_WORDS[f"Condition.{k}"])
                                                 for k in TAG_KEYS + ATTR_KEYS)}))
        elif condition[key] in ([], {}):
            errors.append(Problem(field, "product.condition_empty", _(
                "%(key)s is empty. Tencent would ignore it and the push could reach more "
                "people than meant: list at least one, or leave the condition out to reach "
                "everyone.") % {"key": field_words(field)}))
    return errors


def _offline_errors(info, push) -> list[Problem]:
    if not isinstance(info, dict):
        return []
    errors: list[Problem] = []
    apns = info.get("ApnsInfo")
    if isinstance(apns, dict):
        errors += _https_problem("OfflinePushInfo.ApnsInfo.Image", apns.get("Image"), push)
    for path in ZERO_OR_ONE_FIELDS:
        value = info
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not (is_int(value) and value in (0, 1)):
            field = ".".join(("OfflinePushInfo",) + path)
            errors.append(Problem(field, "product.zero_or_one", _(
                "%(field)s must be 0 or 1. Tencent documents no other value, so the dashboard "
                "sends none.") % {"field": field_words(field)}))
    return errors


def push_product_problems(push) -> list[Problem]:
    """What the product refuses, each with its rule id; [] when it has nothing to say."""
    if not isinstance(push, dict):
        return []
    errors: list[Problem] = []
    body = push.get("MsgBody")
    for index, element in enumerate(body if isinstance(body, list) else []):
        if isinstance(element, dict) and isinstance(element.get("MsgContent"), dict):
            errors += _element_errors(f"MsgBody[{index}].MsgContent",
                                      str(element.get("MsgType")), element["MsgContent"], push)
    if push.get("From_Account") == "":
        errors.append(Problem("From_Account", "product.sender_empty", _(
            "The sender is empty. Leave it out to send as the app's admin account.")))
    elif "From_Account" in push:
        errors += [Problem("From_Account", "product.sender_invalid", message)
                   for message in account_id_errors(_("The sender"), push["From_Account"])]
    errors += _condition_errors(push.get("Condition"))
    errors += _offline_errors(push.get("OfflinePushInfo"), push)
    return errors


def push_product_errors(push) -> dict[str, list[str]]:
    """{field path: [messages]} for what the product refuses; {} when it has nothing to say."""
    errors: dict[str, list[str]] = {}
    for problem in push_product_problems(push):
        errors.setdefault(problem.field, []).append(problem.message)
    return errors
