"""Tencent's payload rules (pushclient.payload) in the person's language.

pushclient stays free of Django: each Violation carries a stable rule id and its parameters.
Here each rule id has one sentence, and each wire path a name a person sees ("Any of these
tags", "Element 2 (Image): picture URL"). The wire path stays the key of the API's `errors`;
only the words change with the language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushclient import errors
from pushclient.payload import Violation

RULE_WORDS = {
    "push.not_object": gettext_lazy("The push must be a JSON object."),
    "push.too_big": gettext_lazy("%(field)s is %(size)s bytes, at most %(max)s."),
    "msg_body.not_list": gettext_lazy("%(field)s must be a list of elements."),
    "msg_body.empty": gettext_lazy("%(field)s is empty: add at least one element."),
    "msg_body.custom_count": gettext_lazy("%(field)s: %(count)s custom-data elements given, at "
                                          "most %(max)s."),
    "msg_body.too_big": gettext_lazy("%(field)s is %(size)s bytes, at most %(max)s."),
    "element.not_object": gettext_lazy("%(field)s must be an element with a type and content."),
    "element.type": gettext_lazy("%(field)s: the type must be one of %(choices)s."),
    "element.no_content": gettext_lazy("%(field)s has no content."),
    "element.content_not_object": gettext_lazy("%(field)s: the content must be an object."),
    "element.text_not_text": gettext_lazy("%(field)s must be text."),
    "tags.not_list": gettext_lazy("%(field)s must be a list of tags."),
    "tags.too_many": gettext_lazy("%(field)s: %(count)s given, at most %(max)s."),
    "tags.empty_tag": gettext_lazy("%(field)s holds an empty tag: every tag needs text."),
    "tags.too_long": gettext_lazy("%(field)s: the tag “%(tag)s” is %(size)s bytes, at most "
                                  "%(max)s."),
    "attrs.not_map": gettext_lazy("%(field)s must pair attribute names with text values."),
    "attrs.unknown_name": gettext_lazy("%(field)s: “%(name)s” is not one of the app's "
                                       "attributes (%(choices)s)."),
    "attrs.value_too_long": gettext_lazy("%(field)s: the value of “%(name)s” is %(size)s bytes, "
                                         "at most %(max)s."),
    "condition.not_object": gettext_lazy("%(field)s must be an object."),
    "condition.tags_and_attrs": gettext_lazy("Choose tags or attributes, not both: Tencent "
                                             "refuses a push that targets both."),
    "condition.tag_in_both": gettext_lazy("The tag “%(tag)s” is in both “All of these tags” and "
                                          "“Any of these tags”: keep it in one of them."),
    "account.not_text": gettext_lazy("%(field)s must be an account ID (text)."),
    "msg_random.range": gettext_lazy("%(field)s must be a whole number from 0 to %(max)s."),
    "lifetime.range": gettext_lazy("%(field)s must be from 0 seconds to 7 days."),
    "accounts.not_list": gettext_lazy("%(field)s must be a list of account IDs."),
    "accounts.too_many": gettext_lazy("%(field)s: %(count)s accounts given, at most %(max)s."),
    "data_id.too_long": gettext_lazy("%(field)s is %(size)s bytes, at most %(max)s."),
    "attr_names.not_map": gettext_lazy("%(field)s must pair slots 0 to 9 with names."),
    "attr_names.index": gettext_lazy("%(field)s: there are only %(max)s slots, 0 to 9."),
    "attr_names.not_text": gettext_lazy("%(field)s must be a name (text)."),
    "attr_names.too_long": gettext_lazy("%(field)s is %(size)s bytes, at most %(max)s."),
    "attr_names.duplicate": gettext_lazy("“%(name)s” is used for more than one attribute: names "
                                         "must be unique."),
    "entries.not_objects": gettext_lazy("%(field)s must be a list of objects."),
    "attr_list.not_names": gettext_lazy("%(field)s must be a list of attribute names."),
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
        return _("Attribute slot %(slot)s") % {"slot": attr_slot.group(1)}
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


def violation_words(violation: Violation, push=None) -> str:
    """The violation in the active language; its English message when the rule is unknown."""
    template = RULE_WORDS.get(violation.rule)
    if template is None:
        return violation.message
    params = {key: _param_words(value) for key, value in violation.params.items()}
    params["field"] = field_words(violation.field, push)
    return str(template) % params


@dataclass(frozen=True)
class Problem:
    """One broken rule as the dashboard and the API show it: the wire path, the rule id, the
    words in the person's language."""
    field: str
    rule: str
    message: str


def problems_of(violations: list[Violation], push=None) -> list[Problem]:
    return [Problem(v.field, v.rule, violation_words(v, push)) for v in violations]


def problems_by_field(problems: list[Problem]) -> dict[str, list[str]]:
    """{wire path: [words]}, the shape forms and the JSON API show."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.field, []).append(problem.message)
    return errors


def words_by_field(violations: list[Violation], push=None) -> dict[str, list[str]]:
    """pushclient.payload.by_field, in the person's language."""
    return problems_by_field(problems_of(violations, push))


def explain_words(code, info: str = "") -> str:
    """What a Tencent error code means and what to do, in the reader's language (the words are
    pushclient.errors.EXPLANATIONS, translated here)."""
    return errors.explain(code, info, translate=_)
