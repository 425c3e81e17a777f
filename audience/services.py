"""Writes to an app's audience: its attribute names, segments, bulk jobs, and its mirror.
Each call is of one app (the default app's when none is named, as for one-app scripts); a job
is its segment's app's.

The rules of tags, attributes and accounts are pushclient's payload rules.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core import tencent
from core.audit import audit_record
from core.chat_apps import app_or_default
from core.errors import InvalidInput as AudienceInvalid
from core.models import App
from core.payload_words import invalid_input, words_by_field
from core.queue import enqueue, require_queue
from core.text import clauses, items_from_text, whole_number
from pushclient import payload

from .mirror import mirror_apply
from .selectors import attribute_names
from .states import job_transition, segment_transition

from .rules import (ImportRefused, account_id_errors, account_id_violations,
                    job_attrs_errors, job_tags_errors, job_zone_attrs_errors, job_zone_tags_errors)

from .models import (
    AccountAttr,
    AttributeName,
    Job,
    Segment,
    SegmentAccount,
    UploadChunk,
)

__all__ = ["AudienceInvalid"]
INVALID_LINES_KEPT = 100
log = logging.getLogger(__name__)
INSERT_CHUNK = 5000
ANALYZE_AFTER_ACCOUNTS = 50_000  # an import this large refreshes the planner's statistics
UPLOAD_CHUNK_BYTES = 1024 * 1024


class RenameNeedsConfirmation(Exception):
    """Renaming an index changes what values already stored on users mean."""


# --- attribute names ---------------------------------------------------------------------

def attribute_names_update(*, user, names: dict, confirm_rename: bool = False,
                           app: App | None = None) -> dict[str, str]:
    """Set the app's names on Tencent (which merges by index), then here; returns all its
    names. Each app has Tencent's ten of its own."""
    app = app_or_default(app)
    current = attribute_names(app)
    merged = {**current, **names} if isinstance(names, dict) else names
    violations = payload.attr_names_violations(merged)
    if violations:
        raise invalid_input(violations)
    renames = {i: (current[i], n) for i, n in names.items() if i in current and current[i] != n}
    if renames and not confirm_rename:
        held = dict(AccountAttr.objects.filter(app=app,
                                               name__in=[old for old, _ in renames.values()])
                    .values_list("name").annotate(n=Count("pk")))
        parts = [_("index %(index)s from '%(old)s' to '%(new)s' (%(held)s accounts hold a "
                   "value)") % {"index": i, "old": old, "new": new,
                                "held": number_format(held.get(old, 0), force_grouping=True)}
                 for i, (old, new) in sorted(renames.items())]
        raise RenameNeedsConfirmation(_(
            "Renaming %(renames)s changes the meaning of values already stored on users: "
            "Tencent keeps values by index. Confirm the rename to go ahead.")
            % {"renames": clauses(parts)})
    tencent.client(app).members.set_attr_names(names)
    with transaction.atomic():
        for index, name in names.items():
            AttributeName.objects.update_or_create(app=app, index=int(index),
                                                   defaults={"name": name})
        for old, new in renames.values():
            AccountAttr.objects.filter(app=app, name=old).update(name=new)
        audit_record(actor=user, verb="attribute_names.set", subject_type="attribute_names",
                     names=", ".join(f"{i}={n}" for i, n in sorted(names.items())),
                     app=app.slug)
    return merged


def attribute_names_pull(*, user=None, app: App | None = None) -> dict[str, str]:
    """Read the app's names back from Tencent and keep them here."""
    app = app_or_default(app)
    names = tencent.client(app).members.get_attr_names()
    with transaction.atomic():
        AttributeName.objects.filter(app=app).exclude(
            index__in=[int(i) for i in names]).delete()
        for index, name in names.items():
            AttributeName.objects.update_or_create(app=app, index=int(index),
                                                   defaults={"name": name})
        audit_record(actor=user, verb="attribute_names.read_back",
                     subject_type="attribute_names",
                     names=", ".join(f"{i}={n}" for i, n in sorted(names.items())),
                     app=app.slug)
    return names


