"""Campaigns, their push attempts, the quota-day locks, each app's push gate, test groups and
test sends. Everything here belongs to one app (core.models.App): Tencent's limits are its."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.chat_apps import app_field
from core.models import App

from .reasons import reason_words


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        RECALLED = "recalled", _("Recalled")
        # Working as a team (issue 14): a parent sent as one push per time zone (its children).
        SPLIT = "split", _("Split by time zone")
        # Approval (CAMPAIGN_APPROVAL=1): submitted by a marketer, approved by an approver.
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        # An A/B test (campaigns/experiments.py): a parent sent as one push per variant, then
        # the winner's; never sent itself.
        AB_TEST = "ab_test", _("A/B test")
        # An A/B test's winner push: booked (it counts in its quota day) but not sent until
        # the test's result says what it sends, or that it is not sent.
        HELD = "held", _("Booked, waiting for its turn")
        # One campaign, several languages (campaigns/languages.py): a parent sent as one push
        # per language version and one for everyone else; never sent itself.
        BY_LANGUAGE = "by_language", _("One push per language")

    # An edit of a campaign waiting for or past approval returns it to draft (campaign_update).
    EDITABLE = (Status.DRAFT, Status.SCHEDULED, Status.PENDING_APPROVAL, Status.APPROVED)
    CANCELLABLE = (Status.DRAFT, Status.SCHEDULED, Status.PENDING_APPROVAL, Status.APPROVED)

    app = app_field()
    name = models.CharField(_("name"), max_length=200)
    # The im_push body without MsgRandom (spec §2.1), as validated once and sent unchanged.
    push = models.JSONField(default=dict)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    # Why the status is what it is: a code from campaigns.states.REASONS and its parameters.
    status_reason = models.CharField(_("status reason"), max_length=40, blank=True)
    status_params = models.JSONField(_("status details"), default=dict, blank=True)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # When the dispatcher should next try: send_at, or later after a full day or a retry.
    due_at = models.DateTimeField(_("next try"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    allow_late = models.BooleanField(_("send even if late"), default=False)
    # One MsgRandom for the campaign's life, so every retry is recognisably the same push.
    msg_random = models.BigIntegerField(_("message random (MsgRandom)"), null=True, blank=True)
    task_id = models.CharField(_("Tencent task id"), max_length=128, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="campaigns", verbose_name=_("created by"))
    # The ids of who wrote the content before it was this campaign (the campaign it copies, its
    # template, series or split parent): they had a hand in it, so none of them approves it.
    content_by = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # --- working as a team (issue 14) ---
    # An occurrence of a recurring series: the rule's moment, and the series' version it is of
    # (an edit makes a new version and replaces the future occurrences of older ones).
    series = models.ForeignKey("Series", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="occurrences")
    series_version = models.PositiveIntegerField(null=True, blank=True)
    occurrence_at = models.DateTimeField(null=True, blank=True)
    # One time-zone bucket of a parent delivered at each user's local time.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="buckets")
    bucket_zone = models.CharField(max_length=64, blank=True)
    # What the bucket's condition matches when it is not bucket_zone itself: a value that is not
    # a zone ("tz=Berlin", or the tag "tz:Berlin"), sent at the default zone's hour.
    bucket_value = models.CharField(max_length=200, blank=True)
    # With approval on, the split by time zone a draft asks for (local_time.plan_arguments:
    # the split form's values), shown to the approver and carried out by the approval.
    local_plan = models.JSONField(default=dict, blank=True)

    # An A/B test's push: its variant's letter ("A"-"D"), or "winner".
    variant = models.CharField(max_length=8, blank=True)
    # A language version's push: its language ("zh-Hans"), or "*" for everyone else's.
    language = models.CharField(max_length=35, blank=True)
    # With approval on, the language versions a draft asks for (languages.plan_arguments),
    # shown to the approver and booked by the approval.
    language_plan = models.JSONField(default=dict, blank=True)

    class Endpoint(models.TextChoices):
        IM_PUSH = "im_push", "v4/all_member_push/im_push"
        # Only an A/B test's winner: timpush/push takes TagsNot (spec §3.1), im_push does not.
        TIMPUSH = "timpush", "v4/timpush/push"

    endpoint = models.CharField(max_length=8, choices=Endpoint.choices, default=Endpoint.IM_PUSH)
    # A held push that leaves some accounts out with TagsNot of one tag (campaigns/held.py):
    # {"tag": the exclusion tag, "tags": [...]} or {"tag": …, "attr": name, "values": [...]},
    # the known accounts holding any of those, to be given the tag before it goes; and the bulk
    # job that gives it.
    exclude_marked = models.JSONField(default=dict, blank=True)
    marking_job = models.ForeignKey("audience.Job", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class QuietHours(models.TextChoices):
        REFUSE = "refuse", _("Refuse the time")
        MOVE = "move", _("Move it to when quiet hours end")

    # What to do when the time lands in the workspace's quiet hours (the author's choice).
    quiet_hours = models.CharField(max_length=8, choices=QuietHours.choices,
                                   default=QuietHours.REFUSE)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [models.UniqueConstraint(fields=["series", "series_version", "occurrence_at"],
                                               name="one_campaign_per_occurrence")]
        indexes = [
            models.Index(fields=["app", "status", "due_at"]),
            models.Index(fields=["app", "-created_at"]),
            models.Index(fields=["app", "send_at"]),
            models.Index(fields=["app", "status", "-updated_at"]),
            # A calendar month of every status: (app, status, due_at) cannot skip to the month.
            models.Index(fields=["app", "due_at"]),
        ]

    def __str__(self):
        return self.name

    @property
    def status_reason_text(self) -> str:
        return reason_words(self.status_reason, self.status_params)


class Experiment(models.Model):
    """An A/B test of a campaign's message (campaigns/experiments.py): 2-4 variants, each sent
    to its own buckets of accounts (audience.buckets) at the campaign's time; after `wait`
    the click rates are compared (reports/experiments.py) and the winner is sent to the rest
    of the campaign's audience, or the no-winner policy applies."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")  # on a draft, booked when approved
        TESTING = "testing", _("Testing")  # variants booked or sent, the winner's push held
        WINNER_BOOKED = "winner_booked", _("Winner booked")
        STOPPED = "stopped", _("Stopped: no winner")
        CANCELLED = "cancelled", _("Cancelled")

    class NoWinner(models.TextChoices):
        FIRST = "first", _("Send variant A")
        BEST = "best", _("Send the best so far")
        STOP = "stop", _("Send nothing more")

    class Route(models.TextChoices):
        # timpush/push with TagsNot of one tag every test account carries: the rest of the
        # audience, accounts this product never saw included.
        TAGS_NOT = "tags_not", _("Everyone else in the audience")
        # im_push to the buckets no variant used: accounts without a bucket are left out.
        BUCKETS = "buckets", _("The buckets no variant used")

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE,
                                    related_name="experiment")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    # [{"label": "A", "buckets": [0, 1], "title": "", "text": "", "image": "", "ext": ""}]:
    # a blank field keeps the campaign's own (campaigns.experiments.variant_push).
    variants = models.JSONField(default=list)
    wait_minutes = models.PositiveIntegerField(default=120)
    significance = models.FloatField(default=0.02)
    min_sample = models.PositiveIntegerField(default=1000)
    no_winner = models.CharField(max_length=8, choices=NoWinner.choices,
                                 default=NoWinner.STOP)
    route = models.CharField(max_length=10, choices=Route.choices, default=Route.TAGS_NOT)
    # The decision: {"reason", "winner" (a label or ""), "p_value", "arms": [...], "sent":
    # label or ""}; figures as they were when it was made.
    decision = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("A/B test")
        verbose_name_plural = _("A/B tests")

    def __str__(self):
        return str(self.campaign)


