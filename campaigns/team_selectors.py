"""Reads for the team features shown on shared pages (campaign detail, home)."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import roles

from .models import Campaign, Workspace
from .permissions import may_approve
from .quota import quota_day_of
from .states import approval_required


def campaign_team_context(campaign: Campaign) -> dict:
    """The time-zone buckets of a split campaign, each with its local time in its own zone
    ("2026-12-08 09:00 Asia/Tokyo": formatted here, as a template's date filter would turn it
    into the viewer's zone) and quota day, and how many were sent."""
    buckets = []
    for bucket in campaign.buckets.order_by("due_at", "bucket_zone", "bucket_value"):
        moment = bucket.due_at or bucket.send_at
        local = moment.astimezone(ZoneInfo(bucket.bucket_zone)) if moment else None
        bucket.local_due = f"{local:%Y-%m-%d %H:%M} {bucket.bucket_zone}" if local else "—"
        bucket.quota_day = quota_day_of(moment) if moment else None
        buckets.append(bucket)
    return {"buckets": buckets, "approval_on": approval_required(),
            "split_progress": split_progress_words(buckets) if buckets else "",
            "needs_test": settings.CAMPAIGN_APPROVAL_NEEDS_TEST}


def split_progress_words(buckets: list[Campaign]) -> str:
    """"Sent as 4 pushes." only once every bucket was sent; before, how many are booked."""
    n = len(buckets)
    counts = Counter(bucket.status for bucket in buckets)
    if n and counts[Campaign.Status.SENT] == n:
        return ngettext("Sent as %(n)d push.", "Sent as %(n)d pushes.", n) % {"n": n}
    words = {"n": n, "sent": counts[Campaign.Status.SENT],
             "booked": counts[Campaign.Status.SCHEDULED] + counts[Campaign.Status.SENDING]}
    words["other"] = n - words["sent"] - words["booked"]
    if words["other"]:
        return _("%(sent)d of %(n)d pushes sent so far; %(booked)d booked; %(other)d not sent "
                 "(see each push).") % words
    return _("%(sent)d of %(n)d pushes sent so far; %(booked)d booked.") % words


def home_team_context(user) -> dict:
    """For approvers, while approval is on: the campaigns waiting for them, oldest first."""
    if not approval_required() or not roles.is_approver(user):
        return {"waiting_for_approval": None}
    waiting = (Campaign.objects.filter(status=Campaign.Status.PENDING_APPROVAL)
               .select_related("created_by").order_by("updated_at", "id")[:20])
    # Only those this approver may approve: none they wrote, edited or submitted.
    return {"waiting_for_approval": [c for c in waiting if may_approve(user, c)]}


def quiet_hours_words() -> str:
    """"22:00–08:00", or "" when the workspace has no quiet hours."""
    workspace = Workspace.current()
    if workspace.quiet_start is None or workspace.quiet_end is None:
        return ""
    return f"{workspace.quiet_start:%H:%M}–{workspace.quiet_end:%H:%M}"
