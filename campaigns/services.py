"""Writes to campaigns: create, edit, schedule, send now, cancel, and the operator's review
actions. Each is one transaction: it is kept whole or not at all.

The push is checked here, once, with everything the rules need; the sender sends it unchanged.
"""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audience.selectors import attribute_names_for_rules
from core.audit import audit_record
from core.chat_apps import app_or_default, apps_for
from core.models import App
from core.errors import InvalidInput, TransitionRefused
from core.text import unsafe_text_errors
from core.times import aware_or_error, zone_or_error
from core.payload_words import invalid_input, words_by_field
from pushclient.payload import ATTR_KEYS, Violation, push_violations

from .models import Campaign
from .permissions import contributor_ids, require_may_set_time, require_may_undo
from .push_rules import push_product_violations
from .quiet import quiet_hours_apply
from .quota import quota_day_lock, quota_day_of, quota_limit, pushes_left_on
from .states import (AWAITING_OR_APPROVED, EDITABLE, approval_required, bookable_from,
                     campaign_transition)

PUSH_FIELDS = ("MsgBody", "Condition", "OfflinePushInfo", "MsgLifeTime", "From_Account")
Status = Campaign.Status
UNSET = object()

def push_rule_violations(push, app: App | None = None) -> list[Violation]:
    """Every rule the push breaks, each with its rule id: Tencent's documented rules
    (pushclient) checked against the app's attribute names (the default app's when none is
    named), then the product's own."""
    if not isinstance(push, dict):
        return [Violation("push", "push.not_object", code=90001)]
    violations = [Violation(key, "push.unknown_field", {"key": key, "fields": PUSH_FIELDS})
                  for key in sorted(set(push) - set(PUSH_FIELDS))]
    condition = push.get("Condition")
    attr_names = None
    if isinstance(condition, dict) and any(k in condition for k in ATTR_KEYS):
        attr_names = attribute_names_for_rules(app)
        if attr_names is None:
            violations.append(Violation("Condition", "attrs.names_unreadable"))
            attr_names = ()
    violations += push_violations(push, attr_names=attr_names, require_msg_random=False)
    return violations + push_product_violations(push)


def push_errors(push, app: App | None = None) -> dict[str, list[str]]:
    """{wire path: [words]}, the shape forms and the JSON API show."""
    return unsafe_text_errors(push, "") or words_by_field(push_rule_violations(push, app), push)


def _check_push(push, name_errors: dict[str, list[str]], app: App) -> None:
    """Raises InvalidInput for a bad name (`name_errors`) or any broken rule of the app's
    push."""
    unsafe = unsafe_text_errors(push, "") if push is not None else {}
    violations = push_rule_violations(push, app) if push is not None and not unsafe else []
    if name_errors or unsafe or violations:
        raise invalid_input(violations, push=push, errors={**name_errors, **unsafe})


def _name_errors(name) -> dict[str, list[str]]:
    if not isinstance(name, str) or not name.strip():
        return {"name": [_("Give the campaign a name")]}
    if len(name) > 200:
        return {"name": [_("The name is %(n)d characters; at most %(max)d are allowed")
                         % {"n": len(name), "max": 200}]}
    return unsafe_text_errors(name, "name")


def _quiet_hours_errors(choice) -> dict[str, list[str]]:
    if choice not in Campaign.QuietHours.values:
        return {"quiet_hours": [_("Choose what happens in quiet hours: refuse the time or move it")]}
    return {}


def _stored_push(push: dict) -> dict:
    return {key: push[key] for key in PUSH_FIELDS if push.get(key) not in (None, {}, "")}


def checked_send_at(send_at, *, now: dt.datetime) -> dt.datetime:
    send_at = aware_or_error(send_at, field="send_at")
    if send_at < now - dt.timedelta(seconds=settings.PUSH_SCHEDULE_SKEW_SECONDS):
        raise InvalidInput({"send_at": [_(
            "this time is in the past (%(when)s); choose a later time, or use Send now")
            % {"when": send_at.isoformat(timespec="minutes")}]})
    if send_at > now + dt.timedelta(days=settings.PUSH_SCHEDULE_MAX_DAYS):
        raise InvalidInput({"send_at": [_(
            "this time is more than %(days)d days ahead; campaigns can be planned up to then")
            % {"days": settings.PUSH_SCHEDULE_MAX_DAYS}]})
    return send_at