class Attempt(models.Model):
    """One call to im_push: the ledger the quota is counted from."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        OK = "ok", _("Accepted")
        REFUSED = "refused", _("Refused")
        UNKNOWN = "unknown", _("Outcome unknown")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attempts",
                                 verbose_name=_("campaign"))
    msg_random = models.BigIntegerField(_("message random (MsgRandom)"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices,
                               default=Outcome.IN_FLIGHT)
    error_code = models.IntegerField(_("Tencent's error code"), null=True, blank=True)
    error_info = models.TextField(_("Tencent's error text"), blank=True)
    task_id = models.CharField(_("Tencent task id"), max_length=128, blank=True)
    quota_day = models.DateField(_("quota day"))
    # False only when Tencent answered with a refusal: then the push did not happen.
    counts_quota = models.BooleanField(_("counts against the quota"), default=True)

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("push attempt")
        verbose_name_plural = _("push attempts")
        indexes = [models.Index(fields=["quota_day", "counts_quota"]),
                   models.Index(fields=["-started_at"])]

    def __str__(self):
        return _("Attempt at %(time)s") % {"time": self.started_at.strftime("%Y-%m-%d %H:%M:%S")}


class QuotaDay(models.Model):
    """One row per app and quota day, locked while a campaign is booked into it, so concurrent
    schedule calls cannot overbook the day."""

    app = app_field()
    day = models.DateField()

    class Meta:
        verbose_name = _("quota day")
        verbose_name_plural = _("quota days")
        constraints = [models.UniqueConstraint(fields=["app", "day"], name="one_row_per_app_day")]


class PushGate(models.Model):
    """One row per app that every worker on every host passes through before calling im_push
    for it: apps are spaced and leased apart, as Tencent limits them."""

    app = models.OneToOneField(App, on_delete=models.CASCADE, related_name="+")
    lease_until = models.DateTimeField(null=True, blank=True)
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    next_allowed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push gate")
        verbose_name_plural = _("push gate")


class DispatcherRole(models.Model):
    """One per share of the apps (an app's id modulo DISPATCHERS): the dispatcher sending that
    share's campaigns holds it until `held_until`, renewing it on the database's clock, so one
    worker process at a time sends a share. Its last tick is the scheduler's heartbeat."""

    share = models.PositiveSmallIntegerField(primary_key=True)
    held_until = models.DateTimeField(null=True, blank=True)
    last_tick_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dispatcher role")
        verbose_name_plural = _("dispatcher roles")


class TestGroup(models.Model):
    """A person's named list of accounts (colleagues' phones) to send test pushes to."""

    app = app_field()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="test_groups")
    name = models.CharField(max_length=100)
    accounts = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("test group")
        verbose_name_plural = _("test groups")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["app", "owner", "name"],
                                               name="one_test_group_name_per_owner")]

    def __str__(self):
        return self.name


