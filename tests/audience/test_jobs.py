"""Job behaviour: partial failures, retries, cancel and resume, the mirror."""

import pytest

from audience import jobs, services
from core import tencent
from audience.models import AccountTag, Job, JobBatch
from tests.emulator_process import busiest_second

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
    settings.AUDIENCE_RETRY_BASE_SECONDS = 0.05
    tim.post("faults", {"script": ["91000", "502", "91000"]})
    j = job(admin_user, [f"u{i}" for i in range(100)])
    jobs.job_run(j.pk)
    j.refresh_from_db()
    assert (j.status, j.done, j.failed) == ("done", 100, 0)
    # The job is the one retry owner: each try is one call, recorded on the batch.
    assert JobBatch.objects.get(job=j).tries == 4
    assert [c["code"] for c in tim.calls()] == [91000, 502, 91000, 0]


def test_a_failing_batch_makes_one_call_per_job_try_not_client_retries_inside_each(
        admin_user, tim, settings):
    settings.AUDIENCE_RETRY_BASE_SECONDS = 0.05
    tim.post("faults", {"error_91000_rate": 1.0})
    j = job(admin_user, ["a", "b"])
    jobs.job_run(j.pk)
    j.refresh_from_db()
    assert (j.status, j.failed) == ("failed", 2)
    # Before: the client retried 3 times inside each of the job's 5 tries, 20 calls.
    assert len(tim.calls()) == settings.AUDIENCE_BATCH_TRIES == 5


def test_retries_wait_for_the_shared_limiter_like_any_call(admin_user, tim, settings):
    settings.AUDIENCE_RETRY_BASE_SECONDS = 0.01
    settings.TIM_CALLS_PER_SECOND = 3
    tencent.clear()  # the limiter is made from settings with the client
    tim.post("faults", {"script": ["91000"] * 6})
    j = job(admin_user, [f"u{i}" for i in range(300)])
    jobs.job_run(j.pk)
    calls = tim.calls()
    assert [c["code"] for c in calls].count(91000) == 6 and len(calls) == 9
    assert busiest_second(calls) <= 3


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
    while not jobs.job_cut_some(j.pk):
        pass
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


def test_a_large_segment_is_cut_a_slice_at_a_time_so_calls_start_at_once(admin_user, tim):
    j = job(admin_user, [f"u{i:05d}" for i in range(12_000)])
    assert jobs.job_cut_some(j.pk) is False
    assert JobBatch.objects.filter(job=j).count() == 50, "the first 5,000 accounts"
    Job.objects.filter(pk=j.pk).update(status="running")
    assert jobs._claim(j.pk).seq == 0, "a batch can be sent before the rest is cut"
    assert (jobs.job_cut_some(j.pk), jobs.job_cut_some(j.pk)) == (False, True)
    batches = JobBatch.objects.filter(job=j).order_by("seq")
    assert list(batches.values_list("seq", flat=True)) == list(range(120))
    assert [a for b in batches for a in b.accounts] == [f"u{i:05d}" for i in range(12_000)]


@pytest.mark.parametrize("busy, cap, in_flight", [(0.02, 64, 3), (0.15, 64, 23), (0.3, 64, 45),
                                                  (0.3, 30, 30), (None, 64, 8)])
def test_a_crew_keeps_in_flight_what_littles_law_asks_for_the_measured_time(
        settings, busy, cap, in_flight):
    settings.TIM_CALLS_PER_SECOND, settings.AUDIENCE_MAX_IN_FLIGHT = 100, cap
    settings.AUDIENCE_INITIAL_IN_FLIGHT = 8
    crew = jobs.Crew(job_id=0, stop_at=0)
    crew.busy = busy
    assert crew.wanted() == in_flight
