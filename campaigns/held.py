"""Held pushes that leave accounts out by one tag: an A/B test's winner (everyone but the test
accounts) and a campaign's default version (everyone but those with a version in their
language). Each is booked `held` in its quota day and goes with timpush/push and a TagsNot of
one tag, which means the same whether Tencent reads several tags as "none of" or "not all of"
(spec §3.1 [UNCERTAIN]).

When its time comes, the known accounts to leave out (those holding any of some tags, or one
of some values of an attribute, in the audience mirror) are given that tag by a bulk job (the
rate, retries and mirror of every job); once the job has finished, the push is booked to go.
Beat runs `release_held_pushes` every 10 seconds."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audience.models import AccountAttr, AccountTag, Job, Segment, SegmentAccount
from audience.services import job_create

from .models import Campaign
from .services import campaign_book

log = logging.getLogger(__name__)
Status = Campaign.Status
FINISHED = (Job.Status.DONE, Job.Status.FAILED, Job.Status.CANCELLED)


def leave_out(campaign: Campaign, *, tag: str, tags: list[str] = (), attr: str = "",
              values: list[str] = ()) -> None:
    """Make the held push leave out, by `tag`, the known accounts holding any of `tags` (or
    `attr` set to one of `values`): they are marked when its time comes."""
    spec = {"tag": tag, **({"attr": attr, "values": sorted(values)} if attr
                          else {"tags": sorted(tags)})}
    Campaign.objects.filter(pk=campaign.pk).update(exclude_marked=spec)
    campaign.exclude_marked = spec


def _holders_sql(campaign: Campaign) -> tuple[str, list]:
    spec = campaign.exclude_marked
    if spec.get("attr"):
        marks = ", ".join(["%s"] * len(spec["values"]))
        return (f"SELECT DISTINCT account FROM {AccountAttr._meta.db_table} WHERE app_id = %s "
                f"AND name = %s AND value IN ({marks})",
                [campaign.app_id, spec["attr"], *spec["values"]])
    marks = ", ".join(["%s"] * len(spec["tags"]))
    return (f"SELECT DISTINCT account FROM {AccountTag._meta.db_table} WHERE app_id = %s AND "
            f"tag IN ({marks})", [campaign.app_id, *spec["tags"]])


def _mark(campaign: Campaign) -> Job | None:
    """A bulk job giving the accounts to leave out the push's exclusion tag; its segment is
    made here, in SQL, from the mirror. None when no known account is to be left out."""
    segment = Segment.objects.create(
        app=campaign.app, name=(_("Left out of %(name)s") % {"name": campaign.name})[:200],
        created_by=campaign.created_by)
    holders, args = _holders_sql(campaign)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {SegmentAccount._meta.db_table} (segment_id, account) "
                       f"SELECT %s, account FROM ({holders}) AS holders ORDER BY account",
                       [segment.pk, *args])
    size = SegmentAccount.objects.filter(segment=segment).count()
    Segment.objects.filter(pk=segment.pk).update(size=size)
    segment.size = size
    if not size:
        return None
    return job_create(user=campaign.created_by, action=Job.Action.ADD_TAGS, segment=segment,
                      tags=[campaign.exclude_marked["tag"]])


def release(campaign: Campaign, *, reason: str, params: dict | None = None) -> None:
    """The held push, booked to go now (its time has come: it is released only then)."""
    campaign_book(campaign, user=None, at=timezone.now(), from_=[Status.HELD], reason=reason,
                  params=params, quiet=False)


def release_held_pushes(*, now: dt.datetime | None = None) -> int:
    """Mark, then release, each held push whose time has come and that waits for nothing but
    its accounts to be marked. Returns how many were released."""
    now = now or timezone.now()
    released = 0
    due = Campaign.objects.filter(status=Status.HELD, due_at__lte=now).exclude(
        exclude_marked={}).select_related("app", "marking_job")
    for campaign in due:
        with transaction.atomic():
            held = Campaign.objects.select_for_update(of=("self",)).filter(
                pk=campaign.pk, status=Status.HELD).select_related("marking_job").first()
            if held is None:
                continue
            if held.marking_job_id is None:
                job = _mark(held)
                Campaign.objects.filter(pk=held.pk).update(marking_job=job)
                if job is not None:
                    continue
            elif held.marking_job.status not in FINISHED:
                continue
            # A job that failed for some accounts leaves them unmarked: they may get this push
            # too (its page names them). Holding the push for good would be worse.
            release(held, reason="marked", params={"tag": held.exclude_marked["tag"]})
            released += 1
    return released