class TestSend(models.Model):
    """One v4/timpush/batch call with a campaign's offline push: what was sent, to whom, and
    what came back per account. Counted apart from the campaign's pushes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="test_sends")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                related_name="+")
    group = models.ForeignKey(TestGroup, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    accounts = models.JSONField(default=list)
    # sha256 of the campaign's push value as it was sent (campaigns.tester_sends.push_digest).
    push_digest = models.CharField(max_length=64)
    offline_push_info = models.JSONField(default=dict)
    data_id = models.CharField(max_length=64)
    msg_random = models.BigIntegerField()
    outcome = models.CharField(max_length=16, choices=Attempt.Outcome.choices,
                               default=Attempt.Outcome.IN_FLIGHT)
    error_code = models.IntegerField(null=True, blank=True)
    error_info = models.TextField(blank=True)
    task_id = models.CharField(max_length=128, blank=True)
    # [{"account", "code", "info"}] for every account, code 0 for those Tencent took.
    results = models.JSONField(default=list)
    reached = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    quota_day = models.DateField()

    class Meta:
        verbose_name = _("test send")
        verbose_name_plural = _("test sends")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["campaign", "-started_at"]),
                   models.Index(fields=["quota_day", "outcome"])]


class Authored(models.Model):
    """Who made a template or series and who changed it last (the lists show both)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    # Who wrote the campaign it was made from (see Campaign.content_by).
    content_by = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class MessageTemplate(Authored):
    """A campaign's message, audience (Condition) and push settings kept under a name, to start
    new campaigns from; `push` holds the campaign's push without what is not kept (see
    campaigns.library.TEMPLATE_FIELDS)."""

    app = app_field()
    name = models.CharField(max_length=200)
    push = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "name"],
                                               name="one_template_name_per_app")]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Series(Authored):
    """A campaign repeated on an RFC 5545 rule in its author's time zone. Occurrences are booked
    as campaigns a horizon ahead (campaigns/recurring.py), so the calendar and quota see them."""

    class FullDay(models.TextChoices):
        SKIP = "skip", _("Skip that occurrence")
        NEXT_DAY = "next_day", _("Move it to the next day with room")

    app = app_field()
    name = models.CharField(max_length=200)
    push = models.JSONField(default=dict)
    timezone = models.CharField(max_length=64)
    # DTSTART, as a wall-clock date and time in `timezone`: the local hour kept across DST.
    starts_on = models.DateField()
    local_time = models.TimeField()
    # The RRULE's value without DTSTART, e.g. "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10".
    rrule = models.CharField(max_length=300)
    full_day = models.CharField(max_length=10, choices=FullDay.choices, default=FullDay.SKIP)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("recurring series")
        verbose_name_plural = _("recurring series")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class Workspace(models.Model):
    """Settings of the one workspace, edited by admins: quiet hours (local wall-clock times,
    e.g. 22:00–08:00) in which no campaign should land."""

    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspace")

    def __str__(self):
        return str(_("Workspace"))

    @classmethod
    def current(cls) -> "Workspace":
        return cls.objects.get_or_create(pk=1)[0]
