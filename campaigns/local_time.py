"""Delivery at each user's local time: a campaign becomes one push per time-zone bucket, each a
child campaign booked at that zone's chosen hour through the one booking door, so each uses a
push of its own quota day. Users are bucketed by a time-zone attribute (one of the app's ten)
or by tags such as "tz:Asia/Tokyo" (LOCAL_TIME_TAG_PREFIX)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audience.selectors import attribute_names, zone_counts
from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.times import is_zone

from .models import Campaign
from .permissions import require_may_choose_times, require_may_undo
from .quiet import local_moment
from .quota import quota_day_of, quota_remaining
from .services import campaign_book, push_errors
from .states import approval_required, campaign_transition

Status = Campaign.Status
BY_ATTRIBUTE, BY_TAGS = "attr", "tags"


def offered_zones(*, by: str, key: str) -> dict[str, int]:
    """Real IANA zones that hold known accounts, with how many accounts each holds."""
    counts = zone_counts(attribute=key) if by == BY_ATTRIBUTE else \
        zone_counts(tag_prefix=settings.LOCAL_TIME_TAG_PREFIX)
    return {zone: n for zone, n in sorted(counts.items()) if is_zone(zone)}


def bucket_moments(*, day: dt.date, hour: int, zones: list[str]) -> dict[str, dt.datetime]:
    return {zone: local_moment(dt.datetime.combine(day, dt.time(hour)), ZoneInfo(zone))
            for zone in zones}


def split_cost(*, day: dt.date, hour: int, zones: list[str]) -> dict:
    """What the split will use, per quota day, before anything is saved."""
    moments = bucket_moments(day=day, hour=hour, zones=zones)
    per_day = Counter(quota_day_of(m) for m in moments.values())
    return {"zones": len(zones), "limit": settings.PUSH_DAILY_QUOTA,
            "days": [{"day": d.isoformat(), "pushes": n, "remaining": quota_remaining(d)}
                     for d, n in sorted(per_day.items())]}


def cost_words(cost: dict) -> str:
    """"7 zones = 7 of the day's 100 pushes", per quota day the buckets fall on."""
    parts = [_("%(n)d of %(day)s's %(limit)d pushes (%(left)d left)")
             % {"n": d["pushes"], "day": d["day"], "limit": cost["limit"], "left": d["remaining"]}
             for d in cost["days"]]
    return _("%(zones)d zones = %(parts)s") % {"zones": cost["zones"],
                                              "parts": "; ".join(parts) or "0"}


def _bucket_push(push: dict, *, by: str, key: str, zone: str) -> dict:
    condition = dict(push.get("Condition") or {})
    if by == BY_ATTRIBUTE:
        condition["AttrsAnd"] = {**condition.get("AttrsAnd", {}), key: zone}
    else:
        condition["TagsAnd"] = [*condition.get("TagsAnd", []),
                                settings.LOCAL_TIME_TAG_PREFIX + zone]
    return {**push, "Condition": condition}


def _split_errors(campaign: Campaign, *, by: str, key: str, hour, zones, day) -> dict:
    errors: dict[str, list[str]] = {}
    condition = campaign.push.get("Condition") or {}
    if by == BY_ATTRIBUTE:
        if key not in attribute_names().values():
            errors["attribute"] = [_("attribute must be one of the app's attribute names")]
        elif any(k.startswith("Tags") for k in condition):
            errors["by"] = [_("by: this campaign targets tags, and Tencent refuses tags and "
                              "attributes together; bucket by tags instead")]
        elif key in condition.get("AttrsAnd", {}) or key in condition.get("AttrsOr", {}):
            errors["attribute"] = [_("attribute %(name)s is already in the campaign's "
                                     "condition") % {"name": key}]
    elif by == BY_TAGS:
        if any(k.startswith("Attrs") for k in condition):
            errors["by"] = [_("by: this campaign targets attributes, and Tencent refuses tags "
                              "and attributes together; bucket by an attribute instead")]
    else:
        errors["by"] = [_("by must be attr or tags")]
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        errors["hour"] = [_("hour must be a whole hour from 0 to 23")]
    if not isinstance(day, dt.date):
        errors["day"] = [_("day must be a date like 2026-11-23")]
    if not zones:
        errors["zones"] = [_("zones: choose at least one time zone")]
    elif not errors:
        offered = offered_zones(by=by, key=key)
        unknown = [z for z in zones if z not in offered]
        if unknown:
            errors["zones"] = [_("zones: %(zones)s hold no known account; choose from the "
                                 "zones offered") % {"zones": ", ".join(unknown[:5])}]
    return errors


@transaction.atomic
def campaign_split_by_zone(*, campaign: Campaign, user, day: dt.date, hour: int, by: str,
                           key: str = "", zones: list[str],
                           quiet_hours: str = Campaign.QuietHours.REFUSE) -> list[Campaign]:
    """All buckets are booked or none: one full day, a time already past or a refusal by quiet
    hours rolls the whole split back."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    # Under approval only an approved campaign is split (its buckets are its approved version).
    splittable = Status.APPROVED if approval_required() else Status.DRAFT
    if campaign.status != splittable or campaign.parent_id:
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be delivered at each user's local time"))
    if approval_required():
        require_may_choose_times(user, campaign)
    zones = sorted(set(zones or []))
    errors = _split_errors(campaign, by=by, key=key, hour=hour, zones=zones, day=day)
    if quiet_hours not in Campaign.QuietHours.values:
        errors["quiet_hours"] = [_("quiet_hours must be refuse or move")]
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    moments = bucket_moments(day=day, hour=hour, zones=zones)
    children = []
    # Quota days are locked in date order, so two splits cannot wait on each other.
    for zone, moment in sorted(moments.items(), key=lambda item: (item[1], item[0])):
        if moment <= now:
            raise InvalidInput({"day": [_("%(day)s %(hour)02d:00 in %(zone)s has already "
                                          "passed; choose a later day") % {
                "day": day.isoformat(), "hour": hour, "zone": zone}]})
        push = _bucket_push(campaign.push, by=by, key=key, zone=zone)
        problems = push_errors(push)
        if problems:
            raise InvalidInput(problems)
        child = Campaign.objects.create(
            name=f"{campaign.name} · {zone}"[:200], push=push, timezone=zone, parent=campaign,
            bucket_zone=zone, created_by=campaign.created_by, allow_late=campaign.allow_late,
            msg_random=secrets.randbelow(2**32), quiet_hours=quiet_hours)
        audit_record(actor=user, verb="campaign.created", subject=child)
        try:
            campaign_book(child, user=user, at=moment, from_=[Status.DRAFT], send_at=moment)
        except InvalidInput as exc:
            raise InvalidInput({"zones": [f"{zone}: {m}" for ms in exc.errors.values()
                                          for m in ms]}) from None
        children.append(child)
    if not campaign_transition(campaign, to=Status.SPLIT, actor=user, from_=[splittable],
                               reason="split_by_zone", params={"zones": len(zones),
                                                               "hour": f"{hour:02d}"}):
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be delivered at each user's local time"))
    audit_record(actor=user, verb="campaign.split", subject=campaign, zones=len(zones),
                 hour=f"{hour:02d}")
    return children


@transaction.atomic
def split_cancel(*, campaign: Campaign, user) -> Campaign:
    """Cancel a split parent and each of its buckets not sent yet."""
    require_may_undo(user, campaign.created_by_id)
    if not campaign_transition(campaign, to=Status.CANCELLED, actor=user, from_=[Status.SPLIT]):
        raise TransitionRefused(_("Only a campaign split by time zone can be cancelled here"))
    for child in campaign.buckets.filter(status=Status.SCHEDULED):
        campaign_transition(child, to=Status.CANCELLED, actor=user, from_=[Status.SCHEDULED])
    return campaign