# --- one account -------------------------------------------------------------------------

def account_change(*, user, account: str, operation: str, values: list[str],
                   attrs: dict | None = None, app: App | None = None) -> None:
    """Change one account of the app on Tencent (`values` are tags or attribute names; `attrs`
    the attributes to set), then keep the change in the app's mirror and the trail together."""
    app = app_or_default(app)
    client = tencent.client(app).members
    if operation == Job.Action.ADD_TAGS:
        client.add_tags({account: values})
    elif operation == Job.Action.REMOVE_TAGS:
        client.remove_tags({account: values})
    elif operation == Job.Action.REMOVE_ALL_TAGS:
        client.remove_all_tags([account])
    elif operation == Job.Action.SET_ATTRS:
        client.set_attrs({account: attrs}, attr_names=attribute_names(app).values())
    elif operation == Job.Action.REMOVE_ATTRS:
        client.remove_attrs({account: values})
    else:
        raise ValueError(f"unknown operation {operation!r}")
    attrs = attrs if operation == Job.Action.SET_ATTRS else dict.fromkeys(values)
    with transaction.atomic():
        mirror_apply(action=operation, accounts=[account], tags=values, attrs=attrs, app=app)
        audit_record(actor=user, verb="account.changed", subject_type="account",
                     account=account, operation=operation,
                     values=", ".join(f"{n}={v}" for n, v in attrs.items())
                     if operation == Job.Action.SET_ATTRS else ", ".join(values), app=app.slug)


# --- segments -----------------------------------------------------------------------------

def text_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Decode an uploaded file lazily: UTF-8 with or without a BOM, any line ending.

    Each chunk is scanned once; the pieces of a line that spans many chunks are joined once, at
    its end, so a file with very long lines is read in linear time."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    pieces: list[str] = []  # the line not yet ended
    after_cr = False  # the last text ended with \r: a \n opening the next belongs to it

    def decoded() -> Iterator[str]:
        try:
            yield from (decoder.decode(chunk) for chunk in stream)
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportRefused("accounts_file", "segment.not_utf8") from None

    for text in decoded():
        if not text:
            continue
        if after_cr and text[0] == "\n":
            text = text[1:]
        after_cr = text.endswith("\r")
        *ended, rest = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if ended:
            pieces.append(ended[0])
            yield "".join(pieces)
            yield from ended[1:]
            pieces = []
        pieces.append(rest)
    if any(pieces):
        yield "".join(pieces)


def _csv_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """CSV rows; a row the csv module cannot read (a field over its 128 KiB limit, say) is
    refused with its line number instead of failing the request."""
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRefused("accounts_file", "segment.csv_unreadable",
                                line=reader.line_num, detail=str(exc)) from None
        yield row


# A one-column file whose first line is one of these names a column: it is a header.
HEADER_NAMES = {"account", "accounts", "account_id", "accountid", "account id", "user", "userid",
                "user_id", "user id", "users", "id", "ids", "identifier", "uid", "member",
                "member_id", "memberid", "to_account", "用户", "用户id", "账号", "帐号", "账号id"}


def _first_line_fields(first: str) -> list[str]:
    """Line 1's CSV fields, to tell a header. A field over the csv module's limit (128 KiB)
    names no column: the line is then one field, read on as an account like any line (and
    reported as too long), never an error of the csv module."""
    try:
        return next(csv.reader([first]), [])
    except csv.Error:
        return [first]


def _header_problem(first: str) -> ImportRefused | None:
    """Why a first line must not be read as an account when no column was chosen: it names
    several columns, or it is a column's name. Stored as accounts they would be junk."""
    fields = _first_line_fields(first)
    if len(fields) > 1:
        # Named as people read them, shortened: a 200 KB header was echoed whole in the answer.
        names = [Truncator(f.strip()).chars(40) for f in fields[:10]]
        columns = ", ".join(names + (["…"] if len(fields) > 10 else []))
        return ImportRefused("column", "segment.several_columns", columns=columns)
    if first.strip().lower() in HEADER_NAMES:
        return ImportRefused("column", "segment.header_line", name=first.strip())
    return None


