"""Approval: submit a campaign, approve it or send it back."""

from __future__ import annotations


from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.current_app import in_my_apps
from core import roles
from core.errors import InvalidInput, TransitionRefused
from core.pages import flash_errors

from .. import approval
from ..models import Campaign
from core.roles import marketer_required, role_required



def _approval_step(request, pk: int, step, done: str) -> object:
    campaign = in_my_apps(request, Campaign.objects.select_related("app"), pk=pk)
    try:
        warning = step(campaign)
    except (InvalidInput, TransitionRefused) as exc:
        flash_errors(request, exc)
        return redirect("campaign-detail", pk=pk)
    if isinstance(warning, str) and warning:
        messages.warning(request, warning)
    else:
        messages.success(request, done(campaign) if callable(done) else done)
    return redirect("campaign-detail", pk=pk)


@marketer_required
@require_POST
def approval_submit(request, pk: int):
    return _approval_step(request, pk, lambda c: approval.campaign_submit(
        campaign=c, user=request.user), _("Submitted: an approver who did not write it approves "
                                          "it or sends it back."))


@require_POST  # first: a GET is 405 for everyone, as on every other action
@role_required(roles.is_approver)
def approval_approve(request, pk: int):
    return _approval_step(request, pk, lambda c: approval.campaign_approve(
        campaign=c, user=request.user), _approved_words)


def _approved_words(campaign: Campaign) -> str:
    """What approving did: a local-time plan's pushes are booked by it."""
    pushes = campaign.buckets.count()
    if pushes:
        return ngettext("Approved, and booked as %(n)d push, one per time zone.",
                        "Approved, and booked as %(n)d pushes, one per time zone.",
                        pushes) % {"n": pushes}
    return _("Approved.")


@require_POST  # first: a GET is 405 for everyone, as on every other action
@role_required(roles.is_approver)
def approval_send_back(request, pk: int):
    return _approval_step(request, pk, lambda c: approval.campaign_send_back(
        campaign=c, user=request.user, comment=request.POST.get("comment", "")),
        _("Sent back to its author, with your comment."))
