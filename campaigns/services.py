"""Writes to campaigns: create, edit, schedule, cancel, and the operator's review actions.

Validation of the push itself is the pushclient payload rules and nothing else.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pushclient.payload import by_field, push_violations

from .models import Campaign, CampaignEvent
from .push_rules import push_product_errors
from .quota import quota_booked, quota_day_of, quota_used

PUSH_FIELDS = {"MsgBody", "Condition", "OfflinePushInfo", "MsgLifeTime", "From_Account"}


class CampaignInvalid(Exception):
    """Bad input: `errors` maps each field to the rules it broke."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class TransitionRefused(Exception):
    """The action is not allowed in the campaign's current status."""


def push_errors(push, *, attr_names=None) -> dict[str, list[str]]:
    if not isinstance(push, dict):
        return {"push": ["push must be an object holding the im_push body"]}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(push) - PUSH_FIELDS):
        errors.setdefault(f"push.{key}", []).append(
            f"push.{key} is not an im_push field; use {', '.join(sorted(PUSH_FIELDS))}")
    for field, messages in by_field(push_violations(push, attr_names=attr_names,
                                                     require_msg_random=False)).items():
        errors.setdefault(field, []).extend(messages)
    for field, messages in push_product_errors(push).items():
        errors.setdefault(field, []).extend(messages)
    return errors


def _name_errors(name) -> dict[str, list[str]]:
    if not isinstance(name, str) or not name.strip():
        return {"name": ["name is required"]}
    if len(name) > 200:
        return {"name": [f"name is {len(name)} characters; at most 200 are allowed"]}
    return {}


def _apply_push(campaign: Campaign, push: dict) -> None:
    campaign.msg_body = push["MsgBody"]
    campaign.condition = push.get("Condition") or None
    campaign.offline_push_info = push.get("OfflinePushInfo") or None
    campaign.msg_life_time = push.get("MsgLifeTime", 0)
    campaign.from_account = push.get("From_Account", "")


def _record(campaign: Campaign, user, action: str, detail: str = "") -> None:
    CampaignEvent.objects.create(campaign=campaign, actor=user, action=action, detail=detail)


def _check_capacity(send_at: dt.datetime, *, exclude_id: int | None) -> None:
    day = quota_day_of(send_at)
    remaining = settings.PUSH_DAILY_QUOTA - quota_used(day) - quota_booked(day, exclude_id=exclude_id)
    if remaining <= 0:
        raise CampaignInvalid({"send_at": [
            f"{day.isoformat()} is full: {settings.PUSH_DAILY_QUOTA} pushes are used or booked "
            f"and 0 remain; choose another day"]})


def _check_send_at(send_at) -> dt.datetime:
    if not isinstance(send_at, dt.datetime) or timezone.is_naive(send_at):
        raise CampaignInvalid({"send_at": ["send_at must be a date and time with a time zone"]})
    return send_at


@transaction.atomic
def campaign_create(*, user, name: str, push: dict, send_at: dt.datetime | None = None,
                    tz: str | None = None, allow_late: bool = False,
                    attr_names=None) -> Campaign:
    errors = {**_name_errors(name), **push_errors(push, attr_names=attr_names)}
    if errors:
        raise CampaignInvalid(errors)
    campaign = Campaign(name=name.strip(), created_by=user, allow_late=allow_late,
                        timezone=tz or settings.TIME_ZONE, msg_random=secrets.randbelow(2**32))
    _apply_push(campaign, push)
    campaign.save()
    _record(campaign, user, "created")
    if send_at is not None:
        campaign = campaign_schedule(campaign=campaign, user=user, send_at=send_at)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, user, name: str | None = None,
                    push: dict | None = None, allow_late: bool | None = None,
                    tz: str | None = None, attr_names=None) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in Campaign.EDITABLE:
        raise TransitionRefused(f"A {campaign.get_status_display().lower()} campaign cannot be "
                                "edited; only drafts and scheduled campaigns can")
    errors = {**(_name_errors(name) if name is not None else {}),
              **(push_errors(push, attr_names=attr_names) if push is not None else {})}
    if errors:
        raise CampaignInvalid(errors)
    if name is not None:
        campaign.name = name.strip()
    if push is not None:
        _apply_push(campaign, push)
    if allow_late is not None:
        campaign.allow_late = allow_late
    if tz is not None:
        campaign.timezone = tz
    campaign.save()
    _record(campaign, user, "edited")
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, user, send_at: dt.datetime) -> Campaign:
    send_at = _check_send_at(send_at)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in Campaign.EDITABLE:
        raise TransitionRefused(f"A {campaign.get_status_display().lower()} campaign cannot be "
                                "scheduled")
    _check_capacity(max(send_at, timezone.now()), exclude_id=campaign.pk)
    campaign.status, campaign.status_reason = Campaign.Status.SCHEDULED, ""
    campaign.send_at = campaign.due_at = send_at
    campaign.save()
    _record(campaign, user, "scheduled", f"for {send_at.isoformat()}")
    return campaign


def _transition(campaign: Campaign, user, *, allowed, to: str, action: str, **changes) -> Campaign:
    """A conditional update, so a racing sender or second click cannot both win."""
    changed = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(
        status=to, updated_at=timezone.now(), **changes)
    campaign.refresh_from_db()
    if not changed:
        raise TransitionRefused(f"A {campaign.get_status_display().lower()} campaign cannot be "
                                f"{action}")
    _record(campaign, user, action)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, user) -> Campaign:
    return _transition(campaign, user, allowed=Campaign.CANCELLABLE,
                       to=Campaign.Status.CANCELLED, action="cancelled")


@transaction.atomic
def campaign_mark_sent(*, campaign: Campaign, user) -> Campaign:
    return _transition(campaign, user, allowed=[Campaign.Status.NEEDS_REVIEW],
                       to=Campaign.Status.SENT, action="marked sent",
                       status_reason="An operator confirmed it was sent", sent_at=timezone.now())


@transaction.atomic
def campaign_send_again(*, campaign: Campaign, user) -> Campaign:
    now = timezone.now()
    _check_capacity(now, exclude_id=campaign.pk)
    return _transition(campaign, user, allowed=[Campaign.Status.NEEDS_REVIEW],
                       to=Campaign.Status.SCHEDULED, action="sent again", due_at=now,
                       allow_late=True, status_reason="An operator asked to send it again")


def campaign_duplicate(*, campaign: Campaign, user) -> Campaign:
    return campaign_create(user=user, name=f"{campaign.name} (copy)"[:200], push=campaign.push,
                           tz=campaign.timezone, allow_late=campaign.allow_late)