def _accounts_from(lines: Iterable[str], column: str | None,
                   text: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, account) pairs; with `column`, lines are CSV and the named or numbered
    column holds the account. A file or pasted `text` with no column chosen must not start
    with a CSV header (see _header_problem)."""
    if column is None:
        for number, line in enumerate(lines, 1):
            if number == 1 and text:
                problem = _header_problem(line)
                if problem:
                    raise problem
            yield number, line.strip()
        return
    reader = _csv_rows(lines)
    header = next(reader, None) or []
    index = whole_number(column)
    if index is not None:
        if header and index < len(header):
            yield 1, header[index].strip()
    elif column in header:
        index = header.index(column)
    else:
        raise ImportRefused("column", "segment.no_column", column=column,
                            columns=", ".join(header))
    for number, row in enumerate(reader, 2):
        yield number, (row[index].strip() if index < len(row) else "")


PREVIEW_ROWS = 10
PREVIEW_BYTES = 64 * 1024  # what the upload page sends of a file for its preview


def segment_preview(*, head: bytes, complete: bool, column: str | None) -> dict:
    """What an upload would store, from the start of the file, before anything is stored: the
    columns of a CSV (with the one that likely holds accounts), and the first accounts as the
    import would read them, each with the rule it breaks. The same reading as the import."""
    if not complete:  # whole lines only: the last one may be cut, mid-character even
        head = head[:head.rfind(b"\n") + 1]
    try:
        lines = list(text_lines([head]))
    except AudienceInvalid as exc:
        return {"errors": exc.errors, "columns": [], "rows": [], "column": column}
    first = next((line for line in lines[:1]), "")
    columns = [f.strip() for f in _first_line_fields(first)] if first else []
    looks_like_header = len(columns) > 1 or first.strip().lower() in HEADER_NAMES
    suggested = None
    if looks_like_header:
        suggested = next((c for c in columns if c.lower() in HEADER_NAMES), columns[0])
    chosen = column or suggested
    rows, errors = [], {}
    try:
        for number, account in _accounts_from(lines, chosen, text=True):
            if account:
                problems = account_id_errors(_("line %(n)s") % {"n": number}, account)
                rows.append({"line": number, "account": account,
                             "problem": problems[0] if problems else ""})
            if len(rows) >= PREVIEW_ROWS:
                break
    except AudienceInvalid as exc:
        errors = exc.errors
    return {"columns": columns if looks_like_header else [], "column": chosen,
            "suggested": None if column else suggested, "rows": rows, "errors": errors}


def _segment_name(name: str) -> str:
    if not name or not name.strip():
        raise AudienceInvalid({"name": [_("Give the segment a name")]})
    return name.strip()[:200]


def segment_import(*, user, name: str, lines: Iterable[str], column: str | None = None,
                   text: bool = False, app: App | None = None) -> Segment:
    """Import a list of the app's accounts in this process, all or nothing: pasted `text`, an
    API list, a small file."""
    with transaction.atomic():
        segment = Segment.objects.create(app=app_or_default(app), name=_segment_name(name),
                                         created_by=user)
        _segment_fill(segment, lines, column, text=text)
    segment.refresh_from_db()
    return segment


def _segment_fill(segment: Segment, lines: Iterable[str], column: str | None,
                  progress: Callable[[], None] = lambda: None, text: bool = False) -> None:
    """Stream accounts into a segment: blanks and duplicates dropped, invalid ids reported by
    line. Memory stays bounded whatever the size: rows go to the database in chunks and the
    database's unique constraint drops the duplicates."""
    valid = read = 0
    invalid: list[list] = []
    invalid_count = 0
    chunk: list[SegmentAccount] = []
    for number, account in _accounts_from(lines, column, text):
        read = number
        if not account:
            continue
        problems = account_id_violations("account", account)
        if problems:
            invalid_count += 1
            if len(invalid) < INVALID_LINES_KEPT:
                invalid.append([number, problems[0].rule, problems[0].params])
            continue
        valid += 1
        chunk.append(SegmentAccount(segment=segment, account=account))
        if len(chunk) >= INSERT_CHUNK:
            SegmentAccount.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
            progress()
    SegmentAccount.objects.bulk_create(chunk, ignore_conflicts=True)
    size = segment.accounts.count()
    if size >= ANALYZE_AFTER_ACCOUNTS and connection.vendor == "postgresql":
        # A bulk job cuts its batches from these rows at once. With the table's statistics
        # from before the import (or none: autovacuum not round yet, or off), PostgreSQL read
        # every remaining account of a 10,000,000-account segment to cut each 5,000 (2 s a
        # cut, the job at a third of Tencent's ceiling). Sampling the table takes a second.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(SegmentAccount._meta.db_table)}")
    if size == 0:
        if invalid:
            raise ImportRefused("accounts", "segment.no_valid_account", line=invalid[0])
        raise ImportRefused("accounts", "segment.empty")
    Segment.objects.filter(pk=segment.pk).update(
        size=size, lines_read=read, duplicates=valid - size, invalid_lines=invalid,
        invalid_count=invalid_count)


