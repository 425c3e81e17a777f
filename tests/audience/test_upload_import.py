"""Large uploads: the web request stores the file and a real worker imports it, with progress;
a job started on it waits for the import. A 1,000,000-line file no longer meets gunicorn's 30 s
timeout inside the request."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from audience import services
from audience.models import Job, Segment, SegmentAccount, UploadChunk
from audience.services import AudienceInvalid
from tests.audience.test_api import api_client
from tests.stack import Stack, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # workers read committed data


def lines(count: int, prefix: str = "member") -> bytes:
    return b"".join(b"%s%07d\n" % (prefix.encode(), i) for i in range(count))


def test_a_large_file_is_stored_by_the_request_not_imported_there(admin_user, settings):
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 64 * 1024
    segment = services.segment_upload(user=admin_user, name="big",
                                      uploaded=SimpleUploadedFile("big.txt", lines(300_000)))
    assert (segment.status, segment.bytes_total, segment.bytes_read) == \
        ("importing", 300_000 * 14, 0)
    assert UploadChunk.objects.filter(segment=segment).count() == 5  # 4.2 MB in 1 MB rows
    assert not SegmentAccount.objects.exists()


@pytest.mark.parametrize("raw, column, field, message", [
    (b"\xff\xfe\x00m\x00a\n" * 20_000, None, "accounts_file", "The file is not UTF-8 text"),
    (b"name,user_id\n" + b"Mary,u1\n" * 20_000, "email", "column", "The CSV has no column"),
])
def test_a_large_file_that_cannot_be_read_is_refused_at_once(admin_user, settings, raw, column,
                                                              field, message):
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 64 * 1024
    with pytest.raises(AudienceInvalid) as refused:
        services.segment_upload(user=admin_user, name="bad", column=column,
                                uploaded=SimpleUploadedFile("bad.txt", raw))
    assert refused.value.errors[field][0].startswith(message)
    assert not Segment.objects.exists() and not UploadChunk.objects.exists()


LONG_FIRST_LINE = b"x" * 200_000 + b"\n"  # over the csv module's 128 KiB field limit


def test_a_small_file_whose_first_line_is_over_128_kib_is_read_and_the_line_reported(
        client, admin_user, tim):
    """The first line is read like any other (not by the csv module, whose fields stop at
    128 KiB), and reported as the account it cannot be."""
    api = api_client(client, admin_user)
    answer = api.post("/api/audience/jobs/upload/", {
        "action": "add_tags", "tags": ["spring"],
        "accounts_file": SimpleUploadedFile("a.txt", LONG_FIRST_LINE + lines(3, "u"))})
    assert answer.status_code == 202, answer.content
    assert answer.json()["total"] == 3
    [[number, reason]] = answer.json()["invalid_lines"]
    assert number == 1 and reason.startswith("line 1 is 200,000 bytes long")


def test_a_large_file_whose_first_line_is_over_128_kib_ends_ready_not_importing(admin_user,
                                                                               settings):
    """Above the inline size the long first line fails neither the request nor the worker
    (even one longer than the first stored chunk): a failure on every try, beat restarting
    it, would leave the segment `importing` and its job `queued`."""
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 64 * 1024
    for first_line in (LONG_FIRST_LINE, b"y" * (services.UPLOAD_CHUNK_BYTES + 10) + b"\n"):
        segment = services.segment_upload(
            user=admin_user, name="long", uploaded=SimpleUploadedFile(
                "long.txt", first_line + lines(10_000)))
        assert segment.status == "importing"
        services.segment_import_stored(segment_id=segment.pk)  # the worker's part
        segment.refresh_from_db()
        assert (segment.status, segment.size) == ("ready", 10_000)
        assert segment.invalid_lines_words()[0][1].startswith(f"line 1 is {len(first_line) - 1:,} bytes")


@pytest.mark.workers
def test_a_worker_imports_large_files_with_progress_and_then_runs_the_waiting_job(
        client, admin_user, tim, settings, tmp_path):
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 1024
    stack = Stack(tmp_path, tim.url)
    stack.purge()
    stack.worker("worker1")
    try:
        # The API: a 300-account file over the inline limit; the job waits for the import.
        api = api_client(client, admin_user)
        answer = api.post("/api/audience/jobs/upload/", {
            "action": "add_tags", "tags": ["spring"],
            "accounts_file": SimpleUploadedFile("a.txt", lines(300, "u") + b"bad\x07id\n")})
        assert answer.status_code == 202, answer.content
        body = answer.json()
        assert (body["status"], body["segment"]["status"]) == ("queued", "importing")
        job = Job.objects.get(pk=body["id"])
        wait_for(lambda: Job.objects.get(pk=job.pk).status == "done", timeout=60,
                 message="the job on the imported file")
        body = api.get(f"/api/audience/jobs/{job.pk}/").json()
        assert (body["total"], body["done"], body["calls"]) == (300, 300, 3)
        assert body["segment"]["status"] == "ready"
        assert body["segment"]["bytes_read"] == body["segment"]["bytes_total"] == 300 * 9 + 7
        [[number, reason]] = Segment.objects.get(pk=job.segment_id).invalid_lines_words()
        assert number == 301 and reason.startswith("line 301 holds an invisible control character")

        # The admin page: 200,000 lines; progress shows while the worker imports.
        client.force_login(admin_user)
        client.post("/admin/audience/segment/add/", {
            "name": "big", "accounts_file": SimpleUploadedFile("big.txt", lines(200_000))})
        segment = Segment.objects.get(name="big")
        seen = set()
        deadline = time.monotonic() + 120
        while segment.status == "importing" and time.monotonic() < deadline:
            seen.add(segment.bytes_read)
            time.sleep(0.02)
            segment.refresh_from_db()
        assert segment.status == "ready", stack.logs()
        assert segment.size == 200_000 and segment.bytes_read == segment.bytes_total
        assert [b for b in seen if 0 < b < segment.bytes_total], f"no progress seen: {seen}"
        assert not UploadChunk.objects.exists(), "stored files are dropped once imported"
        page = client.get(f"/admin/audience/segment/{segment.pk}/change/").content.decode()
        assert "Ready" in page and str(segment.bytes_total) in page
    finally:
        stack.stop()


def test_a_worker_s_failed_import_stores_its_rule_and_is_read_in_the_reader_s_language(
        admin_user, settings):
    """A worker has no reader: it stores the rule and its parameters, never its own words."""
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 0  # imported by a worker (called here)
    segment = services.segment_upload(user=admin_user, name="big", uploaded=SimpleUploadedFile(
        "s.txt", b"a\x01b\n"))
    services.segment_import_stored(segment_id=segment.pk)
    segment.refresh_from_db()
    assert segment.status == "failed"
    assert segment.error == [["accounts", "segment.no_valid_account",
                              {"line": [1, "account.control_character", {}]}]]
    (words,) = segment.error_words()["accounts"]
    assert words.startswith(
        "No valid account in the list; line 1: line 1 holds an invisible control character")
    with translation.override("zh-hans"):
        (words,) = segment.error_words()["accounts"]
    assert "No valid account" not in words and "第 1 行" in words, words
