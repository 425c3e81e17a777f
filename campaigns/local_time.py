"""Delivery at each user's local time: a campaign becomes one push per time-zone bucket, each a
child campaign booked at that zone's chosen hour through the one booking door, so each uses a
push of its own quota day. Users are bucketed by a time-zone attribute (one of the app's ten)
or by tags such as "tz:Asia/Tokyo" (LOCAL_TIME_TAG_PREFIX). Accounts whose value is not a time
zone, and accounts with none, are counted and named before anything is booked."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audience.selectors import (attribute_names, audience_reach, audience_reach_total,
                                missing_value_count, value_counts)
from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.models import App
from core.text import clauses, words_list
from core.times import is_zone, local_to_aware

from .models import Campaign
from .permissions import contributor_ids, require_may_choose_times, require_may_undo
from .quota import pushes_left_on, quota_day_of, quota_limit
from .services import campaign_book, push_errors
from .states import approval_required, campaign_transition

Status = Campaign.Status
BY_ATTRIBUTE, BY_TAGS = "attr", "tags"
# The page names this many values that are not zones, the most held first, then sums the rest.
NAMED_WRONG_VALUES = 10


def zone_values(*, by: str, key: str, push: dict | None = None,
                app: App | None = None) -> dict[str, int]:
    """Every value the app's accounts hold, a zone or not, with how many known accounts hold
    it; given a campaign's push, only the values held in its audience, counted there (a zone
    none of the audience is in would cost a push that reaches nobody)."""
    condition = (push or {}).get("Condition") or None
    other_kind = "Tags" if by == BY_ATTRIBUTE else "Attrs"
    if condition and any(k.startswith(other_kind) for k in condition):
        condition = None  # an audience the split refuses in words: nothing to narrow to
    if by == BY_ATTRIBUTE:
        return value_counts(attribute=key, condition=condition, app=app) if key else {}
    return value_counts(tag_prefix=settings.LOCAL_TIME_TAG_PREFIX, condition=condition, app=app)


def offered_zones(*, by: str, key: str, push: dict | None = None,
                  app: App | None = None) -> dict[str, int]:
    """Real IANA zones that hold the app's known accounts (of the campaign's audience, given
    its push), with how many accounts each holds."""
    return {zone: n for zone, n in sorted(zone_values(by=by, key=key, push=push,
                                                      app=app).items())
            if is_zone(zone)}


def wrong_zone_values(*, by: str, key: str, push: dict | None = None,
                      app: App | None = None) -> dict[str, int]:
    """Values that are not IANA zones ("Berlin", "GMT+8"), the most held first."""
    wrong = [(v, n) for v, n in zone_values(by=by, key=key, push=push, app=app).items()
             if not is_zone(v)]
    return dict(sorted(wrong, key=lambda item: (-item[1], item[0])))


def matched_words(*, by: str, key: str, value: str) -> str:
    """What a bucket's condition matches, as the page and the stored bucket name it."""
    return f"{key}={value}" if by == BY_ATTRIBUTE else settings.LOCAL_TIME_TAG_PREFIX + value


def no_push_words(*, by: str, key: str, push: dict | None = None,
                  app: App | None = None) -> list[str]:
    """One sentence per value that is not a zone; for an audience of everyone, one for the
    app's known accounts with no zone and one for the accounts this product has never seen."""
    if by == BY_ATTRIBUTE and not key:
        return []
    wrong = wrong_zone_values(by=by, key=key, push=push, app=app)
    lines = []
    for value, n in list(wrong.items())[:NAMED_WRONG_VALUES]:
        what = matched_words(by=by, key=key, value=value)
        if by == BY_TAGS:
            what = _("the tag %(tag)s") % {"tag": what}
        lines.append(ngettext(
            "%(n)s account has %(what)s, which is not a time zone; it gets no push.",
            "%(n)s accounts have %(what)s, which is not a time zone; they get no push.", n)
            % {"n": intcomma(n), "what": what})
    rest = list(wrong.values())[NAMED_WRONG_VALUES:]
    if rest:
        lines.append(_("%(values)s more values that are not time zones are held by %(n)s "
                       "accounts; they get no push.") % {"values": len(rest),
                                                        "n": intcomma(sum(rest))})
    if (push or {}).get("Condition"):
        return lines  # who in the audience gets no push: the reach line says how many
    # An audience of everyone: the known accounts with no zone, then the accounts never seen.
    prefix = settings.LOCAL_TIME_TAG_PREFIX
    missing = missing_value_count(attribute=key, app=app) if by == BY_ATTRIBUTE else \
        missing_value_count(tag_prefix=prefix, app=app)
    words = {"n": intcomma(missing), "prefix": prefix, "name": key}
    if missing and by == BY_ATTRIBUTE:
        lines.append(ngettext(
            "%(n)s known account has no time zone: a push condition cannot select accounts by "
            "a tag or attribute they lack, so it gets no push.",
            "%(n)s known accounts have no time zone: a push condition cannot select accounts "
            "by a tag or attribute they lack, so they get no push.", missing) % words)
    elif missing:
        lines.append(ngettext(
            "%(n)s known account has no time-zone tag (%(prefix)s…): a push condition cannot "
            "select accounts by a tag they lack, so it gets no push.",
            "%(n)s known accounts have no time-zone tag (%(prefix)s…): a push condition cannot "
            "select accounts by a tag they lack, so they get no push.", missing) % words)
    lines.append((_(
        "The campaign is for everyone who uses the app, which includes accounts this product "
        "has never tagged or given attributes: they are not counted here, and get no push "
        "unless their %(name)s attribute was set to a chosen zone elsewhere.")
        if by == BY_ATTRIBUTE else _(
        "The campaign is for everyone who uses the app, which includes accounts this product "
        "has never tagged or given attributes: they are not counted here, and get no push "
        "unless a chosen zone's tag (%(prefix)s…) was set on them elsewhere.")) % words)
    return lines