def segment_upload(*, user, name: str, uploaded, column: str | None = None,
                   app: App | None = None) -> Segment:
    """A file of the app's accounts: a small one is imported at once; a large one is stored
    here and imported by a worker, because a 1,000,000-line file takes longer than a web request
    may last. The first chunk is checked now, so a file that is not UTF-8 or lacks the column
    is refused at once."""
    lines = upload_lines(uploaded)
    if uploaded.size <= settings.AUDIENCE_INLINE_IMPORT_BYTES:
        return segment_import(user=user, name=name, lines=lines, column=column, text=True,
                              app=app)
    name = _segment_name(name)
    require_queue()  # a worker imports it: with the queue down, store nothing and say so
    with transaction.atomic():
        segment = Segment.objects.create(
            app=app_or_default(app), name=name, created_by=user,
            status=Segment.Status.IMPORTING, column=column or "",
            bytes_total=uploaded.size, progress_at=timezone.now())
        uploaded.seek(0)  # an in-memory upload's chunks() ignores the chunk size
        for seq, data in enumerate(iter(lambda: uploaded.read(UPLOAD_CHUNK_BYTES), b"")):
            if seq == 0:
                head = data[:data.rfind(b"\n") + 1]  # whole lines: no UTF-8 sequence cut
                for _line in _accounts_from(text_lines([head]), column, text=True):
                    pass
            UploadChunk.objects.create(segment=segment, seq=seq, data=data)
        # robust: committed by then; should the queue have gone down since require_queue(),
        # beat restarts the silent import once it is back (resume_stalled_imports).
        transaction.on_commit(lambda: segment_import_enqueue(segment_id=segment.pk),
                              robust=True)
    return segment


# Tasks of audience/tasks.py are queued by name: tasks call services, so services do not
# import tasks (one direction, no cycle).
def segment_import_enqueue(*, segment_id: int) -> None:
    enqueue("audience.tasks.import_segment", segment_id)


def segment_import_stored(*, segment_id: int) -> None:
    """The worker's part of a large upload: import the stored file, reporting progress, then
    start the jobs waiting for it. A try that died is started over (beat notices the silence)."""
    segment = Segment.objects.filter(pk=segment_id, status=Segment.Status.IMPORTING).first()
    if segment is None:
        return
    SegmentAccount.objects.filter(segment=segment).delete()
    read = 0

    def stored() -> Iterator[bytes]:
        nonlocal read
        for pk in segment.upload_chunks.order_by("seq").values_list("pk", flat=True):
            data = bytes(UploadChunk.objects.values_list("data", flat=True).get(pk=pk))
            read += len(data)
            yield data

    def progress() -> None:
        Segment.objects.filter(pk=segment.pk).update(bytes_read=read, progress_at=timezone.now())

    try:
        _segment_fill(segment, text_lines(stored()), segment.column or None, progress,
                      text=True)
    except ImportRefused as exc:
        _segment_failed(segment, exc.stored, read)
        return
    except DatabaseError:
        raise  # the database went away: beat starts the import again once it is silent
    except Exception:
        # Anything else would happen again on every try: beat would restart the import for
        # ever, the segment `importing` and its jobs `queued`. It fails in words instead, and
        # the error goes to the log.
        log.exception("importing segment %s failed", segment.pk)
        _segment_failed(segment, [["accounts_file", "segment.import_failed", {}]], read)
        return
    with transaction.atomic():
        if not segment_transition(segment, to=Segment.Status.READY, bytes_read=read,
                                  progress_at=timezone.now()):
            return  # another worker's try of the same import ended it first
        segment.upload_chunks.all().delete()
        waiting = list(Job.objects.filter(segment=segment, status=Job.Status.QUEUED)
                       .values_list("pk", flat=True))
        Job.objects.filter(segment=segment).update(total=segment.accounts.count())
        for job_id in waiting:
            transaction.on_commit(lambda job_id=job_id: job_enqueue(job_id=job_id))


