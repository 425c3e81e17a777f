"""Job behaviour: partial failures, retries, cancel and resume, the mirror."""

import pytest

from audience import jobs, services
from audience.models import AccountTag, Job, JobBatch

pytestmark = pytest.mark.django_db(transaction=True)  # job threads read committed data


def job(user, accounts, action="add_tags", **kwargs):
    segment = services.segment_import(user=user, name="s", lines=accounts)
    kwargs.setdefault("tags", ["vip"] if "tags" in action else [])
    return services.job_create(user=user, action=action, segment=segment, **kwargs)


def test_per_account_failures_are_listed_with_the_reason(admin_user, tim):
    tim.post("accounts", {"accounts": [f"u{i}" for i in range(150)]})
    j = job(admin_user, [f"u{i}" for i in range(160)], api="timpush")
    jobs.job_run(j.pk)
    j.refresh_from_db()
    assert (j.status, j.done, j.failed) == ("done", 150, 10)
    failures = list(j.failures.order_by("account").values_list("account", "code", "reason"))
    assert failures[0] == ("u150", 70107, "The account does not exist in the app (70107)")
    assert AccountTag.objects.filter(tag="vip").count() == 150, "the mirror holds only successes"


def test_retryable_failures_are_retried_until_they_pass(admin_user, tim, settings):
    tim.post("faults", {"script": ["91000"] * 4 + ["502"] * 4})
    j = job(admin_user, [f"u{i}" for i in range(100)])
    jobs.job_run(j.pk)
    j.refresh_from_db()
    assert (j.status, j.done, j.failed) == ("done", 100, 0)
    # Each job try is up to 4 client attempts: 4 × 91000, then 4 × 502, then success.
    assert JobBatch.objects.get(job=j).tries == 3
    assert [c["code"] for c in tim.calls()] == [91000] * 4 + [502] * 4 + [0]


def test_a_batch_that_keeps_failing_fails_its_accounts(admin_user, tim, settings):
    settings.AUDIENCE_BATCH_TRIES = 1
    tim.post("faults", {"error_91000_rate": 1.0})
    j = job(admin_user, ["a", "b"])
    jobs.job_run(j.pk)
    j.refresh_from_db()
    assert (j.status, j.failed) == ("failed", 2)
    assert j.failures.first().reason == "Tencent had an internal error; the push is retried " \
        "automatically."


def test_cancel_stops_a_job_and_resume_finishes_it_without_redoing_batches(admin_user, tim):
    j = job(admin_user, [f"u{i}" for i in range(300)])
    Job.objects.filter(pk=j.pk).update(status="running")
    jobs.job_prepare(Job.objects.get(pk=j.pk))
    first = JobBatch.objects.get(job=j, seq=0)
    jobs._run_batch(Job.objects.get(pk=j.pk), jobs._claim(j.pk))
    assert services.job_cancel(job=j, user=admin_user)
    jobs.job_run(j.pk)  # a cancelled job does nothing
    assert JobBatch.objects.filter(job=j, status="done").count() == 1
    assert services.job_resume(job=j, user=admin_user)
    jobs.job_run(j.pk)
    j.refresh_from_db()
    assert (j.status, j.done) == ("done", 300)
    first.refresh_from_db()
    assert first.tries == 1
    assert len([c for c in tim.calls() if c["command"] == "im_add_tag"]) == 3


def test_removing_tags_and_attributes_updates_the_mirror(admin_user, tim):
    services.attribute_names_update(user=admin_user, names={"0": "city"})
    for action, extra in [("add_tags", {"tags": ["a", "b"]}), ("remove_tags", {"tags": ["a"]}),
                          ("set_attrs", {"attrs": {"city": "sz"}}),
                          ("remove_attrs", {"attrs": ["city"]})]:
        jobs.job_run(job(admin_user, ["mary"], action=action, **extra).pk)
    assert list(AccountTag.objects.values_list("tag", flat=True)) == ["b"]
    assert tim.post("reach", {"Condition": {"TagsOr": ["b"]}})["reach"] == 1
    jobs.job_run(job(admin_user, ["mary"], action="remove_all_tags").pk)
    assert not AccountTag.objects.exists()
