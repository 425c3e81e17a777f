"""Recall (spec §3.3, §3.5, v4/timpush/revoke): within 24 hours of sending, stop a push from
reaching devices it has not reached yet and replace the notification already shown, where the
vendor allows it. The campaign then ends `recalled`, through the state machine."""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import tencent
from core.errors import InvalidInput, TransitionRefused, UpstreamFailed
from core.text import unsafe_text_errors
from pushclient import ErrorKind, TencentError
from pushclient.errors import RECALL_ALREADY_DONE

from .models import Attempt, Campaign
from .push_rules import push_product_errors
from .reasons import tencent_words
from .permissions import require_may_undo
from .states import campaign_transition

RECALL_WINDOW = dt.timedelta(hours=24)  # §3.3
# §3.5: these vendors keep a notification already shown; the others (APNs, FCM, Huawei,
# Honor) replace it with the recall's OfflinePushInfo.
VENDORS_KEEPING_SHOWN_NOTIFICATIONS = ("Xiaomi", "OPPO", "vivo", "Meizu")
RATE_TRIES = 3
Status = Campaign.Status


def recall_started_at(campaign: Campaign) -> dt.datetime | None:
    """When the push started, as early as we know it: the accepted attempt's start (taken
    before the call), so our window never closes after Tencent's."""
    if not campaign.task_id:
        return None
    started = (campaign.attempts.filter(outcome=Attempt.Outcome.OK, task_id=campaign.task_id)
               .order_by("started_at").values_list("started_at", flat=True).first())
    return started or campaign.sent_at


def recall_deadline(campaign: Campaign) -> dt.datetime | None:
    """Until when the campaign can be recalled; None if it cannot be (not sent, no TaskId)."""
    if campaign.status != Status.SENT:
        return None
    started = recall_started_at(campaign)
    return started + RECALL_WINDOW if started else None


def recall_errors(offline_push_info) -> dict[str, list[str]]:
    """The replacement notification needs a title and a text (what phones will show)."""
    field = "OfflinePushInfo"
    if not isinstance(offline_push_info, dict):
        return {field: [_("OfflinePushInfo must be an object with the replacement "
                          "notification's Title and Desc")]}
    errors = unsafe_text_errors(offline_push_info, field)
    if errors:
        return errors
    for key, words in (("Title", _("The replacement notification needs a title")),
                       ("Desc", _("The replacement notification needs a text"))):
        value = offline_push_info.get(key)
        if not isinstance(value, str) or not value.strip():
            errors[f"{field}.{key}"] = [str(words)]
    if offline_push_info.get("PushFlag") == 1:
        errors[f"{field}.PushFlag"] = [_("The replacement notification must be shown: "
                                         "PushFlag must be 0 or left out")]
    errors.update(push_product_errors({"OfflinePushInfo": offline_push_info}))
    return errors


def _revoke(campaign: Campaign, offline_push_info: dict) -> None:
    """One recall. Our limiter keeps our own calls a second apart, but a recall made elsewhere
    (the console, another app) can still meet 90051: wait out Tencent's second and try again."""
    for attempt in range(RATE_TRIES):
        try:
            tencent.recall_client(campaign.app).timpush.revoke(
                task_id=campaign.task_id, offline_push_info=offline_push_info)
            return
        except TencentError as exc:
            if exc.kind is not ErrorKind.RATE or attempt == RATE_TRIES - 1:
                raise
            time.sleep(1.0)


def campaign_recall(*, campaign: Campaign, user, offline_push_info) -> Campaign:
    """Recall a sent campaign and replace its notification; `recalled` when Tencent agrees."""
    require_may_undo(user, campaign.created_by_id)
    errors = recall_errors(offline_push_info)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        # One recall of a campaign at a time; a second click waits, then finds it recalled.
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        deadline = recall_deadline(campaign)
        if deadline is None:
            raise TransitionRefused(_("Only a sent campaign with Tencent's task id can be "
                                      "recalled; this one is %(status)s")
                                    % {"status": campaign.get_status_display().lower()})
        if timezone.now() >= deadline:
            raise TransitionRefused(_("Too late to recall: the 24 hours ended at %(when)s")
                                    % {"when": timezone.localtime(deadline)
                                       .strftime("%Y-%m-%d %H:%M")})
        reason, params = "recalled", {"title": offline_push_info["Title"],
                                      "desc": offline_push_info["Desc"]}
        try:
            _revoke(campaign, offline_push_info)
        except TencentError as exc:
            if exc.code != RECALL_ALREADY_DONE:
                words = tencent_words(exc.code, exc.info)
                if exc.outcome_unknown or exc.retryable:
                    raise UpstreamFailed(words) from None
                raise TransitionRefused(words) from None
            reason = "recalled_before"  # recalled elsewhere (the console): say so, and agree
        if not campaign_transition(campaign, to=Status.RECALLED, actor=user, reason=reason,
                                   params=params):
            raise TransitionRefused(_("The campaign changed meanwhile; reload the page"))
    return campaign
