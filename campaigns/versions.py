"""Versions of a campaign's message, for A/B tests' variants and language versions: a title,
a text, a picture and custom data, each replacing the campaign's own when given."""

from __future__ import annotations

import copy
import datetime as dt
import secrets

from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput

from .models import Campaign
from .services import campaign_book, checked_send_at, push_errors

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


# Where a broken rule of a version's push is shown: on the field of the version that put it
# there (a picture that is not https on the picture), else on the version as a whole.
FIELD_OF_PATH = (("OfflinePushInfo.ApnsInfo.Image", "image"), ("OfflinePushInfo.Title", "title"),
                 ("OfflinePushInfo.Desc", "text"), ("MsgBody", "text"),
                 ("OfflinePushInfo.Ext", "ext"))


def version_push_errors(field: str, name: str, push: dict, app) -> dict[str, list[str]]:
    """The rules a version's push breaks, each on the version's field it comes from, named
    ("Variant B: …", "zh-Hans: …")."""
    errors: dict[str, list[str]] = {}
    for path, words in push_errors(push, app).items():
        key = next((f"{field}.{key}" for prefix, key in FIELD_OF_PATH
                    if path.startswith(prefix)), field)
        errors.setdefault(key, []).extend(_("%(version)s: %(problem)s") % {
            "version": name, "problem": w} for w in words)
    return errors


def normal_message(version: dict) -> dict:
    return {key: (version.get(key) or "").strip() for key in MESSAGE_FIELDS}


def send_time_errors(send_at, zone: str) -> dict[str, list[str]]:
    """The send time of several pushes at once, checked: given, not past, within the planning
    horizon (services.checked_send_at's rule)."""
    if not isinstance(send_at, dt.datetime) or send_at.tzinfo is None:
        return {"send_at": [_("Choose when the pushes are sent")]}
    if send_at <= timezone.now():
        return {"send_at": [_("%(when)s has passed: choose a later time") % {
            "when": f"{send_at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"}]}
    try:
        checked_send_at(send_at, now=timezone.now())
    except InvalidInput as exc:
        return exc.errors
    return {}


def day_words(day: dt.date) -> str:
    """"Tuesday 2026-12-08", the weekday in the reader's language."""
    return _("%(weekday)s %(day)s") % {"weekday": dateformat.format(day, "l"),
                                       "day": day.isoformat()}


# --- each version a child campaign -----------------------------------------------------------

def version_child(campaign: Campaign, *, label: str, push: dict, authors: list[int],
                  endpoint: str = Campaign.Endpoint.IM_PUSH, **fields) -> Campaign:
    """One push of a campaign sent as several (a variant, a winner, a language version): a
    child campaign named after its parent, written by the parent's authors."""
    child = Campaign.objects.create(
        app=campaign.app, name=f"{campaign.name} · {label}"[:200], push=push,
        timezone=campaign.timezone, parent=campaign, endpoint=endpoint,
        created_by=campaign.created_by, allow_late=campaign.allow_late,
        msg_random=secrets.randbelow(2**32), quiet_hours=campaign.quiet_hours,
        content_by=authors, **fields)
    audit_record(actor=None, verb="campaign.created", subject=child)
    return child


def book_version(child: Campaign, *, user, at: dt.datetime, to: str, which: str) -> None:
    """Book a child through the one booking door; a refusal names which push it was."""
    try:
        campaign_book(child, user=user, at=at, from_=[Campaign.Status.DRAFT], to=to, send_at=at)
    except InvalidInput as exc:
        raise InvalidInput({"send_at": [_("%(which)s: %(problem)s") % {
            "which": which, "problem": m} for ms in exc.errors.values() for m in ms]}) from None
