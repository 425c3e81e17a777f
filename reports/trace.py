""""Why didn't this user get it?": one account's per-device trace of a sent campaign
(`all_member_push_trace`, 1 a second, 7 days; spec §3.5), in words.

The answer's shape is [UNCERTAIN] (the page lists, per device, its token, certificate and
notification permission, and for each stage a status, an error and a time): read defensively,
keeping what is recognisable and showing Tencent's own words for the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from audience.rules import account_id_errors
from campaigns.models import Campaign
from core import tencent
from core.errors import InvalidInput
from core.payload_words import explain_words
from pushclient import TencentError

from .words import reason_words, vendor_name

TRACE_WINDOW = dt.timedelta(days=7)


@dataclass
class Step:
    stage: str
    ok: bool
    words: str
    at: dt.datetime | None


@dataclass
class DeviceTrace:
    vendor: str
    token: str
    steps: list[Step] = field(default_factory=list)
    summary: str = ""


def _stage_words(name: str) -> str:
    return {"im": _("message stored by Tencent Chat"), "offline": _("offline push prepared"),
            "vendor": _("handed to the vendor's push channel"), "device": _("shown on the device"),
            "click": _("opened by the user")}.get(str(name).lower(), str(name))


def _time(value) -> dt.datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return None


def _short_token(token) -> str:
    """Enough of a device token to tell devices apart, not enough to push to it."""
    token = str(token or "")
    return f"{token[:6]}…" if len(token) > 6 else token


def campaign_trace(*, campaign: Campaign, account: str) -> list[DeviceTrace]:
    """The account's devices and what happened on each. Raises InvalidInput naming the field."""
    problems = account_id_errors(_("The account"), account)
    if problems:
        raise InvalidInput({"account": problems})
    if campaign.status != Campaign.Status.SENT or not campaign.task_id:
        raise InvalidInput({"account": [_("Only a sent campaign has a trace")]})
    if campaign.sent_at and timezone.now() - campaign.sent_at > TRACE_WINDOW:
        raise InvalidInput({"account": [
            _("Tencent keeps traces for 7 days; this campaign was sent earlier")]})
    try:
        answer = tencent.client(campaign.app).timpush.push_trace(task_id=campaign.task_id,
                                                                 user_id=account)
    except TencentError as exc:
        raise InvalidInput({"account": [_("Tencent gave no trace: %(why)s") % {
            "why": explain_words(exc.code, exc.info)}]}) from None
    return [_device(d) for d in answer.get("Results") or [] if isinstance(d, dict)]


def _device(raw: dict) -> DeviceTrace:
    device = DeviceTrace(vendor=vendor_name(raw.get("PushPlatform", 0)),
                         token=_short_token(raw.get("Token")))
    for step in raw.get("Stages") or []:
        if not isinstance(step, dict):
            continue
        code = step.get("ErrCode") if isinstance(step.get("ErrCode"), int) else 0
        ok = code == 0 and str(step.get("Status", "ok")).lower() in ("ok", "success", "done")
        words = _stage_words(step.get("Stage", ""))
        if not ok:
            words = _("%(stage)s: failed, %(why)s") % {
                "stage": words, "why": reason_words(code, str(step.get("ErrInfo") or ""))}
        device.steps.append(Step(stage=str(step.get("Stage", "")), ok=ok, words=words,
                                 at=_time(step.get("Time"))))
    failed = next((s for s in device.steps if not s.ok), None)
    reached = [s for s in device.steps if s.ok]
    if failed:
        device.summary = failed.words
    elif reached:
        device.summary = _("Last step: %(stage)s") % {"stage": reached[-1].words}
    else:
        device.summary = _("Tencent recorded nothing for this device")
    return device
