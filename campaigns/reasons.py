"""Why a campaign is in its status: stored as a code and parameters, worded when shown."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit import fill
from pushclient import explain

REASONS = {
    "moved_full_day": _("Moved to {day} {time} ({zone}): all of that day's pushes were used"),
    "moved_quota_refused": _("Moved to {day} {time} ({zone}): Tencent answered 90047 (daily "
                             "quota exceeded)"),
    "missed": _("Missed: found {late} after its time, past the allowed lateness; it was not "
                "sent stale"),
    "retrying": _("Retrying: {explanation}"),
    "refused": _("Tencent refused it: {explanation} (error {code})"),
    "invalid": _("The push broke a rule: {explanation}"),
    "unanswered": _("{explanation} Check the app, then mark it sent or send it again."),
    "worker_stopped": _("The worker stopped while the push was in flight; whether it went out "
                        "is unknown. Check the app, then mark it sent or send it again."),
    "operator_confirmed": _("An operator confirmed it was sent"),
    "operator_send_again": _("An operator asked to send it again"),
    # Working as a team (issue 14)
    "series_moved_full_day": _("Moved from {day} to {to}: {day} was full, and the series moves "
                               "a full day's occurrence to the next day with room"),
    "series_skipped_full_day": _("Skipped: {day} was full, and the series skips full days"),
    "series_edited": _("Replaced: the recurring series was edited"),
    "series_ended": _("The recurring series was ended"),
    "moved_quiet_hours": _("Moved to {day} {moved_to} ({zone}): {time} is in the workspace's "
                           "quiet hours ({start}–{end})"),
    "submitted": _("Submitted for approval by {by}"),
    "approved": _("Approved by {by}"),
    "sent_back": _("Sent back by {by}: {comment}"),
    "edited_after_approval": _("Edited after it was submitted or approved: back to draft, to "
                               "be submitted again"),
    "split_by_zone": _("Sent as {zones} pushes, one per time zone, each at {hour}:00 local time"),
}


def reason_words(code: str, params: dict | None) -> str:
    if not code:
        return ""
    params = dict(params or {})
    if "code" in params and "explanation" not in params:
        params["explanation"] = explain(params["code"], params.get("info", ""))
    template = REASONS.get(code)
    return fill(template, params) if template else code