def split_buckets(*, by: str, key: str, zones: list[str], default_zone: str = "",
                  push: dict | None = None, app: App | None = None) -> list[tuple[str, str]]:
    """(the zone whose hour a push goes at, the value its condition matches), one per push.

    With a default zone, each value that is not a zone gets a push of its own at the default
    zone's hour, with the same exact-match condition every bucket has (AttrsAnd or TagsAnd).
    One push holding them all is what Tencent's Condition cannot say safely: AttrsOr holds one
    value per attribute name (spec §2.1), so "tz is Berlin or GMT+8" has no attribute form;
    TagsOr could list ten tags, but the campaign may already use its one TagsOr for its own
    audience, and a list over ten tags is refused (90032). So the conservative choice is one
    push per value, each counted in the cost before anything is booked. Accounts with no value
    at all stay out: no condition selects an account by what it lacks (im_push has no TagsNot),
    and a push to everyone would reach the other buckets' accounts twice."""
    buckets = [(zone, zone) for zone in sorted(set(zones))]
    if default_zone:
        buckets += [(default_zone, value)
                    for value in wrong_zone_values(by=by, key=key, push=push, app=app)]
    return buckets


def bucket_moments(*, day: dt.date, hour: int, zones: list[str]) -> dict[str, dt.datetime]:
    """Each zone's `hour` on `day`. An hour its clocks skip for daylight saving is refused in
    the editor's words (core.times, the one rule), not moved behind the marketer's back."""
    return {zone: local_to_aware(dt.datetime.combine(day, dt.time(hour)), ZoneInfo(zone),
                                 field="hour")
            for zone in sorted(set(zones))}


def passed_zones(moments: dict[str, dt.datetime], now: dt.datetime | None = None) -> list[str]:
    """The zones whose chosen hour on the day has already passed."""
    now = now or timezone.now()
    return sorted(zone for zone, moment in moments.items() if moment <= now)


def passed_words(*, day: dt.date, hour: int, zones: list[str]) -> str:
    return _("%(day)s %(hour)02d:00 has already passed in %(zones)s; choose a later day") % {
        "day": day.isoformat(), "hour": hour, "zones": words_list(zones)}


def split_cost(*, day: dt.date, hour: int, zones: list[str], default_zone: str = "",
               wrong_values: int = 0, app=None) -> dict:
    """What the split will use, per quota day, before anything is saved, and the zones where
    the hour has already passed (the split would be refused)."""
    wrong_values = wrong_values if default_zone else 0
    pushes = [*zones, *[default_zone] * wrong_values]
    moments = bucket_moments(day=day, hour=hour, zones=pushes)
    per_day = Counter(quota_day_of(moments[zone], app) for zone in pushes)
    passed = passed_zones(moments)
    return {"zones": len(zones), "wrong": wrong_values, "limit": quota_limit(app),
            "days": [{"day": d.isoformat(), "pushes": n,
                      "remaining": pushes_left_on(d, app=app)}
                     for d, n in sorted(per_day.items())],
            "passed": passed_words(day=day, hour=hour, zones=passed) if passed else ""}