def _segment_failed(segment: Segment, errors: list, read: int) -> None:
    """`errors`: [[field, rule id, params], …] (audience.rules.IMPORT_RULES)."""
    with transaction.atomic():
        if not segment_transition(segment, to=Segment.Status.FAILED, error=errors,
                                  bytes_read=read):
            return  # another worker's try of the same import ended it first
        SegmentAccount.objects.filter(segment=segment).delete()
        segment.upload_chunks.all().delete()
        for job_id in Job.objects.filter(segment=segment, status=Job.Status.QUEUED).values_list(
                "pk", flat=True):
            job_transition(job_id, to=Job.Status.FAILED, from_=[Job.Status.QUEUED],
                           finished_at=timezone.now())


def resume_stalled_imports(*, silent_for: float = 60.0) -> list[int]:
    """Imports whose worker died (no progress for a while) are started again."""
    stalled = list(Segment.objects.filter(
        status=Segment.Status.IMPORTING,
        progress_at__lt=timezone.now() - dt.timedelta(seconds=silent_for))
        .values_list("pk", flat=True))
    for segment_id in stalled:
        Segment.objects.filter(pk=segment_id).update(progress_at=timezone.now())
        segment_import_enqueue(segment_id=segment_id)
    return stalled


# --- jobs ---------------------------------------------------------------------------------

def _job_input_errors(action: str, tags, attrs, attr_names) -> dict[str, list[str]]:
    if action == Job.Action.ASSIGN_BUCKETS:
        # Its accounts are the app's known ones without a bucket, chosen when it starts.
        return {"action": [_("Buckets are assigned to the app's known accounts, not to a "
                             "segment: use Assign buckets on the Audiences page or "
                             "POST /api/audience/buckets/.")]}
    if action not in Job.Action.values:
        return {"action": [f"action must be one of {', '.join(Job.Action.values)}"]}
    if action in (Job.Action.ADD_TAGS, Job.Action.REMOVE_TAGS):
        problems = job_tags_errors(tags)
        if not problems and action == Job.Action.ADD_TAGS:
            problems = job_zone_tags_errors(tags)
        if problems:
            return {"tags": problems}
        check = payload.tag_entry_check()
        return words_by_field(check("tags", tags))
    if action in (Job.Action.SET_ATTRS, Job.Action.REMOVE_ATTRS):
        problems = job_attrs_errors(attrs, removing=action == Job.Action.REMOVE_ATTRS)
        if problems:
            return {"attrs": problems}
    if action == Job.Action.SET_ATTRS:
        errors = words_by_field(payload.attr_map_check(attr_names)("attrs", attrs))
        zone_problems = job_zone_attrs_errors(attrs)
        return errors or ({"attrs": zone_problems} if zone_problems else {})
    if action == Job.Action.REMOVE_ATTRS:
        names = list(attrs) if isinstance(attrs, (list, dict)) else attrs
        errors = payload.attr_list_check("attrs", names)
        unknown = [n for n in names or [] if isinstance(n, str) and n not in set(attr_names)]
        if unknown:
            errors.append(payload.Violation("attrs", "attrs.unknown_name",
                                            {"name": unknown[0], "choices": sorted(attr_names)},
                                            code=90033))
        return words_by_field(errors)
    return {}


