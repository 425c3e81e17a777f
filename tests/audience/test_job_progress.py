"""A job's progress page: counts in the reader's number format, the rate, and the time left only
while there is time left.

A finished job reads its rate (progress.json's "rate": 9327), not "0 accounts a second · —
seconds left", and counts read 100,000, not 100000."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from audience import services
from audience.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job(admin_user):
    segment = services.segment_import(user=admin_user, name="spring", lines=["a1"])
    return services.job_create(user=admin_user, action="add_tags", segment=segment, tags=["vip"])


def shown(page, key: str) -> str | None:
    """The text of one live figure on the page (done, failed, rate, left)."""
    found = re.search(rf'<span id="{key}">([^<]*)</span>', page.content.decode())
    return found[1] if found else None


def test_a_finished_job_shows_its_average_rate_and_no_time_left(admin, job):
    started = timezone.now() - dt.timedelta(minutes=5)
    Job.objects.filter(pk=job.pk).update(
        status="done", total=100_000, done=99_990, failed=10, started_at=started,
        finished_at=started + dt.timedelta(seconds=10.72))
    page = admin.get(f"/admin/audience/job/{job.pk}/change/")
    assert (shown(page, "done"), shown(page, "failed"), shown(page, "rate")) == (
        "99,990", "10", "9,328")
    assert "of 100,000 accounts" in page.content.decode()
    assert "seconds left" not in page.content.decode() and shown(page, "left") is None
    progress = admin.get(f"/admin/audience/job/{job.pk}/progress.json").json()
    assert (progress["rate"], progress["seconds_left"]) == (9328, None)
    assert progress["shown"] == {"done": "99,990", "failed": "10", "rate": "9,328", "left": "—"}


def test_a_cancelled_job_shows_the_rate_it_ran_at_and_no_time_left(admin, job):
    Job.objects.filter(pk=job.pk).update(
        status="running", total=100_000, done=6_000,
        started_at=timezone.now() - dt.timedelta(seconds=60))
    admin.post(f"/admin/audience/job/{job.pk}/cancel/")
    assert Job.objects.get().finished_at, "the rate is over start to cancel, not start to now"
    page = admin.get(f"/admin/audience/job/{job.pk}/change/")
    assert ">Cancelled<" in page.content.decode()
    assert shown(page, "done") == "6,000" and shown(page, "rate") == "100"
    assert "seconds left" not in page.content.decode()


def test_a_running_job_shows_its_rate_and_time_left_from_the_first_paint(admin, job):
    Job.objects.filter(pk=job.pk).update(
        status="running", total=100_000, done=1_000,
        started_at=timezone.now() - dt.timedelta(seconds=100))
    page = admin.get(f"/admin/audience/job/{job.pk}/change/")
    assert shown(page, "rate") == "10"
    assert re.fullmatch(r"9,\d{3}", shown(page, "left")), "99,000 accounts at 10 a second"
    assert "seconds left" in page.content.decode()
