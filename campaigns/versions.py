"""Versions of a campaign's message, for A/B tests' variants and language versions: a title,
a text, a picture and custom data, each replacing the campaign's own when given."""

from __future__ import annotations

import copy
import datetime as dt

from django.utils import dateformat
from django.utils.translation import gettext as _

MESSAGE_FIELDS = ("title", "text", "image", "ext")
MAX_FIELD_LENGTH = 2000


def with_message(push: dict, version: dict) -> dict:
    """The campaign's push with the version's title, text, picture and custom data; a blank
    field keeps the campaign's own. The text is the offline push's and every text element's,
    so the notification and the message in the app say the same."""
    push = copy.deepcopy(push)
    info = dict(push.get("OfflinePushInfo") or {})
    if version.get("title"):
        info["Title"] = version["title"]
    if version.get("text"):
        info["Desc"] = version["text"]
        for element in push.get("MsgBody") or []:
            if isinstance(element, dict) and element.get("MsgType") == "TIMTextElem" and \
                    isinstance(element.get("MsgContent"), dict):
                element["MsgContent"]["Text"] = version["text"]
    if version.get("image"):
        info["ApnsInfo"] = {**(info.get("ApnsInfo") or {}), "Image": version["image"]}
    if version.get("ext"):
        info["Ext"] = version["ext"]
    if info:
        push["OfflinePushInfo"] = info
    return push


def message_field_errors(field: str, name: str, version: dict) -> dict[str, list[str]]:
    """Each of the version's message fields that is not text of at most 2,000 characters;
    `name` says which version ("Variant B", "zh-Hans") in the words."""
    return {f"{field}.{key}": [_("%(version)s: %(field)s must be text of at most 2,000 "
                                 "characters") % {"version": name, "field": key}]
            for key in MESSAGE_FIELDS
            if not isinstance(version.get(key, ""), str)
            or len(version.get(key, "")) > MAX_FIELD_LENGTH}


def normal_message(version: dict) -> dict:
    return {key: (version.get(key) or "").strip() for key in MESSAGE_FIELDS}


def day_words(day: dt.date) -> str:
    """"Tuesday 2026-12-08", the weekday in the reader's language."""
    return _("%(weekday)s %(day)s") % {"weekday": dateformat.format(day, "l"),
                                       "day": day.isoformat()}
