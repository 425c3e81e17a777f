"""Stable random A/B buckets: every account an app knows carries one bucket tag, the
EXPERIMENT_BUCKET_PREFIX and a number below EXPERIMENT_BUCKETS drawn from a hash of the account
id ("ab:0" … "ab:9"), so an experiment sends each variant to some buckets with a push Condition.

The bucket is a function of the account id alone: assigning twice, or on another host, gives
the same tag, and an account never moves. A bulk job (Job.Action.ASSIGN_BUCKETS, the engine of
every job: the app's rate, batches of 100, progress, cancel, retries, the mirror) gives the tag
to the known accounts without one; once an app has buckets, accounts it learns of later get
theirs after the job that made them known (bucket_job_after).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.chat_apps import app_or_default
from core.errors import TransitionRefused
from core.models import App
from core.queue import require_queue

from .models import AccountTag, Job, KnownAccount, Segment, SegmentAccount
from .rules import bucket_tag, bucket_tags
from .services import job_enqueue

log = logging.getLogger(__name__)


def _bucket_holders(app: App):
    return AccountTag.objects.filter(app=app, tag__in=bucket_tags())


def bucket_sizes(app: App | None = None) -> dict[int, int]:
    """{bucket: known accounts of the app carrying its tag}, every bucket present (0 for an
    empty one), from the mirror: one grouped query on the (app, tag) index."""
    app = app_or_default(app)
    by_tag = dict(_bucket_holders(app).values_list("tag").annotate(n=Count("pk"))
                  .values_list("tag", "n"))
    return {n: by_tag.get(bucket_tag(n), 0) for n in range(settings.EXPERIMENT_BUCKETS)}


def _without_bucket(app: App):
    # NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN (subquery) as a hashed subplan only while
    # the subquery's accounts fit in work_mem, and otherwise probes the subquery once per known
    # account; at 1,000,000 known accounts the count ran for over ten minutes. NOT EXISTS is an
    # anti-join, which spills to disk when it must.
    return KnownAccount.objects.filter(app=app).filter(~Exists(
        _bucket_holders(app).filter(account=OuterRef("account"))))


def accounts_without_bucket(app: App | None = None) -> int:
    """How many of the app's known accounts carry no bucket tag yet."""
    return _without_bucket(app_or_default(app)).count()


def has_buckets(app: App | None = None) -> bool:
    """Whether buckets were ever assigned in the app: some known account carries a bucket tag."""
    return _bucket_holders(app_or_default(app)).exists()


def bucket_job_active(app: App | None = None) -> Job | None:
    return Job.objects.filter(app=app_or_default(app), action=Job.Action.ASSIGN_BUCKETS,
                              status__in=Job.ACTIVE).first()


def buckets_assign(*, user, app: App | None = None) -> Job | None:
    """Start a job that gives each known account of the app without a bucket tag its own tag.

    The job runs on a segment of those accounts, made in the same transaction, so the jobs
    page, the job's page and the API show it like any job. None when every known account has
    a bucket. Refused (TransitionRefused, in words) while another bucket job of the app is
    queued or running: two would send the same accounts twice."""
    app = app_or_default(app)
    require_queue()  # workers run it: with the queue down, store nothing and say so
    with transaction.atomic():
        # One bucket job at a time per app, even when two people press the button at once.
        App.objects.select_for_update().filter(pk=app.pk).first()
        if bucket_job_active(app):
            raise TransitionRefused(_(
                "Buckets are already being assigned in this app: wait for that job to finish "
                "(or cancel it) before starting another."))
        segment = Segment.objects.create(
            app=app, created_by=user,
            # The job reads "Assign A/B buckets on known accounts without one, 2026-12-06 05:20".
            name=_("known accounts without one, %(when)s") % {
                "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")})
        size = _fill_with_accounts_without_bucket(segment)
        if not size:
            segment.delete()
            return None
        Segment.objects.filter(pk=segment.pk).update(size=size, lines_read=size)
        job = Job.objects.create(app=app, action=Job.Action.ASSIGN_BUCKETS, segment=segment,
                                 total=size, created_by=user)
        audit_record(actor=user, verb="job.created", subject=job, action=job.action,
                     segment=segment.name, accounts=size)
        # robust, as job_create: a queue down since require_queue() leaves the job queued,
        # and beat hands it to workers once the queue is back (stalled_jobs).
        transaction.on_commit(lambda: job_enqueue(job_id=job.pk), robust=True)
    return job


def _fill_with_accounts_without_bucket(segment: Segment) -> int:
    """Copy the app's known accounts without a bucket into the segment, in the database (an
    app may know millions: none of them pass through Python); how many were copied."""
    accounts, params = _without_bucket(segment.app).values_list("account").query.sql_with_params()
    table = connection.ops.quote_name(SegmentAccount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (segment_id, account) "
                       f"SELECT %s, known.account FROM ({accounts}) AS known",
                       [segment.pk, *params])
        return cursor.rowcount


def buckets_assign_words(job: Job | None) -> str:
    """What a person who asked for buckets is told."""
    if job is None:
        return _("Every known account already has a bucket: nothing to assign.")
    return _("Assigning buckets to %(n)s accounts without one.") % {"n": f"{job.total:,}"}


def bucket_job_after(job: Job) -> Job | None:
    """After another job of an app finished: if the app has buckets and some known accounts
    have none (the job made them known, or removed their tags), start a bucket job for them,
    as the finished job's author. A bucket
    job's own finish starts nothing, so this never loops; nor does it start a second one while
    one is active. Never raises: the finished job stays finished whatever happens here."""
    if job.action == Job.Action.ASSIGN_BUCKETS:
        return None
    try:
        app = job.app
        if not has_buckets(app) or not _without_bucket(app).exists() or \
                bucket_job_active(app):
            return None
        return buckets_assign(user=job.created_by, app=app)
    except TransitionRefused:
        return None  # another bucket job was started meanwhile: it takes these accounts
    except Exception:
        # e.g. the queue down: the next job's finish tries again, or a person on the page.
        log.exception("buckets for the accounts job %s made known were not started", job.pk)
        return None