def cost_words(cost: dict) -> str:
    """"7 zones = 7 of the day's 100 pushes", per quota day the buckets fall on."""
    if cost.get("passed"):
        return cost["passed"]
    if not cost["days"]:  # was "0 zones = 0"
        return _("No time zone is chosen: nothing would be booked.")
    parts = clauses(_("%(n)d of %(day)s's %(limit)d pushes (%(left)d left)")
                    % {"n": d["pushes"], "day": d["day"], "limit": cost["limit"],
                       "left": d["remaining"]} for d in cost["days"])
    words = {"zones": cost["zones"], "wrong": cost.get("wrong", 0), "parts": parts}
    if words["wrong"]:
        return ngettext("%(zones)d zone and %(wrong)d values that are not time zones = "
                        "%(parts)s", "%(zones)d zones and %(wrong)d values that are not time "
                        "zones = %(parts)s", cost["zones"]) % words
    return ngettext("%(zones)d zone = %(parts)s", "%(zones)d zones = %(parts)s",
                    cost["zones"]) % words


def split_reach(*, campaign: Campaign, by: str, key: str,
                buckets: list[tuple[str, str]]) -> dict:
    """The app's known accounts in the campaign's audience, and how many the buckets' pushes
    reach (an account holding two zone values counts in both)."""
    audience = audience_reach((campaign.push or {}).get("Condition"),
                              app=campaign.app)["matching"]
    reached = audience_reach_total([_bucket_push(campaign.push, by=by, key=key, zone=value)
                                    ["Condition"] for _zone, value in buckets], app=campaign.app)
    return {"audience": audience, "reached": reached}


def reach_words(reach: dict) -> str:
    left = reach["audience"] - reach["reached"]
    words = {"reached": intcomma(reach["reached"]), "audience": intcomma(reach["audience"]),
             "left": intcomma(left)}
    if left > 0:
        return ngettext("These pushes reach about %(reached)s of the %(audience)s known "
                        "accounts in the campaign's audience; %(left)s gets no push.",
                        "These pushes reach about %(reached)s of the %(audience)s known "
                        "accounts in the campaign's audience; %(left)s get no push.", left) % words
    return _("These pushes reach about %(reached)s of the %(audience)s known accounts in the "
             "campaign's audience.") % words


def _bucket_push(push: dict, *, by: str, key: str, zone: str) -> dict:
    condition = dict(push.get("Condition") or {})
    if by == BY_ATTRIBUTE:
        condition["AttrsAnd"] = {**condition.get("AttrsAnd", {}), key: zone}
    else:
        tag = settings.LOCAL_TIME_TAG_PREFIX + zone
        if tag in condition.get("TagsOr", []):
            # "any of these tags" holds for every account with the zone's tag: the bucket is
            # that tag alone (Tencent refuses a tag in both lists).
            del condition["TagsOr"]
        if tag not in condition.get("TagsAnd", []):
            condition["TagsAnd"] = [*condition.get("TagsAnd", []), tag]
    return {**push, "Condition": condition}


def default_zone_errors(default_zone) -> dict[str, list[str]]:
    if default_zone and not is_zone(default_zone):
        return {"default_zone": [_("The default time zone must be an IANA time zone such as "
                                   "Asia/Shanghai or Europe/Berlin")]}
    return {}


def source_errors(campaign: Campaign, *, by: str, key: str) -> dict[str, list[str]]:
    """Whether the zones can be read from there for this campaign's audience: shown on the page
    before anything is chosen, and refused on booking."""
    errors: dict[str, list[str]] = {}
    condition = campaign.push.get("Condition") or {}
    if by == BY_ATTRIBUTE:
        if key not in attribute_names(campaign.app).values():
            errors["attribute"] = [_("Choose one of the app's attribute names")]
        elif any(k.startswith("Tags") for k in condition):
            errors["by"] = [_("This campaign targets tags, and Tencent refuses tags and attributes "
                              "together: read the time zones from tags instead")]
        elif key in condition.get("AttrsAnd", {}) or key in condition.get("AttrsOr", {}):
            errors["attribute"] = [_("The campaign's audience already uses the attribute "
                                     "%(name)s; read the time zones from another one") % {"name": key}]
    elif by == BY_TAGS:
        if any(k.startswith("Attrs") for k in condition):
            errors["by"] = [_("This campaign targets attributes, and Tencent refuses tags and "
                              "attributes together: read the time zones from an attribute instead")]
    else:
        errors["by"] = [_("Choose where the time zones are: an attribute or tags")]
    return errors


