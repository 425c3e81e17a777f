"""The app's attribute names, segments of accounts, bulk tagging jobs, and the audience mirror."""

from django.db import models


class AttributeName(models.Model):
    """One of the app's ten attribute slots ("0"–"9"), as last set on Tencent."""

    index = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=50, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"{self.index}: {self.name}"


class Segment(models.Model):
    """A named list of accounts, uploaded or pasted; its accounts live in SegmentAccount.

    A large file is stored by the web request (UploadChunk) and imported by a worker, which
    reports its progress here; until then the segment is `importing`."""

    class Status(models.TextChoices):
        IMPORTING = "importing", "Importing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    column = models.CharField(max_length=200, blank=True)  # a CSV's account column, if any
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    progress_at = models.DateTimeField(null=True, blank=True)  # a silent import is restarted
    error = models.JSONField(default=dict, blank=True)  # {field: [message]} when it failed
    created_by = models.ForeignKey("auth.User", on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    size = models.PositiveIntegerField(default=0)
    lines_read = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # [[line number, reason], …] for the first invalid lines; `invalid_count` counts them all.
    invalid_lines = models.JSONField(default=list, blank=True)
    invalid_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.size:,} accounts)"


class SegmentAccount(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="accounts")
    account = models.CharField(max_length=64)

    class Meta:
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
        constraints = [models.UniqueConstraint(fields=["segment", "seq"],
                                               name="one_upload_chunk_per_seq")]


class Job(models.Model):
    """One action applied to a segment, in calls of at most 100 accounts."""

    class Action(models.TextChoices):
        ADD_TAGS = "add_tags", "Add tags"
        REMOVE_TAGS = "remove_tags", "Remove tags"
        REMOVE_ALL_TAGS = "remove_all_tags", "Remove all tags"
        SET_ATTRS = "set_attrs", "Set attributes"
        REMOVE_ATTRS = "remove_attrs", "Remove attributes"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    action = models.CharField(max_length=20, choices=Action.choices)
    api = models.CharField(max_length=20, default="all_member_push",
                           choices=[("all_member_push", "all_member_push"),
                                    ("timpush", "timpush")])
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="jobs")
    tags = models.JSONField(default=list, blank=True)
    attrs = models.JSONField(default=dict, blank=True)  # {name: value} to set, or {name: None} to remove
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    prepared = models.BooleanField(default=False)  # every account is in a batch
    # How far the segment has been cut into batches: the last SegmentAccount pk, the next seq.
    prepared_through = models.BigIntegerField(default=0)
    batch_count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey("auth.User", on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_action_display()} on {self.segment.name}"


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
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "status", "seq"])]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="one_batch_per_seq")]


class JobFailure(models.Model):
    """An account the job could not apply to, with Tencent's reason."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="failures")
    account = models.CharField(max_length=64)
    code = models.IntegerField()
    reason = models.TextField()


class KnownAccount(models.Model):
    """The audience mirror: accounts this product has tagged or given attributes."""

    account = models.CharField(max_length=64, unique=True)


class AccountTag(models.Model):
    account = models.CharField(max_length=64)
    tag = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "tag"], name="one_tag_row")]
        indexes = [models.Index(fields=["tag", "account"])]


class AccountAttr(models.Model):
    account = models.CharField(max_length=64)
    name = models.CharField(max_length=50)
    value = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="one_attr_row")]
        indexes = [models.Index(fields=["name", "value"])]