def _book(campaign: Campaign, *, user, at: dt.datetime, now: dt.datetime,
          from_=None, reason: str = "", params: dict | None = None, quiet: bool = True,
          to: str = Status.SCHEDULED, **changes) -> None:
    """Book the campaign to go at `at`, into its quota day, under that day's lock; a time in
    the workspace's quiet hours is refused or moved, as the campaign's author chose. A
    person's booking (no `from_`) needs approval first when approval is on."""
    if from_ is None:  # a person's booking
        from_ = bookable_from()
        if approval_required() and campaign.status in from_:
            require_may_set_time(user, campaign, at)
    if quiet:
        at, moved = quiet_hours_apply(at, ZoneInfo(campaign.timezone), policy=campaign.quiet_hours)
        if moved:
            reason, params = "moved_quiet_hours", moved
    app = campaign.app
    day = quota_day_of(max(at, now), app)
    quota_day_lock(day, app)
    if pushes_left_on(day, exclude_id=campaign.pk, app=app) <= 0:
        raise InvalidInput({"send_at": [_(
            "%(day)s is full: %(limit)d pushes are used or booked and none remain; choose "
            "another day") % {"day": day.isoformat(), "limit": quota_limit(app)}]})
    moving = campaign.status == Status.SCHEDULED
    if not campaign_transition(campaign, to=to, actor=user, from_=from_,
                               reason=reason, params=params, due_at=at, **changes):
        raise _refused(campaign, _("scheduled"))
    if moving:  # "Scheduled → Scheduled" alone does not say what changed
        local = at.astimezone(ZoneInfo(campaign.timezone))
        audit_record(actor=user, verb="campaign.rescheduled", subject=campaign,
                     when=f"{local:%Y-%m-%d %H:%M} {campaign.timezone}")
    campaign.refresh_from_db()  # times read back as the database holds them, like a GET


def campaign_book(campaign: Campaign, *, user, at: dt.datetime, from_, reason: str = "",
                  params: dict | None = None, to: str = Status.SCHEDULED, **changes) -> None:
    """The one booking door for series occurrences, time-zone buckets and A/B tests' pushes
    (call inside a transaction): the same quota formula and per-day lock as every other
    booking. `to=held`: an A/B test's winner, booked but sent only once the test decides."""
    _book(campaign, user=user, at=at, now=timezone.now(), from_=from_, reason=reason,
          params=params, to=to, **changes)


def _refused(campaign: Campaign, action: str) -> TransitionRefused:
    campaign.refresh_from_db(fields=["status"])
    if approval_required() and campaign.status in (Status.DRAFT, Status.PENDING_APPROVAL) \
            and action == _("scheduled"):
        return TransitionRefused(_("This campaign needs approval before it is scheduled or "
                                   "sent: submit it for approval"))
    return TransitionRefused(_("A campaign that is %(status)s cannot be %(action)s")
                             % {"status": campaign.get_status_display().lower(),
                                "action": action})


