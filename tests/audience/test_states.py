"""Every status change of a bulk job, a batch and a segment goes through one state machine:
moves the table does not allow are refused, and a job's or a segment's moves are in the audit
trail, written with the move."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from audience import jobs, services
from core.models import Preference
from audience.models import Job, JobBatch, Segment
from audience.states import JOB, batches_transition, job_transition, segment_transition
from core.errors import TransitionRefused
from core.models import AuditEvent
from core.states import StateMachine

pytestmark = pytest.mark.django_db(transaction=True)  # job threads read committed data


def job(user, accounts):
    segment = services.segment_import(user=user, name="s", lines=accounts)
    return services.job_create(user=user, action="add_tags", segment=segment, tags=["vip"])


def moves(subject):
    return [(e.actor, e.verb, e.params["from_status"], e.params["to_status"])
            for e in AuditEvent.objects.filter(subject_type=subject._meta.model_name,
                                               subject_id=subject.pk)
            .exclude(verb="job.created").order_by("at", "id")]


def test_it_refuses_a_move_the_table_does_not_allow(admin_user, tim):
    j = job(admin_user, ["a"])
    with pytest.raises(TransitionRefused):
        job_transition(j, to=Job.Status.RUNNING, from_=[Job.Status.DONE])
    with pytest.raises(TransitionRefused):
        batches_transition(JobBatch.objects.all(), to=JobBatch.Status.DONE,
                           from_=[JobBatch.Status.PENDING])
    with pytest.raises(TransitionRefused):
        segment_transition(j.segment, to=Segment.Status.IMPORTING)


def test_a_job_run_to_its_end_leaves_its_moves_in_the_trail(admin_user, tim):
    tim.post("accounts", {"accounts": ["a", "b"]})
    j = job(admin_user, ["a", "b"])
    jobs.job_run(j.pk)
    jobs.job_run(j.pk)  # a second worker finds it done: no second move
    j.refresh_from_db()
    assert j.status == "done"
    assert moves(j) == [(None, "job.status", "queued", "running"),
                        (None, "job.status", "running", "done")]


def test_the_audit_page_words_a_jobs_and_a_segments_moves(client, admin_user, tim, settings):
    tim.post("accounts", {"accounts": ["a"]})
    jobs.job_run(job(admin_user, ["a"]).pk)
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 0
    segment = services.segment_upload(user=admin_user, name="big", uploaded=SimpleUploadedFile(
        "s.txt", b"a1\n"))
    services.segment_import_stored(segment_id=segment.pk)
    client.force_login(admin_user)
    html = client.get("/audit/").content.decode()
    assert "status Waiting to start → Running" in html and "status Running → Finished" in html
    assert "status Importing → Ready" in html and f"Segment #{segment.pk}" in html
    Preference.objects.create(user=admin_user, language="zh-hans")
    client.force_login(admin_user)  # the language is read at sign-in
    zh = client.get("/audit/").content.decode()
    assert "状态 等待开始 → 运行中" in zh and f"分群 #{segment.pk}" in zh


def test_cancel_and_resume_are_the_persons_moves(admin_user, tim):
    j = job(admin_user, ["a"])
    assert services.job_cancel(job=j, user=admin_user)
    assert not services.job_cancel(job=j, user=admin_user)  # nothing to move, nothing written
    assert services.job_resume(job=j, user=admin_user)
    assert moves(j) == [(admin_user, "job.cancelled", "queued", "cancelled"),
                        (admin_user, "job.resumed", "cancelled", "queued")]


def test_a_move_and_its_audit_event_are_kept_or_lost_together(admin_user, tim):
    j = job(admin_user, ["a"])
    unwritable = StateMachine(Job, JOB.allowed_from, verb="no.such.verb")
    with pytest.raises(ValueError):
        unwritable.move(j, to=Job.Status.CANCELLED, actor=admin_user)
    j.refresh_from_db()
    assert j.status == "queued"
    with pytest.raises(RuntimeError), transaction.atomic():
        job_transition(j, to=Job.Status.CANCELLED, actor=admin_user)
        raise RuntimeError("the request failed after the move")
    j.refresh_from_db()
    assert j.status == "queued" and moves(j) == []


def test_batches_move_only_from_the_statuses_the_table_allows(admin_user, tim):
    j = job(admin_user, ["a"])
    jobs.job_cut_some(j.pk)
    batches = JobBatch.objects.filter(job=j)
    assert batches_transition(batches, to=JobBatch.Status.DONE) == 0  # pending, not running
    assert batches_transition(batches, to=JobBatch.Status.RUNNING) == 1
    assert batches_transition(batches, to=JobBatch.Status.DONE) == 1
    assert batches_transition(batches, to=JobBatch.Status.PENDING) == 0  # done stays done
    assert moves(j) == []  # a batch's moves are not in the trail


def test_a_segment_whose_file_fails_fails_its_waiting_jobs_in_the_trail(admin_user, tim,
                                                                        settings):
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 0  # imported by a worker (called here)
    segment = services.segment_upload(user=admin_user, name="big", uploaded=SimpleUploadedFile(
        "s.txt", b"a\x01b\n"))  # no valid account: a control character
    j = services.job_create(user=admin_user, action="add_tags", segment=segment, tags=["v"])
    services.segment_import_stored(segment_id=segment.pk)
    segment.refresh_from_db()
    j.refresh_from_db()
    assert (segment.status, j.status) == ("failed", "failed")
    assert moves(segment) == [(None, "segment.status", "importing", "failed")]
    assert moves(j) == [(None, "job.status", "queued", "failed")]
    services.segment_import_stored(segment_id=segment.pk)  # a late second try: nothing moves
    assert len(moves(segment)) == 1


def test_a_segment_imported_by_a_worker_is_ready_in_the_trail(admin_user, tim, settings):
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 0
    segment = services.segment_upload(user=admin_user, name="big", uploaded=SimpleUploadedFile(
        "s.txt", b"a1\na2\na3\n"))
    services.segment_import_stored(segment_id=segment.pk)
    segment.refresh_from_db()
    assert (segment.status, segment.size) == ("ready", 3)
    assert moves(segment) == [(None, "segment.status", "importing", "ready")]
