"""The one audit trail: every campaign change and send, job, attribute-name change, API token,
login and role change is one AuditEvent, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .models import AuditEvent
from .roles import role_words
from .text import words_list

# What each verb says, with its parameters. Unknown parameters are left out of the words.
VERBS = {
    "campaign.created": _("created the campaign"),
    "campaign.edited": _("edited the campaign"),
    "campaign.rescheduled": _("moved the send time to {when}"),
    "campaign.status": _("status {from_status} → {to_status}"),
    "job.created": ngettext_lazy("started a job: {action} on {segment} ({accounts} account)",
                                 "started a job: {action} on {segment} ({accounts} accounts)",
                                 "accounts"),
    "campaign.test_sent": _("sent a test (accounts: {accounts}; Tencent accepted: {reached})"),
    "quota.limit_set": _("set the daily push limit: {before} → {after}"),
    "job.status": _("status {from_status} → {to_status}"),
    "job.cancelled": _("cancelled the job"),
    "job.resumed": _("resumed the job"),
    "segment.status": _("status {from_status} → {to_status}"),
    "campaign.test_unanswered": ngettext_lazy(
        "a test send to {accounts} account got no answer (its request stopped during the "
        "call): whether it went out is unknown",
        "a test send to {accounts} accounts got no answer (its request stopped during the "
        "call): whether it went out is unknown", "accounts"),
    "account.changed": _("{operation} on account {account}: {values}"),
    "attribute_names.set": _("set attribute names: {names}"),
    "attribute_names.read_back": _("read attribute names back from Tencent: {names}"),
    "token.created": _("created an API token: {name}"),
    "token.revoked": _("revoked an API token: {name}"),
    "user.logged_in": _("signed in"),
    "user.roles_changed": _("changed roles: {change} {groups}"),
    # Rows from before the one trail that name no verb of today (core/migrations/0004).
    "legacy": _("{action} {detail}"),
    # Team planning: templates, recurring series, local-time delivery, approval.
    "template.saved": _("saved the message template {name}"),
    "template.deleted": _("deleted the message template {name}"),
    "series.created": _("created the recurring series: {rule}"),
    "series.edited": _("edited the recurring series (future occurrences): {rule}"),
    "series.ended": _("ended the recurring series"),
    "campaign.split": ngettext_lazy(
        "split the campaign into {zones} time-zone push at {hour}:00 local time",
        "split the campaign into {zones} time-zone pushes at {hour}:00 local time", "zones"),
    "campaign.local_time_planned": ngettext_lazy(
        "planned it for {hour}:00 local time on {day}, one push per time zone ({pushes} push), "
        "to be booked when approved",
        "planned it for {hour}:00 local time on {day}, one push per time zone ({pushes} "
        "pushes), to be booked when approved", "pushes"),
    "campaign.submitted": _("submitted the campaign for approval"),
    # A/B tests (campaigns/experiments.py), on their campaign's timeline.
    "experiment.planned": ngettext_lazy(
        "planned an A/B test of {variants} variant, to be booked when approved",
        "planned an A/B test of {variants} variants, to be booked when approved", "variants"),
    "experiment.booked": ngettext_lazy(
        "booked an A/B test: {variants} variant and the winner's push",
        "booked an A/B test: {variants} variants and the winner's push", "variants"),
    "experiment.status": _("A/B test: {from_status} → {to_status}"),
    "campaign.languages_planned": _("set versions in {languages}"),
    "experiment.decided": _("the A/B test's result: {words}"),
    "campaign.approved": _("approved the campaign"),
    "campaign.sent_back": _("sent the campaign back: {comment}"),
    "test_group.saved": ngettext_lazy("saved the test group {name} ({accounts} account)",
                                      "saved the test group {name} ({accounts} accounts)",
                                      "accounts"),
    "test_group.deleted": ngettext_lazy("deleted the test group {name} ({accounts} account)",
                                        "deleted the test group {name} ({accounts} accounts)",
                                        "accounts"),
    # Several apps: secrets are named among the fields changed, never with their values.
    "app.created": _("added the app ({fields})"),
    "app.changed": _("changed the app: {fields}"),
    "app.people_set": _("set who works in the app: {people}"),
}
SUBJECT_TYPES = {"campaign": _("Campaign"), "job": _("Bulk job"), "segment": _("Segment"),
                 "attribute_names": _("Attribute names"), "account": _("Account"),
                 "token": _("API token"), "quota": _("Daily quota"),
                 "user": _("User"), "template": _("Message template"),
                 "series": _("Recurring series"), "test_group": _("Test group"),
                 "app": _("App")}


def audit_record(*, actor, verb: str, subject=None, subject_type: str = "",
                 **params) -> AuditEvent:
    """Call inside the transaction that makes the change, so both or neither are kept."""
    if verb not in VERBS:
        raise ValueError(f"unknown audit verb {verb!r}")
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor, verb=verb,
        subject_type=subject_type or (subject._meta.model_name if subject is not None else ""),
        subject_id=getattr(subject, "pk", None), subject_label=str(subject or "")[:200],
        params=params)


class _Blank(dict):
    def __missing__(self, key):
        return ""


class _WrittenCount(int):
    """A count stored as text ("1,200", in rows older than the one trail): a number to choose
    the singular or plural by, shown as it was written."""

    def __new__(cls, text: str):
        count = super().__new__(cls, int(text.replace(",", "")))
        count.text = text
        return count

    def __format__(self, spec: str) -> str:
        return self.text


WRITTEN_COUNT = re.compile(r"\d{1,3}(,\d{3})+|\d+")


def fill(template, params: dict) -> str:
    """A stored code's words with its parameters; a parameter it lacks is left blank. Words
    with a count (ngettext_lazy, keyed by the count's name) take its singular or plural."""
    params = {key: _WrittenCount(value) if isinstance(value, str) and WRITTEN_COUNT.fullmatch(
        value) else value for key, value in params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(template).format_map(_Blank(params))


def _roles_text(groups: list[str]) -> str:
    """The role groups, in the reader's language."""
    return words_list(role_words(name) for name in groups if name)


# Words for parameters only an app can word (a status's label, a job's action, a series' rule),
# by verb: each app adds its own in AppConfig.ready, as core cannot import the apps.
Describe = Callable[[AuditEvent], dict]
_describers: dict[str, Describe] = {}


def add_describer(verbs: tuple[str, ...], describe: Describe) -> None:
    for verb in verbs:
        _describers[verb] = describe


def status_words(labels: dict, params: dict) -> dict:
    """A status change's two statuses by their labels in the reader's language."""
    return {key: str(labels.get(params.get(key), params.get(key, "")))
            for key in ("from_status", "to_status")}


def audit_words(event: AuditEvent) -> str:
    """The event in the reader's language."""
    params = dict(event.params)
    if event.verb == "user.roles_changed":
        params["groups"] = _roles_text(params.get("groups", []))
    if describe := _describers.get(event.verb):
        params.update(describe(event))
    return fill(VERBS.get(event.verb, event.verb), params).strip()


# The audit page's filter by kind of subject.
AUDIT_KINDS = {"campaign": _("Campaigns"), "job": _("Bulk jobs"),
               "attribute_names": _("Attribute names"), "account": _("Accounts"),
               "token": _("API tokens"), "user": _("Sign-ins and roles"),
               "quota": _("Daily quota"), "app": _("Apps")}


def audit_events(*, actor: str = "", kind: str = "", since: dt.date | None = None,
                 until: dt.date | None = None):
    """The audit trail, newest first, filtered by who, what and when (days in the viewer's zone)."""
    query = AuditEvent.objects.select_related("actor")
    if actor:
        query = query.filter(actor__username__icontains=actor)
    if kind in AUDIT_KINDS:
        query = query.filter(subject_type=kind)
    zone = timezone.get_current_timezone()
    if since:
        query = query.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        query = query.filter(at__lt=dt.datetime.combine(until + dt.timedelta(days=1),
                                                        dt.time.min, tzinfo=zone))
    return query


def _subject(event: AuditEvent) -> str:
    """What the event is about: a name people gave (a campaign, a user), else words made now
    in the reader's language (a job's or a segment's stored label was made in its author's)."""
    kind = SUBJECT_TYPES.get(event.subject_type, "")
    if event.subject_type == "job" and event.subject_id:
        return gettext("Bulk job #%(id)s") % {"id": event.subject_id}
    if event.subject_type == "segment" and event.subject_id:
        return gettext("Segment #%(id)s") % {"id": event.subject_id}
    if event.subject_type in ("campaign", "user", "token", "app") and event.subject_label:
        return event.subject_label
    return str(kind)


def audit_rows(events) -> list[dict]:
    return [{"at": e.at, "actor": e.actor.username if e.actor else gettext("system"),
             "subject_type": e.subject_type, "subject_id": e.subject_id,
             "subject": _subject(e), "what": audit_words(e)} for e in events]


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    audit_record(actor=user, verb="user.logged_in", subject=user, subject_type="user")


@receiver(m2m_changed, sender=get_user_model().groups.through)
def _on_roles_changed(sender, instance, action, pk_set, reverse, **kwargs):
    if action not in ("post_add", "post_remove") or reverse or not pk_set:
        return
    from django.contrib.auth.models import Group
    names = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    audit_record(actor=None, verb="user.roles_changed", subject=instance, subject_type="user",
                 change="+" if action == "post_add" else "−", groups=names)
