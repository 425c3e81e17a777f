"""A job's failures and a segment's invalid lines store Tencent's code and its words, never a sentence of ours: each page
words them in its reader's language, and rows stored as English sentences were converted."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audience import jobs, services
from core.models import Preference

pytestmark = pytest.mark.django_db(transaction=True)  # job threads read committed data

MISSING_EN = "No such account: it never logged in to the app and was never imported."
MISSING_ZH = "账号不存在：该账号从未登录过应用，也未被导入。"


def test_it_words_a_stored_code_in_the_readers_language(client, admin_user, tim):
    segment = services.segment_import(user=admin_user, name="s", lines=["ghost"])
    job = services.job_create(user=admin_user, action="add_tags", segment=segment,
                              tags=["vip"], api="timpush")
    jobs.job_run(job.pk)
    failure = job.failures.get()
    assert (failure.code, MISSING_EN in failure.info) == (70107, False)
    client.force_login(admin_user)
    assert MISSING_EN in client.get(f"/audiences/jobs/{job.pk}/").content.decode()
    Preference.objects.create(user=admin_user, language="zh-hans")
    client.force_login(admin_user)  # the language is read at sign-in
    page = client.get(f"/audiences/jobs/{job.pk}/").content.decode()
    assert MISSING_ZH in page and MISSING_EN not in page


def test_it_converts_stored_sentences_to_codes_and_infos(admin_user):
    executor = MigrationExecutor(connection)
    executor.migrate([("audience", "0008_audience_managers")])
    old = executor.loader.project_state([("audience", "0008_audience_managers")]).apps
    segment = old.get_model("audience", "Segment").objects.create(
        name="s", created_by_id=admin_user.pk)
    job = old.get_model("audience", "Job").objects.create(
        segment=segment, action="add_tags", tags=["vip"], created_by_id=admin_user.pk)
    failures = old.get_model("audience", "JobFailure").objects
    failures.create(job=job, account="a", code=70107,
                    reason="The account does not exist in the app (70107)")
    failures.create(job=job, account="b", code=90001,
                    reason="Tencent refused the request: bad MsgRandom")
    failures.create(job=job, account="c", code=91000,
                    reason="Tencent had an internal error; the push is retried automatically.")
    batches = old.get_model("audience", "JobBatch").objects
    batches.create(job=job, seq=0, accounts=["a"], status="failed",
                   error="90001: Tencent refused the request: bad MsgRandom")
    batches.create(job=job, seq=1, accounts=["c"], status="pending",
                   error="Tencent had an internal error; the push is retried automatically.")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from audience.models import JobBatch, JobFailure
    assert list(JobFailure.objects.order_by("account").values_list("code", "info")) == [
        (70107, ""), (90001, "bad MsgRandom"), (91000, "")]
    assert list(JobBatch.objects.order_by("seq").values_list("error_code", "error_info")) == [
        (90001, "bad MsgRandom"), (91000, "")]
    assert JobFailure.objects.get(account="a").reason_words == MISSING_EN


def test_it_converts_stored_invalid_lines_to_rules(admin_user):
    executor = MigrationExecutor(connection)
    executor.migrate([("audience", "0009_failures_store_codes")])
    old = executor.loader.project_state([("audience", "0009_failures_store_codes")]).apps
    old.get_model("audience", "Segment").objects.create(
        name="s", created_by_id=admin_user.pk, invalid_lines=[
            [2, "line 2 holds an invisible control character. Tencent would take it as another "
                "account than the one meant: type the account id again."],
            [3, "line 3 is 200,000 bytes long, and Tencent account ids are at most 32 bytes: "
                "check the account id."],
            [4, "something else"]])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from audience.models import Segment
    segment = Segment.objects.get()
    assert segment.invalid_lines == [[2, "account.control_character", {}],
                                     [3, "account.too_long", {"size": 200000, "max": 32}],
                                     [4, "something else"]]
    assert segment.invalid_lines_words()[1] == [3, "line 3 is 200,000 bytes long, and Tencent "
                                                "account ids are at most 32 bytes: check the "
                                                "account id."]