def _split_errors(campaign: Campaign, *, by: str, key: str, hour, zones, day,
                  default_zone: str) -> dict:
    errors = source_errors(campaign, by=by, key=key)
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        errors["hour"] = [_("The local hour must be a whole hour from 0 to 23")]
    if not isinstance(day, dt.date):
        errors["day"] = [_("The day must be a date like 2026-11-23")]
    errors.update(default_zone_errors(default_zone))
    if not zones:
        errors["zones"] = [_("Choose at least one time zone")]
    elif not errors:
        offered = offered_zones(by=by, key=key, push=campaign.push, app=campaign.app)
        unknown = [z for z in zones if z not in offered]
        if unknown:
            errors["zones"] = [_("No known account of the campaign's audience is in %(zones)s; "
                                 "choose from the time zones offered")
                               % {"zones": words_list(unknown[:5])}]
    return errors


def _checked_split(campaign: Campaign, *, day, hour, by: str, key: str, zones: list[str],
                   default_zone: str, quiet_hours: str) -> tuple[list, dict]:
    """The split's buckets and each zone's moment, or every rule it breaks before booking."""
    errors = _split_errors(campaign, by=by, key=key, hour=hour, zones=zones, day=day,
                           default_zone=default_zone)
    if quiet_hours not in Campaign.QuietHours.values:
        errors["quiet_hours"] = [_("Choose what happens in quiet hours: refuse the time or move it")]
    if errors:
        raise InvalidInput(errors)
    buckets = split_buckets(by=by, key=key, zones=zones, default_zone=default_zone,
                            push=campaign.push, app=campaign.app)
    moments = bucket_moments(day=day, hour=hour, zones=[zone for zone, _value in buckets])
    passed = passed_zones(moments)
    if passed:  # every zone it is too late for at once, not one refusal at a time
        raise InvalidInput({"day": [passed_words(day=day, hour=hour, zones=passed)]})
    return buckets, moments


@transaction.atomic
def campaign_split_by_zone(*, campaign: Campaign, user, day: dt.date, hour: int, by: str,
                           key: str = "", zones: list[str], default_zone: str = "",
                           quiet_hours: str = Campaign.QuietHours.REFUSE) -> list[Campaign]:
    """All buckets are booked or none: one full day, a time already past, an hour the clocks
    skip or a refusal by quiet hours rolls the whole split back."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    # Under approval only an approved campaign is split (its buckets are its approved version).
    splittable = Status.APPROVED if approval_required() else Status.DRAFT
    if campaign.status != splittable or campaign.parent_id:
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be delivered at each user's local time"))
    if approval_required():
        require_may_choose_times(user, campaign)
    zones = sorted(set(zones or []))
    buckets, moments = _checked_split(campaign, day=day, hour=hour, by=by, key=key, zones=zones,
                                      default_zone=default_zone, quiet_hours=quiet_hours)
    children = []
    # Quota days are locked in date order, so two splits cannot wait on each other.
    for zone, value in sorted(buckets, key=lambda b: (moments[b[0]], b[0], b[0] != b[1], b[1])):
        moment = moments[zone]
        push = _bucket_push(campaign.push, by=by, key=key, zone=value)
        problems = push_errors(push, campaign.app)
        if problems:
            raise InvalidInput(problems)
        matched = "" if value == zone else matched_words(by=by, key=key, value=value)
        child = Campaign.objects.create(
            app=campaign.app, name=f"{campaign.name} · {zone}{f' ({matched})' if matched else ''}"[:200],
            push=push, timezone=zone, parent=campaign, bucket_zone=zone, bucket_value=matched,
            created_by=campaign.created_by, allow_late=campaign.allow_late,
            msg_random=secrets.randbelow(2**32), quiet_hours=quiet_hours,
            content_by=sorted(contributor_ids(campaign)))
        audit_record(actor=user, verb="campaign.created", subject=child)
        try:
            campaign_book(child, user=user, at=moment, from_=[Status.DRAFT], send_at=moment)
        except InvalidInput as exc:
            raise InvalidInput({"zones": [
                # A zone's name, not a field's: which bucket could not be booked, and why.
                _("%(zone)s: %(problem)s") % {"zone": zone, "problem": m}
                for ms in exc.errors.values() for m in ms]}) from None
        children.append(child)
    if not campaign_transition(campaign, to=Status.SPLIT, actor=user, from_=[splittable],
                               reason="split_by_zone", params={"zones": len(children),
                                                               "hour": f"{hour:02d}"}):
        raise TransitionRefused(_("Only a draft (an approved campaign, when approval is on) can "
                                  "be delivered at each user's local time"))
    audit_record(actor=user, verb="campaign.split", subject=campaign, zones=len(children),
                 hour=f"{hour:02d}")
    return children


# --- with approval on: a draft's plan, split when it is approved ---------------------------

def plan_arguments(plan: dict) -> dict:
    """A stored plan as campaign_split_by_zone's arguments."""
    return {"day": dt.date.fromisoformat(plan["day"]), "hour": plan["hour"], "by": plan["by"],
            "key": plan["key"], "zones": plan["zones"], "default_zone": plan["default_zone"],
            "quiet_hours": plan["quiet_hours"]}


