"""Broken rules and Tencent's codes in the person's language: the one place they are worded.

pushclient stays free of Django: each Violation carries a field, a stable rule id and its
parameters, and pushclient holds the English of Tencent's rules and error codes, marked for
translation. Here those words are translated, the product's own rules get theirs, and each wire
path a name a person sees ("Any of these tags", "Element 2 (Image): picture URL"). The wire path
stays the key of the API's `errors`; only the words change with the language.
"""

from __future__ import annotations

import re

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushclient.errors import explain
from pushclient.payload import Violation, violation_text

from .errors import InvalidInput

# The product's own rules (campaigns.push_rules, campaigns.services, audience.rules): stricter
# than Tencent, so each says that Tencent would have taken the push and why the dashboard does
# not. Tencent's own rules are worded once, in pushclient.payload.RULES.
PRODUCT_RULES = {
    "product.image_not_https": gettext_lazy(
        "%(field)s is not an https:// address. Tencent would send it, but phones load pictures "
        "only over https, and this page shows only https pictures: use the picture's https:// "
        "address."),
    "product.text_empty": gettext_lazy("The text is empty. Tencent would send it, but people "
                                       "would get an empty message: write the text."),
    "product.media_missing": gettext_lazy("%(field)s is missing. Tencent would send the element "
                                          "without it, but phones could not download it: fill "
                                          "it in."),
    "product.image_url_missing": gettext_lazy("The image has no picture URL. Tencent would send "
                                              "it, but phones would show nothing: add the "
                                              "image's URL."),
    "product.picture_url_missing": gettext_lazy(
        "Image %(number)s has no URL. Tencent would send it, but phones would show nothing: add "
        "the image's URL."),
    "product.location_missing": gettext_lazy("%(field)s is missing. Tencent would send the "
                                             "location without it, but phones could not place "
                                             "it on a map."),
    "product.condition_unknown": gettext_lazy("%(key)s is not a condition the dashboard sends; "
                                              "use %(paths)s. Tencent would ignore it and the "
                                              "push could reach everyone."),
    "product.condition_empty": gettext_lazy("%(field)s is empty. Tencent would ignore it and the "
                                            "push could reach more people than meant: list at "
                                            "least one, or leave the condition out to reach "
                                            "everyone."),
    "product.zero_or_one": gettext_lazy("%(field)s must be 0 or 1. Tencent documents no other "
                                        "value, so the dashboard sends none."),
    "product.sender_empty": gettext_lazy("The sender is empty. Leave it out to send as the app's "
                                         "admin account."),
    "account.empty": gettext_lazy("%(field)s is empty: give an account id."),
    "account.spaces": gettext_lazy("%(field)s starts or ends with a space. Tencent would take it "
                                   "as another account than the one meant: remove the spaces."),
    "account.control_character": gettext_lazy(
        "%(field)s holds an invisible control character. Tencent would take it as another "
        "account than the one meant: type the account id again."),
    "account.too_long": gettext_lazy("%(field)s is %(size)s bytes long, and Tencent account ids "
                                     "are at most %(max)s bytes: check the account id."),
    "push.unknown_field": gettext_lazy("%(key)s is not an im_push field; use %(fields)s"),
    "attrs.names_unreadable": gettext_lazy(
        "The app's attribute names could not be read from Tencent, so a condition on attributes "
        "cannot be checked; try again in a minute"),
}

ELEMENT_WORDS = {
    "TIMTextElem": gettext_lazy("Text"),
    "TIMImageElem": gettext_lazy("Image"),
    "TIMCustomElem": gettext_lazy("Custom data"),
    "TIMLocationElem": gettext_lazy("Location"),
    "TIMFaceElem": gettext_lazy("Sticker"),
    "TIMSoundElem": gettext_lazy("Voice message"),
    "TIMFileElem": gettext_lazy("File"),
    "TIMVideoFileElem": gettext_lazy("Video"),
}

CONTENT_FIELD_WORDS = {
    "Text": gettext_lazy("Text"),
    "Desc": gettext_lazy("Description"),
    "Latitude": gettext_lazy("Latitude"),
    "Longitude": gettext_lazy("Longitude"),
    "Index": gettext_lazy("Sticker number"),
    "Data": gettext_lazy("Data"),
    "Ext": gettext_lazy("Extra data"),
    "Sound": gettext_lazy("Sound"),
    "Url": gettext_lazy("File URL"),
    "UUID": gettext_lazy("File ID"),
    "Size": gettext_lazy("Size in bytes"),
    "Second": gettext_lazy("Length in seconds"),
    "ImageFormat": gettext_lazy("Image format"),
    "ImageInfoArray": gettext_lazy("Picture"),
    "FileSize": gettext_lazy("Size in bytes"),
    "FileName": gettext_lazy("File name"),
    "VideoUrl": gettext_lazy("Video URL"),
    "VideoUUID": gettext_lazy("Video ID"),
    "VideoSize": gettext_lazy("Video size in bytes"),
    "VideoSecond": gettext_lazy("Video length in seconds"),
    "VideoFormat": gettext_lazy("Video format"),
    "ThumbUrl": gettext_lazy("Cover image URL"),
    "ThumbUUID": gettext_lazy("Cover image ID"),
    "ThumbSize": gettext_lazy("Cover size in bytes"),
    "ThumbWidth": gettext_lazy("Cover width"),
    "ThumbHeight": gettext_lazy("Cover height"),
    "ThumbFormat": gettext_lazy("Cover format"),
}

IMAGE_INFO_WORDS = {
    "URL": gettext_lazy("Picture URL"),
    "Width": gettext_lazy("Width"),
    "Height": gettext_lazy("Height"),
    "Size": gettext_lazy("Size in bytes"),
    "Type": gettext_lazy("Picture kind"),
}

