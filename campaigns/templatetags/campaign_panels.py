"""Data for the panels the detail page and the editor include (test sends, recall, the daily
limit): each panel asks for its own, so the pages' views stay as they are."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone

from ..models import Campaign
from ..recall import VENDORS_KEEPING_SHOWN_NOTIFICATIONS, recall_deadline
from ..tester_sends import recent_test_sends, team_test_groups

register = template.Library()


@register.simple_tag
def test_send_panel(campaign: Campaign | None) -> dict:
    return {"groups": list(team_test_groups()), "typed_max": settings.TEST_SEND_TYPED_ACCOUNTS,
            "sends": recent_test_sends(campaign) if campaign and campaign.pk else []}


@register.simple_tag
def recall_panel(campaign: Campaign) -> dict:
    deadline = recall_deadline(campaign)
    seconds_left = (deadline - timezone.now()).total_seconds() if deadline else 0.0
    minutes = max(0, int(seconds_left // 60))
    return {"deadline": deadline, "open": seconds_left > 0,
            "hours": minutes // 60, "minutes": minutes % 60,
            "vendors": ", ".join(VENDORS_KEEPING_SHOWN_NOTIFICATIONS),
            "recalled": campaign.status == Campaign.Status.RECALLED,
            "title": campaign.status_params.get("title", ""),
            "desc": campaign.status_params.get("desc", "")}