@transaction.atomic
def local_plan_save(*, campaign: Campaign, user, day: dt.date, hour: int, by: str,
                    key: str = "", zones: list[str], default_zone: str = "",
                    quiet_hours: str = Campaign.QuietHours.REFUSE) -> Campaign:
    """With approval on, what a draft's author asks for instead of one send time: the split,
    checked as the split is before it books (zones, day, hour; the quota days and quiet hours
    are the booking's, when approved) and kept on the draft, so the approver sees every push's
    time and cost, and approving the draft books them (campaigns.approval). It is the saver's
    hand in the campaign (permissions.CONTRIBUTING): they do not approve it."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not approval_required() or campaign.status != Status.DRAFT or campaign.parent_id \
            or campaign.series_id:
        raise TransitionRefused(_("A plan for delivery at each user's local time is saved on a "
                                  "draft, with approval on: edit the campaign to return it to "
                                  "draft first"))
    zones = sorted(set(zones or []))
    buckets, _moments = _checked_split(campaign, day=day, hour=hour, by=by, key=key,
                                       zones=zones, default_zone=default_zone,
                                       quiet_hours=quiet_hours)
    campaign.local_plan = {"day": day.isoformat(), "hour": hour, "by": by, "key": key,
                           "zones": zones, "default_zone": default_zone,
                           "quiet_hours": quiet_hours}
    campaign.send_at = None  # the plan's times are the campaign's times
    campaign.save(update_fields=["local_plan", "send_at", "updated_at"])
    audit_record(actor=user, verb="campaign.local_time_planned", subject=campaign,
                 day=day.isoformat(), hour=f"{hour:02d}", pushes=len(buckets))
    return campaign


def local_plan_view(campaign: Campaign) -> dict | None:
    """The draft's plan as the detail page and its approval card show it: one sentence, each
    push's zone with its local time there and its quota day, the cost and the reach."""
    if not campaign.local_plan or not approval_required():
        return None
    plan = plan_arguments(campaign.local_plan)
    buckets = split_buckets(by=plan["by"], key=plan["key"], zones=plan["zones"],
                            default_zone=plan["default_zone"], push=campaign.push,
                            app=campaign.app)
    words = ngettext("To be sent on %(day)s at %(hour)02d:00 local time in each account's "
                     "zone: %(n)d push.",
                     "To be sent on %(day)s at %(hour)02d:00 local time in each account's "
                     "zone: %(n)d pushes.", len(buckets)) % {
        "day": plan["day"].isoformat(), "hour": plan["hour"], "n": len(buckets)}
    try:
        moments = bucket_moments(day=plan["day"], hour=plan["hour"],
                                 zones=[zone for zone, _value in buckets])
    except InvalidInput as exc:  # a default zone added since, whose hour the clocks skip
        return {"words": words, "pushes": [], "cost_words": " ".join(
            m for ms in exc.errors.values() for m in ms), "reach_words": ""}
    pushes = [{"zone": zone, "matched": "" if value == zone else matched_words(
                   by=plan["by"], key=plan["key"], value=value),
               "local": f"{moments[zone].astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}",
               "quota_day": quota_day_of(moments[zone], campaign.app)}
              for zone, value in sorted(buckets, key=lambda b: (moments[b[0]], b[0], b[1]))]
    cost = split_cost(day=plan["day"], hour=plan["hour"], zones=plan["zones"],
                      default_zone=plan["default_zone"],
                      wrong_values=len(buckets) - len(plan["zones"]), app=campaign.app)
    reach = split_reach(campaign=campaign, by=plan["by"], key=plan["key"], buckets=buckets)
    return {"words": words, "pushes": pushes, "cost_words": cost_words(cost),
            "reach_words": reach_words(reach)}


@transaction.atomic
def split_cancel(*, campaign: Campaign, user) -> Campaign:
    """Cancel a split parent and each of its buckets not sent yet."""
    require_may_undo(user, campaign.created_by_id)
    if not campaign_transition(campaign, to=Status.CANCELLED, actor=user, from_=[Status.SPLIT]):
        raise TransitionRefused(_("Only a campaign split by time zone can be cancelled here"))
    for child in campaign.buckets.filter(status=Status.SCHEDULED):
        campaign_transition(child, to=Status.CANCELLED, actor=user, from_=[Status.SCHEDULED])
    return campaign
