"""Each app's attribute names, segments of accounts, bulk tagging jobs, and audience mirror.

An audience is an app's (core.models.App): Tencent keeps tags, attributes and their names per
SDKAppID, so the same account id in two apps is two people. A segment's accounts, upload and
jobs, and a job's batches and failures, are of the segment's app."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.chat_apps import app_field
from core.payload_words import explain_words

from .rules import import_error_words, invalid_line_words


class AttributeName(models.Model):
    """One of the app's ten attribute slots ("0"–"9"), as last set on Tencent."""

    app = app_field(db_index=False)
    index = models.PositiveSmallIntegerField(_("index"))
    name = models.CharField(_("name"), max_length=50)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["index"]
        verbose_name = _("attribute name")
        verbose_name_plural = _("attribute names")
        constraints = [
            models.UniqueConstraint(fields=["app", "index"], name="one_attribute_name_per_index"),
            models.UniqueConstraint(fields=["app", "name"], name="attribute_names_differ")]

    def __str__(self):
        return f"{self.index}: {self.name}"


class Segment(models.Model):
    """A named list of accounts, uploaded or pasted; its accounts live in SegmentAccount.

    A large file is stored by the web request (UploadChunk) and imported by a worker, which
    reports its progress here; until then the segment is `importing`."""

    class Status(models.TextChoices):
        IMPORTING = "importing", _("Importing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Import failed")

    app = app_field(db_index=False)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.READY)
    # a CSV's account column, if any
    column = models.CharField(_("CSV column"), max_length=200, blank=True)
    bytes_total = models.BigIntegerField(_("file size (bytes)"), default=0)
    bytes_read = models.BigIntegerField(_("bytes imported"), default=0)
    # a silent import is restarted
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    # [[field, rule id, params], …] when it failed (audience.rules.IMPORT_RULES)
    error = models.JSONField(_("import error"), default=dict, blank=True)
    created_by = models.ForeignKey("auth.User", on_delete=models.PROTECT,
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    size = models.PositiveIntegerField(_("accounts"), default=0)
    lines_read = models.PositiveIntegerField(_("lines read"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates dropped"), default=0)
    # [[line number, rule id, params], …] for the first invalid lines (audience.rules'
    # account_id_violations); `invalid_count` counts them all.
    invalid_lines = models.JSONField(_("first invalid lines"), default=list, blank=True)
    invalid_count = models.PositiveIntegerField(_("invalid lines"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        indexes = [models.Index(fields=["app", "-created_at"])]

    def __str__(self):
        return ngettext("%(name)s (%(size)s account)", "%(name)s (%(size)s accounts)",
                        self.size) % {"name": self.name, "size": f"{self.size:,}"}

    def error_words(self) -> dict[str, list[str]]:
        """{field: [why]} in the reader's language, or {} when the import did not fail."""
        return import_error_words(self.error) if self.error else {}

    def invalid_lines_words(self) -> list[list]:
        """[[line number, why], …] in the reader's language."""
        return [invalid_line_words(line) for line in self.invalid_lines]


class SegmentAccount(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="accounts",
                                verbose_name=_("segment"))
    account = models.CharField(_("account"), max_length=64)

    class Meta:
        verbose_name = _("segment account")
        verbose_name_plural = _("segment accounts")
        constraints = [models.UniqueConstraint(fields=["segment", "account"],
                                               name="one_account_per_segment")]
        # Jobs cut a segment into batches in pk order, a slice at a time.
        indexes = [models.Index(fields=["segment", "id"])]


class UploadChunk(models.Model):
    """An uploaded file, a megabyte a row, kept until a worker has imported it: the database is
    the one store every worker on every host reaches."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="upload_chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        verbose_name = _("uploaded file part")
        verbose_name_plural = _("uploaded file parts")
        constraints = [models.UniqueConstraint(fields=["segment", "seq"],
                                               name="one_upload_chunk_per_seq")]


class Job(models.Model):
    """One action applied to a segment, in calls of at most 100 accounts."""

    class Action(models.TextChoices):
        ADD_TAGS = "add_tags", _("Add tags")
        REMOVE_TAGS = "remove_tags", _("Remove tags")
        REMOVE_ALL_TAGS = "remove_all_tags", _("Remove all tags")
        SET_ATTRS = "set_attrs", _("Set attributes")
        REMOVE_ATTRS = "remove_attrs", _("Remove attributes")
        # Each account its own bucket tag (audience.buckets): one add_tag call per 100.
        ASSIGN_BUCKETS = "assign_buckets", _("Assign A/B buckets")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Api(models.TextChoices):
        # The two families of Tencent endpoints that set tags and attributes (spec §2, §3).
        ALL_MEMBER_PUSH = "all_member_push", _("Push to all users (all_member_push)")
        TIMPUSH = "timpush", _("Push service (timpush): lists accounts that do not exist")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    app = app_field(db_index=False)  # its segment's
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    api = models.CharField(
        _("Tencent API"), max_length=20, default=Api.ALL_MEMBER_PUSH, choices=Api.choices,
        help_text=_("Which of Tencent's endpoints sets the tags and attributes. The push "
                    "service's also reports each account that does not exist."))
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="jobs",
                                verbose_name=_("segment"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # {name: value} to set, or {name: None} to remove
    attrs = models.JSONField(_("attributes"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.QUEUED)
    prepared = models.BooleanField(default=False)  # every account is in a batch
    # How far the segment has been cut into batches: the last SegmentAccount pk, the next seq.
    prepared_through = models.BigIntegerField(default=0)
    batch_count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(_("accounts"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    calls = models.PositiveIntegerField(_("calls to Tencent"), default=0)
    created_by = models.ForeignKey("auth.User", on_delete=models.PROTECT,
                                   verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        indexes = [models.Index(fields=["app", "-created_at"])]

    def __str__(self):
        return _("%(action)s on %(segment)s") % {"action": self.get_action_display(),
                                                  "segment": self.segment.name}

    @property
    def is_active(self) -> bool:
        """Queued or running: only then can it be cancelled."""
        return self.status in self.ACTIVE


class JobBatch(models.Model):
    """At most 100 accounts: one API call (or one per 10 tags). Done batches are never redone."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="batches")
    seq = models.PositiveIntegerField()
    accounts = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    tries = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The last failure as Tencent answered it (code and its ErrorInfo), worded when shown.
    error_code = models.IntegerField(null=True, blank=True)
    error_info = models.TextField(blank=True)

    class Meta:
        verbose_name = _("job batch")
        verbose_name_plural = _("job batches")
        indexes = [
            models.Index(fields=["job", "status", "seq"]),
            # Batches waiting out a retry's backoff, the first a claim looks for: a few in a
            # hundred, so the claim need not step over the index entries of finished batches.
            models.Index(fields=["job", "not_before"], name="audience_batch_retries",
                         condition=Q(status="pending", not_before__isnull=False)),
        ]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="one_batch_per_seq")]


class JobFailure(models.Model):
    """An account the job could not apply to: Tencent's code and ErrorInfo, worded when shown."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="failures",
                            verbose_name=_("bulk job"))
    account = models.CharField(_("account"), max_length=64)
    code = models.IntegerField(_("Tencent's code"))
    info = models.TextField(_("Tencent's words"), blank=True)

    class Meta:
        verbose_name = _("failed account")
        verbose_name_plural = _("failed accounts")

    def __str__(self):
        return f"{self.account} ({self.code})"

    @property
    def reason_words(self) -> str:
        """What the code means, in the reader's language."""
        return explain_words(self.code, self.info)


class KnownAccount(models.Model):
    """The audience mirror: accounts this product has tagged or given attributes, per app."""

    app = app_field(db_index=False)
    account = models.CharField(_("account"), max_length=64)

    class Meta:
        verbose_name = _("known account")
        verbose_name_plural = _("known accounts")
        constraints = [models.UniqueConstraint(fields=["app", "account"],
                                               name="one_known_account_per_app")]

    def __str__(self):
        return self.account


class AccountTag(models.Model):
    app = app_field(db_index=False)
    account = models.CharField(max_length=64)
    tag = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("account tag")
        verbose_name_plural = _("account tags")
        constraints = [models.UniqueConstraint(fields=["app", "account", "tag"],
                                               name="one_tag_row")]
        indexes = [models.Index(fields=["app", "tag", "account"])]


class AccountAttr(models.Model):
    app = app_field(db_index=False)
    account = models.CharField(max_length=64)
    name = models.CharField(max_length=50)
    value = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("account attribute")
        verbose_name_plural = _("account attributes")
        constraints = [models.UniqueConstraint(fields=["app", "account", "name"],
                                               name="one_attr_row")]
        indexes = [models.Index(fields=["app", "name", "value"])]