@transaction.atomic
def campaign_create(*, user, name: str, push: dict, send_at: dt.datetime | None = None,
                    tz: str | None = None, allow_late: bool = False,
                    quiet_hours: str = Campaign.QuietHours.REFUSE,
                    content_by=(), app=None) -> Campaign:
    """A new campaign of `app` (the default app when none is named)."""
    app = app_or_default(app)
    name_errors = {**_name_errors(name), **_quiet_hours_errors(quiet_hours)}
    _check_push(push, name_errors, app)
    zone = zone_or_error(settings.TIME_ZONE if tz is None else tz)
    now = timezone.now()
    if send_at is not None:
        send_at = checked_send_at(send_at, now=now)
    campaign = Campaign.objects.create(
        app=app, name=name.strip(), created_by=user, allow_late=allow_late, timezone=zone.key,
        push=_stored_push(push), msg_random=secrets.randbelow(2**32), quiet_hours=quiet_hours,
        content_by=sorted(set(content_by)))
    audit_record(actor=user, verb="campaign.created", subject=campaign)
    if send_at is not None and approval_required():
        campaign.send_at = send_at  # booked when approved
        campaign.save(update_fields=["send_at"])
    elif send_at is not None:
        _book(campaign, user=user, at=send_at, now=now, send_at=send_at)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, user, name: str | None = None,
                    push: dict | None = None, allow_late: bool | None = None,
                    tz: str | None = None, send_at=UNSET,
                    quiet_hours: str | None = None) -> Campaign:
    """Change what is given and, with `send_at`, book it: all or nothing."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE | AWAITING_OR_APPROVED:
        raise _refused(campaign, _("edited"))
    name_errors = {**(_name_errors(name) if name is not None else {}),
                   **(_quiet_hours_errors(quiet_hours) if quiet_hours is not None else {})}
    _check_push(push, name_errors, campaign.app)
    now = timezone.now()
    if tz is not None:
        campaign.timezone = zone_or_error(tz).key
    if send_at is not UNSET and send_at is not None:
        send_at = checked_send_at(send_at, now=now)
    if name is not None:
        campaign.name = name.strip()
    if push is not None:
        campaign.push = _stored_push(push)
    if allow_late is not None:
        campaign.allow_late = allow_late
    if quiet_hours is not None:
        campaign.quiet_hours = quiet_hours
    if approval_required() and send_at is not UNSET:
        campaign.send_at = send_at  # booked when approved
        if send_at is not None:
            campaign.local_plan = {}  # one send time instead of a local-time plan
    campaign.save()
    audit_record(actor=user, verb="campaign.edited", subject=campaign)
    if approval_required():
        # Approval covers one version: an edit of a campaign waiting, approved or booked
        # after approval returns it to draft (and out of its quota day), to be submitted again.
        if campaign.status != Status.DRAFT:
            campaign_transition(campaign, to=Status.DRAFT, actor=user, from_=[campaign.status],
                                reason="edited_after_approval", due_at=None)
    elif send_at is not UNSET and send_at is not None:
        _book(campaign, user=user, at=send_at, now=now, send_at=send_at)
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, user, send_at: dt.datetime) -> Campaign:
    now = timezone.now()
    send_at = checked_send_at(send_at, now=now)
    _book(campaign, user=user, at=send_at, now=now, send_at=send_at)
    return campaign


@transaction.atomic
def campaign_send_now(*, campaign: Campaign, user) -> Campaign:
    now = timezone.now()
    _book(campaign, user=user, at=now, now=now, send_at=now)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, user) -> Campaign:
    require_may_undo(user, campaign.created_by_id)
    if not campaign_transition(campaign, to=Status.CANCELLED, actor=user):
        raise _refused(campaign, _("cancelled"))
    return campaign


@transaction.atomic
def campaign_mark_sent(*, campaign: Campaign, user) -> Campaign:
    if not campaign_transition(campaign, to=Status.SENT, actor=user, from_=[Status.NEEDS_REVIEW],
                               reason="operator_confirmed", sent_at=timezone.now()):
        raise _refused(campaign, _("marked sent"))
    return campaign


@transaction.atomic
def campaign_send_again(*, campaign: Campaign, user) -> Campaign:
    now = timezone.now()
    _book(campaign, user=user, at=now, now=now, from_=[Status.NEEDS_REVIEW],
          reason="operator_send_again", quiet=False, allow_late=True)
    return campaign


def campaign_copy_to_app(*, campaign: Campaign, user, app) -> Campaign:
    """A draft of the campaign in another of the person's apps (tried on staging, sent from
    production): its message and audience, to be scheduled, and approved, there. Tag and
    attribute names are the target app's: the audience is checked when it is booked."""
    if not apps_for(user).filter(pk=app.pk).exists():
        raise InvalidInput({"app": [_("You do not work in that app")]})
    if app.pk == campaign.app_id:
        raise InvalidInput({"app": [_("The campaign is already in %(app)s: duplicate it "
                                      "instead") % {"app": app.label}]})
    return campaign_create(user=user, app=app, name=campaign.name, push=campaign.push,
                           tz=campaign.timezone, allow_late=campaign.allow_late,
                           content_by=contributor_ids(campaign))


def campaign_duplicate(*, campaign: Campaign, user) -> Campaign:
    return campaign_create(user=user, app=campaign.app, name=f"{campaign.name} (copy)"[:200],
                           push=campaign.push,
                           tz=campaign.timezone, allow_late=campaign.allow_late,
                           content_by=contributor_ids(campaign))
