"""Why a campaign is in its status: stored as a code and parameters, worded when shown."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.audit import fill
from core.payload_words import explain_words as explain
from core.payload_words import violation_words
from pushclient.errors import DAILY_QUOTA_EXCEEDED, RECALL_ALREADY_DONE
from pushclient.payload import Violation

REASONS = {
    "moved_full_day": _("Moved to {day} {time} ({zone}): all of that day's pushes were used"),
    "moved_quota_refused": _("Moved to {day} {time} ({zone}): {explanation} (error {code})"),
    "no_room_ahead": _("Not sent: today's pushes were used, and no quota day in the next "
                       "{days} days has room"),
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
    "recalled": _("Recalled; the notification was replaced by “{title}”"),
    "recalled_before": _("Tencent answered: {explanation}"),
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
    # Worded for the split itself, true before and after the buckets are sent (the buckets'
    # card says how many were sent).
    "split_by_zone": ngettext_lazy(
        "Split by time zone into {zones} push, at {hour}:00 local time",
        "Split by time zone into {zones} pushes, each at {hour}:00 local time", "zones"),
    # A/B tests (campaigns/experiments.py)
    "ab_test": ngettext_lazy("An A/B test of {variants} variant: see its pushes and result below",
                             "An A/B test of {variants} variants: see its pushes and result "
                             "below", "variants"),
    "ab_winner": _("The A/B test decided: its winner goes now"),
    "marked": _("The accounts it leaves out carry the tag {tag}: it goes now"),
    "by_language": ngettext_lazy("One push per language: {pushes} push booked",
                                 "One push per language: {pushes} pushes booked", "pushes"),
    "ab_no_winner": _("Not sent: no variant of the A/B test won, and its rule says send nothing "
                      "more"),
}

# Reasons that are one answer of Tencent's, worded by its table of meanings.
REASON_CODES = {"moved_quota_refused": DAILY_QUOTA_EXCEEDED, "recalled_before": RECALL_ALREADY_DONE}

ACCEPTED = _("Accepted by Tencent for this account's devices")


def tencent_words(code: int, info: str = "") -> str:
    """What Tencent's answer for one account (0 or an error code) means to a marketer."""
    return str(ACCEPTED) if code == 0 else explain(code, info)


def reason_words(code: str, params: dict | None) -> str:
    if not code:
        return ""
    params = {"code": REASON_CODES.get(code), **(params or {})}
    if params.get("rules"):  # the push broke a rule of Tencent's (stored since issue 24)
        params["explanation"] = " ".join(violation_words(Violation(**rule))
                                         for rule in params["rules"])
    if params["code"] is not None and "explanation" not in params:
        params["explanation"] = explain(params["code"], params.get("info", ""))
    template = REASONS.get(code)
    return fill(template, params) if template else code
