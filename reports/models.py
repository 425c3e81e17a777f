"""Delivery reports: counters fed by Tencent's result callbacks, snapshots of its statistics,
and the short-lived de-duplication keys that keep the counters exact."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, app_field


class DeliveryCount(models.Model):
    """How many callback events of one kind a push task produced. A campaign that reaches a
    million phones adds a few dozen of these rows, never a row per phone.

    Counted for the app whose SdkAppid the callback named: two apps' task ids never mix."""

    app = app_field()
    task_id = models.CharField(max_length=128)
    # Tencent passes a push's DataId through to its events; test sends carry "test:<campaign>".
    data_id = models.CharField(max_length=64, blank=True)
    platform = models.SmallIntegerField()  # pushclient.callbacks.PLATFORMS
    stage = models.SmallIntegerField()  # 1 sent, 2 delivered, 3 clicked
    event_type = models.SmallIntegerField()  # 1 offline, 2 online
    err_code = models.IntegerField(default=0)  # not 0: the device was lost at this stage
    err_info = models.CharField(max_length=256, blank=True)
    count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("delivery count")
        verbose_name_plural = _("delivery counts")
        constraints = [models.UniqueConstraint(
            fields=["app", "task_id", "platform", "stage", "event_type", "err_code"],
            name="one_delivery_count_per_app_and_kind")]
        indexes = [models.Index(fields=["app", "data_id"])]


class SeenEvent(models.Model):
    """De-duplication keys when there is no Redis (`make run`): kept only as long as Tencent
    may retry (TIM_CALLBACK_DEDUPE_SECONDS), then pruned (reports.tasks.prune_callback_keys).
    The key is a hash of the event's identity and its app (reports.dedupe.event_key)."""

    key = models.CharField(max_length=32, primary_key=True)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("callback event seen")
        verbose_name_plural = _("callback events seen")


class ReportSnapshot(models.Model):
    """What all_member_push_statistics or _loss said about a campaign at one moment, kept so
    the figures outlive Tencent's 30- and 7-day windows."""

    class Kind(models.TextChoices):
        STATISTICS = "statistics", "statistics"
        LOSS = "loss", "loss"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE,
                                 related_name="report_snapshots")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Which of REPORT_POLL_AFTER_SECONDS this snapshot answers (0 for the first).
    round = models.SmallIntegerField(default=0)
    fetched_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    # Tencent refused (no report for this task): the code, and nothing else changes.
    error_code = models.IntegerField(null=True, blank=True)
    error_info = models.CharField(max_length=256, blank=True)

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        indexes = [models.Index(fields=["campaign", "kind", "-fetched_at"])]
