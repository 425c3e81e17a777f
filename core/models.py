"""What both apps share: API tokens and the one audit trail."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A JSON API credential; only its hash is stored, the raw token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, default="script")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("first characters"), max_length=8)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        db_table = "campaigns_apitoken"  # moved from campaigns without moving its rows
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """One thing a person or the sender did: a verb code and its parameters, worded when shown."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=20, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    # The subject's name when it happened, so the trail reads well after a rename or deletion.
    subject_label = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["-at", "-id"]),
                   models.Index(fields=["subject_type", "subject_id", "at"]),
                   models.Index(fields=["verb", "-at"]),
                   models.Index(fields=["actor", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.subject_label}"


class Preference(models.Model):
    """Each user's language and time zone; copied into the session at login and on change."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preference")
    language = models.CharField(max_length=16, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(max_length=64, default=settings.TIME_ZONE)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")


class App(models.Model):
    """A Tencent Cloud Chat app (one SDKAppID): everything the dashboard sends, books and counts
    belongs to one, and each has Tencent's limits to itself (they are per SDKAppID).

    The app made at first start takes its connection from the TIM_* environment variables on
    every use (`from_settings`), so a one-app install configures it as it always has; apps
    added in the dashboard keep theirs here, secrets sealed (core/encryption.py)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    sdkappid = models.PositiveBigIntegerField(_("SDKAppID"), unique=True)
    region = models.CharField(_("region"), max_length=20, blank=True)
    base_url = models.URLField(_("API address"), blank=True)
    admin_identifier = models.CharField(_("admin account"), max_length=64,
                                        default="administrator")
    secret_key_sealed = models.TextField(blank=True)
    callback_token_sealed = models.TextField(blank=True)
    # Without a value, PUSH_DAILY_QUOTA (more pushes are bought in Tencent's console).
    daily_limit = models.PositiveIntegerField(_("daily push limit"), null=True, blank=True)
    quota_timezone = models.CharField(_("quota day's time zone"), max_length=64,
                                      default="Asia/Shanghai")
    calls_per_second = models.PositiveIntegerField(_("calls a second"), default=100)
    batch_calls_per_second = models.PositiveIntegerField(_("test sends a second"), default=30)
    staging = models.BooleanField(_("staging app"), default=False)
    from_settings = models.BooleanField(default=False, editable=False)
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="apps",
                                    verbose_name=_("people"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        ordering = ["-from_settings", "name"]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        """Its name; the app made from the settings without TIM_APP_NAME reads "Main app" in
        the reader's language."""
        return self.name or _("Main app")

    @property
    def choice_label(self) -> str:
        """Its name in a list of apps, a staging app marked, unless its name already says so
        ("Staging", not "Staging · staging")."""
        label, mark = str(self.label), str(_("staging"))
        return f"{label} · {mark}" if self.staging and mark.lower() not in label.lower() \
            else label
