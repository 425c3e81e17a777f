"""Segments stream in: blanks and duplicates dropped, bad ids reported by line, bounded memory."""

import io
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from audience import services
from audience.models import SegmentAccount
from audience.services import AudienceInvalid

pytestmark = pytest.mark.django_db


def upload(raw: bytes, **kwargs):
    return services.segment_import(user=kwargs.pop("user"), name="s",
                                   lines=services.upload_lines(SimpleUploadedFile("a.txt", raw)),
                                   **kwargs)


def test_it_reads_a_bom_windows_line_ends_blanks_and_duplicates(admin_user):
    segment = upload(b"\xef\xbb\xbfmary\r\nbob\r\n\r\n  \r\nmary\r\nann", user=admin_user)
    assert sorted(segment.accounts.values_list("account", flat=True)) == ["ann", "bob", "mary"]
    assert (segment.size, segment.duplicates, segment.lines_read) == (3, 1, 6)


def test_it_reports_invalid_ids_by_line(admin_user):
    segment = upload(b"ok1\nbad\x07id\n" + b"x" * 33 + b"\nZhang Xiaohong\n", user=admin_user)
    assert segment.size == 2, "an inner space is Tencent's own sample id (seed 001)"
    assert segment.invalid_lines == [  # the rule and its parameters, worded when shown
        [2, "account.control_character", {}], [3, "account.too_long", {"size": 33, "max": 32}]]
    assert segment.invalid_lines_words() == [
        [2, "line 2 holds an invisible control character. Tencent would take it as another "
            "account than the one meant: type the account id again."],
        [3, "line 3 is 33 bytes long, and Tencent account ids are at most 32 bytes: check the "
            "account id."]]
    with translation.override("zh-hans"):
        assert segment.invalid_lines_words()[1][1].startswith("第 3 行长 33 字节")


def test_it_takes_a_csv_column_by_name_or_number(admin_user):
    csv = b"name,user_id\nMary,u1\nBob,u2\n"
    assert sorted(upload(csv, user=admin_user, column="user_id").accounts
                  .values_list("account", flat=True)) == ["u1", "u2"]
    with pytest.raises(AudienceInvalid) as refused:
        upload(csv, user=admin_user, column="email")
    assert refused.value.errors == {"column": [
        "The CSV has no column 'email'; its columns are name, user_id"]}


def test_a_column_number_in_digits_that_are_not_ascii_is_a_name_not_found(admin_user):
    """"²".isdigit() is true and int("²") raises: such a column is a name, not a 500."""
    with pytest.raises(AudienceInvalid) as refused:
        upload(b"name,user_id\nMary,u1\n", user=admin_user, column="²")
    assert refused.value.errors == {"column": [
        "The CSV has no column '²'; its columns are name, user_id"]}


@pytest.mark.parametrize("raw, field, message", [
    (b"\xff\xfe\x00m\x00a", "accounts_file", "The file is not UTF-8 text"),
    (b"\x00\x01\x02\x03binary", "accounts", "No valid account in the list; line 1"),
    (b"\n" * 100_000, "accounts", "No valid account in the list; it is empty"),
])
def test_bad_files_get_a_clear_error_and_store_nothing(admin_user, raw, field, message):
    with pytest.raises(AudienceInvalid) as refused:
        upload(raw, user=admin_user)
    assert refused.value.errors[field][0].startswith(message)
    assert SegmentAccount.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_before_reading(admin_user, settings):
    settings.AUDIENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    with pytest.raises(AudienceInvalid) as refused:
        upload(b"a\n" * 600_000, user=admin_user)
    assert refused.value.errors["accounts_file"] == [
        "The file is 1.1 MB; at most 1 MB is allowed"]


def test_a_large_upload_streams_with_bounded_memory(admin_user):
    import tracemalloc
    raw = b"".join(b"user%07d\n" % i for i in range(200_000))
    tracemalloc.start()
    stream = io.BytesIO(raw)
    segment = services.segment_import(user=admin_user, name="big", lines=services.text_lines(
        iter(lambda: stream.read(65536), b"")))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert segment.size == 200_000
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_ten_million_blank_lines_are_refused_with_bounded_memory(admin_user):
    import tracemalloc
    chunk = b"\r\n" * 32768
    chunks = (chunk for _ in range(10_000_000 // 32768 + 1))
    tracemalloc.start()
    with pytest.raises(AudienceInvalid) as refused:
        services.segment_import(user=admin_user, name="blank", lines=services.text_lines(chunks))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert refused.value.errors["accounts"] == ["No valid account in the list; it is empty"]
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def characters_scanned(run) -> int:
    """How many characters the string methods called during `run` were handed: the work of
    scanning text, counted exactly (a clock on a shared machine is not)."""
    scanned = 0

    def profile(frame, event, arg):
        nonlocal scanned
        if event == "c_call" and isinstance(getattr(arg, "__self__", None), str):
            scanned += len(arg.__self__)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return scanned


def test_a_file_with_one_very_long_line_is_read_in_linear_time():
    """60 MB on one line took 84 s: every chunk re-scanned the whole line read so far."""
    chunk, chunks = 64 * 1024, 96  # a 6 MB line
    lines = []
    scanned = characters_scanned(
        lambda: lines.extend(services.text_lines(b"x" * chunk for _ in range(chunks))))
    assert [len(line) for line in lines] == [chunk * chunks]
    assert scanned <= 4 * chunk * chunks, f"{scanned / (chunk * chunks):.0f} scans of the line"


@given(st.lists(st.sampled_from(["a", "bc", "\n", "\r", "\r\n", "é", "账号", " "]), max_size=40),
       st.lists(st.integers(1, 7), min_size=1, max_size=10))
def test_lines_are_the_same_however_the_file_is_cut_into_chunks(parts, cuts):
    raw = "".join(parts).encode()
    stream, at = [], 0
    for size in cuts * (len(raw) // max(sum(cuts), 1) + 1):
        stream.append(raw[at:at + size])
        at += size
    expected = re.split(r"\r\n|\r|\n", raw.decode())
    if expected and expected[-1] == "":
        expected.pop()
    assert list(services.text_lines(stream)) == expected


def test_after_a_large_import_a_job_cuts_its_batches_through_the_index(admin_user):
    """A bulk job cuts 5,000 accounts at a time right after the import. With the statistics of
    an empty table (autovacuum not yet round), PostgreSQL read every remaining account and
    sorted them for each cut: at 10,000,000 accounts 2 s a cut, the job at a third of Tencent's
    ceiling. A large import refreshes the statistics, and a cut reads only what it takes."""
    from django.db import connection

    from audience.jobs import CUT_SQL
    from tests.stack import require_service
    require_service("PostgreSQL (DATABASE_URL): its planner", connection.vendor == "postgresql")
    segment = services.segment_import(user=admin_user, name="big", lines=(
        f"member{i:08d}" for i in range(services.ANALYZE_AFTER_ACCOUNTS)))
    first = segment.accounts.order_by("id").values_list("id", flat=True).first()
    cut = CUT_SQL.split("FROM (", 1)[1].split(") AS next_accounts", 1)[0]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + cut.format(accounts="audience_segmentaccount"),
                       {"segment": segment.pk, "after": first, "limit": 5000})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort" not in plan and "Bitmap" not in plan, plan