# Paths outside the message, longest first wins.
PATH_WORDS = {
    "Condition.TagsAnd": gettext_lazy("All of these tags"),
    "Condition.TagsOr": gettext_lazy("Any of these tags"),
    "Condition.TagsNot": gettext_lazy("None of these tags"),
    "Condition.AttrsAnd": gettext_lazy("All of these attributes"),
    "Condition.AttrsOr": gettext_lazy("Any of these attributes"),
    "Condition": gettext_lazy("Audience"),
    "MsgBody": gettext_lazy("Message"),
    "MsgLifeTime": gettext_lazy("Keep for offline users"),
    "MsgRandom": gettext_lazy("Message number (MsgRandom)"),
    "From_Account": gettext_lazy("Sender account"),
    "OfflinePushInfo.PushFlag": gettext_lazy("Offline push on or off"),
    "OfflinePushInfo.ApnsInfo.BadgeMode": gettext_lazy("iOS badge"),
    "OfflinePushInfo.ApnsInfo.MutableContent": gettext_lazy("iOS notification extension"),
    "OfflinePushInfo.ApnsInfo.Image": gettext_lazy("iOS image URL"),
    "OfflinePushInfo.ApnsInfo": gettext_lazy("iOS push"),
    "OfflinePushInfo.AndroidInfo": gettext_lazy("Android push"),
    "OfflinePushInfo": gettext_lazy("Offline push"),
    "To_Account": gettext_lazy("Accounts"),
    "DataId": gettext_lazy("Data ID"),
    "AttrNames": gettext_lazy("Attribute names"),
    "body": gettext_lazy("The push"),
}

_ELEMENT_PATH = re.compile(r"^MsgBody\[(\d+)\](?:\.MsgType|\.MsgContent(?:\.(\w+))?"
                           r"(?:\[(\d+)\]\.(\w+))?)?$")


def element_words(msg_type) -> str:
    words = ELEMENT_WORDS.get(msg_type)
    return str(words) if words else _("Unknown element")


def field_words(path: str, push=None) -> str:
    """The name a person sees for a wire path; the path itself when nothing fits."""
    match = _ELEMENT_PATH.match(path)
    if match:
        index = int(match.group(1))
        body = push.get("MsgBody") if isinstance(push, dict) else None
        element = body[index] if isinstance(body, list) and index < len(body) else None
        msg_type = element.get("MsgType") if isinstance(element, dict) else None
        name = _("Element %(number)s (%(kind)s)") % {"number": index + 1,
                                                     "kind": element_words(msg_type)}
        content_field, picture, picture_field = match.group(2), match.group(3), match.group(4)
        if picture_field:
            words = IMAGE_INFO_WORDS.get(picture_field, picture_field)
            return _("%(element)s: picture %(number)s, %(field)s") % {
                "element": name, "number": int(picture) + 1, "field": words}
        if content_field:
            words = CONTENT_FIELD_WORDS.get(content_field, content_field)
            return _("%(element)s: %(field)s") % {"element": name, "field": words}
        return name
    if re.match(r"^UserTags\[\d+\]\.Tags$", path) or path == "tags":
        return _("Tags")
    if re.match(r"^UserAttrs\[\d+\]\.Attrs$", path) or path == "attrs":
        return _("Attributes")
    attr_slot = re.match(r"^AttrNames\['(.*)'\]$", path)
    if attr_slot:
        return _("Index %(n)s") % {"n": attr_slot.group(1)}
    for prefix in sorted(PATH_WORDS, key=len, reverse=True):
        if path == prefix:
            return str(PATH_WORDS[prefix])
        if path.startswith(prefix + "."):
            return f"{PATH_WORDS[prefix]} › {path[len(prefix) + 1:]}"
    return path


def _param_words(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, (list, tuple)):
        return _(", ").join(str(ELEMENT_WORDS.get(v, v)) for v in value) if value else _("none yet")
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "…"


def violation_words(violation: Violation, push=None, *, field: str | None = None) -> str:
    """The violation in the active language, naming its field as a person sees it (or as
    `field` says, e.g. "line 3")."""
    name = field_words(violation.field, push) if field is None else field
    product = PRODUCT_RULES.get(violation.rule)
    if product is None:
        return violation_text(violation, translate=_, field=name, param=_param_words)
    params = {key: _param_words(value) for key, value in violation.params.items()}
    if "paths" in violation.params:  # wire paths, each named as a person sees it
        params["paths"] = _(", ").join(field_words(p) for p in violation.params["paths"])
    return str(product) % {**params, "field": name}


def words_by_field(violations: list[Violation], push=None) -> dict[str, list[str]]:
    """{wire path: [words]}, the shape forms and the JSON API show."""
    errors: dict[str, list[str]] = {}
    for violation in violations:
        errors.setdefault(violation.field, []).append(violation_words(violation, push))
    return errors


def invalid_input(violations: list[Violation], *, push=None,
                  errors: dict[str, list[str]] | None = None) -> InvalidInput:
    """Broken rules as pages and the API show them: words by field (after `errors`, broken
    rules without an id) and, for API callers that act on the rule, each rule id."""
    worded = [(v, violation_words(v, push)) for v in violations]
    by_field = dict(errors or {})
    for violation, words in worded:
        by_field.setdefault(violation.field, []).append(words)
    return InvalidInput(by_field, rules=[{"field": v.field, "rule": v.rule, "message": words}
                                         for v, words in worded] or None)


def explain_words(code, info: str = "") -> str:
    """What a Tencent error code means and what to do, in the reader's language (the words are
    pushclient.errors.EXPLANATIONS, translated here)."""
    return explain(code, info, translate=_)