def job_create(*, user, action: str, segment: Segment, tags=None, attrs=None,
               api: str = "all_member_push") -> Job:
    """A job on `segment`, of the segment's app: its attribute names, its calls, its mirror."""
    tags = tags if tags is not None else []
    if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
        tags = list(dict.fromkeys(tags))  # "vip, vip" is one tag: sent once, counted once
    attrs = attrs if attrs is not None else {}
    errors = _job_input_errors(action, tags, attrs, attribute_names(segment.app).values())
    if api not in ("all_member_push", "timpush"):
        errors["api"] = ["api must be all_member_push or timpush"]
    if segment.status == Segment.Status.FAILED:
        errors["segment"] = [_("The segment's file could not be imported; upload it again")]
    if errors:
        raise AudienceInvalid(errors)
    require_queue()  # workers run it: with the queue down, store nothing and say so
    # Keep only what the action uses: tags for tag actions, attributes for attribute actions.
    tags = tags if action in (Job.Action.ADD_TAGS, Job.Action.REMOVE_TAGS) else []
    if action == Job.Action.REMOVE_ATTRS:
        attrs = {name: None for name in attrs}
    elif action != Job.Action.SET_ATTRS:
        attrs = {}
    with transaction.atomic():
        job = Job.objects.create(app_id=segment.app_id, action=action, segment=segment,
                                 tags=tags, attrs=attrs, api=api, total=segment.size,
                                 created_by=user)
        audit_record(actor=user, verb="job.created", subject=job, action=action,
                     segment=segment.name, accounts=segment.size)
        # robust: committed by then; should the queue have gone down since require_queue(),
        # beat hands the queued job to workers once it is back (stalled_jobs).
        transaction.on_commit(lambda: job_enqueue(job_id=job.pk), robust=True)
    return job


def job_enqueue(*, job_id: int) -> None:
    for _task in range(settings.AUDIENCE_TASKS_PER_JOB):
        enqueue("audience.tasks.run_job", job_id)


def job_cancel(*, job: Job, user) -> bool:
    # Stopped is finished until resumed (which clears it): the page's rate ends here.
    return job_transition(job, to=Job.Status.CANCELLED, actor=user, finished_at=timezone.now())


def job_resume(*, job: Job, user) -> bool:
    require_queue()  # as job_create: a resumed job waits for workers
    with transaction.atomic():
        if not job_transition(job, to=Job.Status.QUEUED, actor=user, finished_at=None):
            return False
        transaction.on_commit(lambda: job_enqueue(job_id=job.pk), robust=True)  # as job_create
    return True


def upload_lines(uploaded) -> Iterator[str]:
    """Lines of an uploaded file, refusing one over the size limit before reading it."""
    if uploaded.size > settings.AUDIENCE_MAX_UPLOAD_BYTES:
        limit = settings.AUDIENCE_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise AudienceInvalid({"accounts_file": [
            _("The file is %(size).1f MB; at most %(limit)s MB is allowed")
            % {"size": uploaded.size / 1024 / 1024, "limit": limit}]})
    return text_lines(uploaded.chunks(64 * 1024))


def pasted_lines(text: str, *, csv: bool = False) -> Iterator[str]:
    """Pasted accounts are a typed list: one a line, or several on a line separated as every
    typed list is ("u1, u2，u3；u4、u5", core.text). Only with a CSV column chosen do lines stay
    whole, for the column and header checks."""
    for line in text.splitlines():
        if csv:
            yield line
        else:
            yield from items_from_text(line) or [line]


def segment_from_form(*, user, name: str, uploaded, pasted: str, column,
                      app: App | None = None) -> Segment:
    """A segment of the app from a form (the Audiences page, Django admin): its file, else the
    accounts pasted into it."""
    if uploaded:
        return segment_upload(user=user, name=name, uploaded=uploaded, column=column, app=app)
    return segment_import(user=user, name=name, lines=pasted_lines(pasted, csv=column not in (
        None, "")), column=column, text=True, app=app)
