"""Reads for the team features shown on shared pages (campaign detail, home)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

from core import roles

from .models import Campaign, Workspace
from .quota import quota_day_of
from .states import approval_required


def campaign_team_context(campaign: Campaign) -> dict:
    """The time-zone buckets of a split campaign, each with its local time and quota day."""
    buckets = []
    for bucket in campaign.buckets.order_by("due_at", "bucket_zone"):
        moment = bucket.due_at or bucket.send_at
        bucket.local_due = moment.astimezone(ZoneInfo(bucket.bucket_zone)) if moment else None
        bucket.quota_day = quota_day_of(moment) if moment else None
        buckets.append(bucket)
    return {"buckets": buckets, "approval_on": approval_required(),
            "needs_test": settings.CAMPAIGN_APPROVAL_NEEDS_TEST}


def home_team_context(user) -> dict:
    """For approvers, while approval is on: the campaigns waiting for them, oldest first."""
    if not approval_required() or not roles.is_approver(user):
        return {"waiting_for_approval": None}
    return {"waiting_for_approval": list(
        Campaign.objects.filter(status=Campaign.Status.PENDING_APPROVAL)
        .select_related("created_by").order_by("updated_at", "id")[:20])}


def quiet_hours_words() -> str:
    """"22:00–08:00", or "" when the workspace has no quiet hours."""
    workspace = Workspace.current()
    if workspace.quiet_start is None or workspace.quiet_end is None:
        return ""
    return f"{workspace.quiet_start:%H:%M}–{workspace.quiet_end:%H:%M}"
