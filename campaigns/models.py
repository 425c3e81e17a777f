"""Campaigns, their push attempts and audit trail, the push gate, and API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        NEEDS_REVIEW = "needs_review", _("Needs review")

    EDITABLE = (Status.DRAFT, Status.SCHEDULED)
    CANCELLABLE = (Status.DRAFT, Status.SCHEDULED)

    name = models.CharField(max_length=200)
    # The im_push body, minus MsgRandom (spec §2.1).
    msg_body = models.JSONField()
    condition = models.JSONField(null=True, blank=True)
    offline_push_info = models.JSONField(null=True, blank=True)
    msg_life_time = models.PositiveIntegerField(default=0)
    from_account = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField(blank=True)
    send_at = models.DateTimeField(null=True, blank=True)
    # When the dispatcher should next try: send_at, or later after a full day or a retry.
    due_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="Asia/Shanghai")
    allow_late = models.BooleanField(default=False)
    # One MsgRandom for the campaign's life, so every retry is recognisably the same push.
    msg_random = models.BigIntegerField(null=True, blank=True)
    task_id = models.CharField(max_length=128, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="campaigns")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["send_at"]),
            models.Index(fields=["status", "-updated_at"]),
        ]

    def __str__(self):
        return self.name

    @property
    def push(self) -> dict:
        """The im_push body as the API shows it (without MsgRandom)."""
        body = {"MsgBody": self.msg_body, "MsgLifeTime": self.msg_life_time}
        if self.condition:
            body["Condition"] = self.condition
        if self.offline_push_info:
            body["OfflinePushInfo"] = self.offline_push_info
        if self.from_account:
            body["From_Account"] = self.from_account
        return body


class Attempt(models.Model):
    """One call to im_push: the ledger the quota is counted from."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        OK = "ok", _("Accepted")
        REFUSED = "refused", _("Refused")
        UNKNOWN = "unknown", _("Outcome unknown")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attempts")
    msg_random = models.BigIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.IN_FLIGHT)
    error_code = models.IntegerField(null=True, blank=True)
    error_info = models.TextField(blank=True)
    task_id = models.CharField(max_length=128, blank=True)
    quota_day = models.DateField()
    # False only when Tencent answered with a refusal: then the push did not happen.
    counts_quota = models.BooleanField(default=True)

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["quota_day", "counts_quota"]),
                   models.Index(fields=["-started_at"])]


class CampaignEvent(models.Model):
    """The audit trail: who created, edited, scheduled, cancelled, and what the sender did."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL)
    action = models.CharField(max_length=32)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class PushGate(models.Model):
    """A single row every worker on every host passes through before calling im_push."""

    lease_until = models.DateTimeField(null=True, blank=True)
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    dispatcher_until = models.DateTimeField(null=True, blank=True)
    last_tick_at = models.DateTimeField(null=True, blank=True)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A JSON API credential; only its hash is stored, the raw token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, default="script")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class Preference(models.Model):
    """Each user's language and time zone; copied into the session at login and on change."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preference")
    language = models.CharField(max_length=16, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(max_length=64, default=settings.TIME_ZONE)
