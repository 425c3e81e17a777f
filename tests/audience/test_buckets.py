"""A/B buckets (issue 28, Build 1): every known account of an app gets one bucket tag drawn from
its id, by a bulk job against the emulator over HTTP; the tags are read back from the emulator
itself, the sizes on the page and in the API are its counts, and accounts the product learns
of later get theirs after the job that tagged them."""

import collections
import hashlib
import html
import json
import re

import pytest

from audience import jobs, services
from audience.buckets import accounts_without_bucket, bucket_sizes, buckets_assign
from audience.rules import bucket_of, bucket_tag, bucket_tags
from audience.models import Job
from core.chat_apps import default_app
from core.errors import InvalidInput, TransitionRefused
from tests.audience.test_api import api_client, post
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # job threads read committed data


def tag_job(user, accounts, tags=("vip",)):
    """Tag `accounts` with a job run to its end here (the test is the worker)."""
    segment = services.segment_import(user=user, name="s", lines=iter(accounts))
    job = services.job_create(user=user, action="add_tags", segment=segment, tags=list(tags))
    jobs.job_run(job.pk)
    return job


def run(job: Job) -> Job:
    jobs.job_run(job.pk)
    job.refresh_from_db()
    return job


def emulator_tags(tim_client, accounts) -> dict[str, list[str]]:
    """Each account's tags as the emulator holds them (im_get_tag, 100 accounts a call)."""
    tags = {}
    for start in range(0, len(accounts), 100):
        tags.update(tim_client.members.get_tags(accounts[start:start + 100]).values)
    return tags


def emulator_buckets(tim_client, accounts) -> dict[str, list[str]]:
    """Each account's bucket tags in the emulator."""
    wanted = set(bucket_tags())
    return {a: [t for t in tags if t in wanted]
            for a, tags in emulator_tags(tim_client, accounts).items()}


def bucket_job_calls(tim, since: int) -> list[dict]:
    return [c for c in tim.calls()[since:] if c["command"] == "im_add_tag"]


def people(prefix, n):
    return [f"{prefix}{i:04d}" for i in range(n)]


def test_the_bucket_is_the_documented_hash_and_never_changes():
    for account in ["user1001", "mary", "用户42", "a" * 64]:
        expected = int.from_bytes(hashlib.sha256(account.encode("utf-8")).digest()[:8],
                                  "big") % 10
        assert bucket_of(account) == bucket_of(account) == expected
    assert bucket_tags() == [f"ab:{n}" for n in range(10)]
    assert bucket_tag(bucket_of("mary")) == f"ab:{bucket_of('mary')}"
    counts = collections.Counter(bucket_of(a) for a in people("u", 5000))
    assert sorted(counts) == list(range(10)), "every bucket is drawn"
    assert min(counts.values()) > 400 and max(counts.values()) < 600, counts


def test_every_known_account_gets_exactly_its_own_bucket_in_the_emulator(admin_user, tim,
                                                                        tim_client):
    accounts = people("u", 250)
    tag_job(admin_user, accounts)
    before = len(tim.calls())
    job = run(buckets_assign(user=admin_user, app=default_app()))
    assert (job.action, job.status, job.total, job.done, job.failed) == (
        "assign_buckets", "done", 250, 250, 0)
    assert job.segment.name.startswith("known accounts without one, ")
    assert str(job).startswith("Assign A/B buckets on known accounts without one, ")
    calls = bucket_job_calls(tim, before)
    # Sent side by side, in any order: the calls of tagging, at most 100 accounts each.
    assert sorted(c["accounts"] for c in calls) == [50, 100, 100]
    held = emulator_buckets(tim_client, accounts)
    assert held == {a: [bucket_tag(bucket_of(a))] for a in accounts}, "one bucket each, its own"
    assert all("vip" in tags for tags in emulator_tags(tim_client, accounts).values()), \
        "adding the bucket kept the account's other tags"
    in_emulator = collections.Counter(tags[0] for tags in held.values())
    assert {bucket_tag(n): size for n, size in bucket_sizes().items()} == {
        tag: in_emulator.get(tag, 0) for tag in bucket_tags()}
    assert accounts_without_bucket() == 0
    # Assigning again: nothing to do, nothing sent, nothing moves.
    assert buckets_assign(user=admin_user, app=default_app()) is None
    assert bucket_job_calls(tim, before) == calls
    assert emulator_buckets(tim_client, accounts) == held


def test_accounts_tagged_later_get_buckets_after_that_job_and_only_they(admin_user, tim,
                                                                       tim_client):
    first = people("old", 120)
    tag_job(admin_user, first)
    run(buckets_assign(user=admin_user, app=default_app()))
    held = emulator_buckets(tim_client, first)
    author = make_user("amy", "Audience managers")
    newcomers = people("new", 130)
    before = len(tim.calls())
    tag_job(author, first[:30] + newcomers, tags=["spring"])
    # The tagging job's finish started a bucket job for the 130 accounts it made known.
    follow_up = Job.objects.get(action="assign_buckets", status="queued")
    assert (follow_up.total, follow_up.created_by) == (130, author)
    assert sorted(follow_up.segment.accounts.values_list("account", flat=True)) == newcomers
    run(follow_up)
    # The tagging job's two calls (160 accounts), then the bucket job's (130): only newcomers.
    calls = bucket_job_calls(tim, before)
    assert sorted(c["accounts"] for c in calls) == [30, 60, 100, 100]
    assert sum(c["accounts"] for c in calls) == 160 + 130
    assert emulator_buckets(tim_client, first) == held, "the earlier accounts did not move"
    assert emulator_buckets(tim_client, newcomers) == {
        a: [bucket_tag(bucket_of(a))] for a in newcomers}
    assert Job.objects.filter(action="assign_buckets").count() == 2, \
        "the bucket job's own finish started no other"
    assert accounts_without_bucket() == 0


def test_an_app_without_buckets_gets_none_by_itself(admin_user, tim):
    tag_job(admin_user, people("u", 10))
    assert not Job.objects.filter(action="assign_buckets").exists()
    assert accounts_without_bucket() == 10


def test_one_bucket_job_at_a_time_and_never_on_a_segment(admin_user, tim):
    tag_job(admin_user, people("u", 10))
    buckets_assign(user=admin_user, app=default_app())
    with pytest.raises(TransitionRefused, match="already being assigned"):
        buckets_assign(user=admin_user, app=default_app())
    segment = services.segment_import(user=admin_user, name="s", lines=iter(["u1"]))
    with pytest.raises(InvalidInput, match="not to a segment"):
        services.job_create(user=admin_user, action="assign_buckets", segment=segment)


def test_another_apps_accounts_are_not_touched(admin_user, two_apps, tim_client):
    home, intl = two_apps
    tag_job(admin_user, people("u", 5))
    segment = services.segment_import(user=admin_user, name="s", lines=iter(people("i", 7)),
                                      app=intl)
    jobs.job_run(services.job_create(user=admin_user, action="add_tags", segment=segment,
                                     tags=["vip"]).pk)
    job = run(buckets_assign(user=admin_user, app=intl))
    assert (job.app, job.total) == (intl, 7)
    assert accounts_without_bucket(home) == 5 and accounts_without_bucket(intl) == 0
    assert emulator_buckets(tim_client, people("u", 5)) == {a: [] for a in people("u", 5)}


# --- the API ---------------------------------------------------------------------------------

@pytest.fixture
def api(client, admin_user, tim):
    return api_client(client, admin_user)


def test_the_api_reads_the_emulators_counts_and_starts_the_job(api, admin_user, tim,
                                                               tim_client):
    accounts = people("u", 150)
    tag_job(admin_user, accounts)
    before = api.get("/api/audience/buckets/").json()
    assert before == {"app": default_app().slug, "prefix": "ab:", "count": 10,
                      "sizes": [{"bucket": n, "tag": f"ab:{n}", "accounts": 0}
                                for n in range(10)],
                      "without_bucket": 150, "active_job": None}
    started = post(api, "/api/audience/buckets/", {})
    assert started.status_code == 202, started.content
    job = started.json()
    assert (job["action"], job["status"], job["total"]) == ("assign_buckets", "queued", 150)
    assert api.get("/api/audience/buckets/").json()["active_job"] == job["id"]
    again = post(api, "/api/audience/buckets/", {})
    assert again.status_code == 409
    assert again.json()["error"].startswith("Buckets are already being assigned in this app")
    jobs.job_run(job["id"])
    assert api.get(f"/api/audience/jobs/{job['id']}/").json()["status"] == "done"
    read = api.get("/api/audience/buckets/").json()
    in_emulator = collections.Counter(
        tags[0] for tags in emulator_buckets(tim_client, accounts).values())
    assert {s["tag"]: s["accounts"] for s in read["sizes"]} == {
        tag: in_emulator.get(tag, 0) for tag in bucket_tags()}
    assert (read["without_bucket"], read["active_job"]) == (0, None)
    nothing = post(api, "/api/audience/buckets/", {})
    assert nothing.status_code == 409
    assert nothing.json()["error"] == ("Every known account already has a bucket: nothing to "
                                       "assign.")


def test_the_api_refuses_other_roles_and_unknown_fields(client, tim):
    marketer = api_client(client, make_user("mia", "Marketers"))
    assert marketer.get("/api/audience/buckets/").status_code == 403
    assert post(marketer, "/api/audience/buckets/", {}).status_code == 403
    assert not Job.objects.exists()
    admin = api_client(client, make_user("ada", "Admins"))
    refused = post(admin, "/api/audience/buckets/", {"buckets": 20})
    assert refused.status_code == 400 and "buckets" in json.dumps(refused.json()["errors"])
    refused = post(admin, "/api/audience/jobs/", {"action": "assign_buckets", "accounts": ["a"]})
    assert refused.status_code == 400, "a bucket job is never on a list of accounts"


def test_the_buckets_endpoints_are_in_the_openapi_document(client, admin_user):
    client.force_login(admin_user)  # the document is for signed-in people
    schema = client.get("/api/openapi.json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/audience/buckets/"])
    assert "assign_buckets" in json.dumps(schema["components"]["schemas"]["JobOut"])


# --- the page --------------------------------------------------------------------------------

def text(page) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.content.decode())).split())


def sizes_on_the_page(page) -> dict[str, int]:
    rows = re.findall(r'<tr data-bucket="([^"]+)"><td>[^<]*</td><td data-testid="bucket-'
                      r'accounts">([\d,]+)</td>', page.content.decode())
    return {tag: int(n.replace(",", "")) for tag, n in rows}


def test_an_admin_assigns_buckets_on_the_page_and_sees_the_emulators_counts(
        client, admin_user, tim, tim_client):
    accounts = people("u", 60)
    tag_job(admin_user, accounts)
    client.force_login(admin_user)
    page = client.get("/audiences/")
    assert "A/B buckets" in text(page) and "60 known accounts have no bucket yet." in text(page)
    assert sizes_on_the_page(page) == {tag: 0 for tag in bucket_tags()}
    assert 'data-testid="assign-buckets"' in page.content.decode()
    answer = client.post("/audiences/", {"assign_buckets": "1"})
    job = Job.objects.get(action="assign_buckets")
    assert answer.status_code == 302 and answer.url == f"/audiences/jobs/{job.pk}/"
    followed = client.get(answer.url)
    assert "Assigning buckets to 60 accounts without one." in text(followed)
    assert "Assign A/B buckets" in text(followed)
    assert "Each account its own bucket: ab:0 … ab:9" in text(followed)
    waiting = client.get("/audiences/")
    assert "Buckets are being assigned" in text(waiting)
    assert 'data-testid="assign-buckets"' not in waiting.content.decode()
    run(job)
    page = client.get("/audiences/")
    in_emulator = collections.Counter(
        tags[0] for tags in emulator_buckets(tim_client, accounts).values())
    assert sizes_on_the_page(page) == {tag: in_emulator.get(tag, 0) for tag in bucket_tags()}
    assert "Every known account has a bucket." in text(page)
    assert 'data-testid="assign-buckets"' not in page.content.decode(), "nothing to assign"
    again = client.post("/audiences/", {"assign_buckets": "1"}, follow=True)
    assert "Every known account already has a bucket: nothing to assign." in text(again)


def test_an_audience_manager_starts_it_too_and_a_marketer_cannot(client, admin_user, tim):
    """As every job of the Audiences page: audience managers and admins (the API: admins)."""
    tag_job(admin_user, people("u", 5))
    client.force_login(make_user("mia", "Marketers"))
    assert client.get("/audiences/").status_code == 403
    assert client.post("/audiences/", {"assign_buckets": "1"}).status_code == 403
    assert not Job.objects.filter(action="assign_buckets").exists()
    client.force_login(make_user("amy", "Audience managers"))
    page = client.get("/audiences/")
    assert "5 known accounts have no bucket yet." in text(page)
    assert 'data-testid="assign-buckets"' in page.content.decode()
    assert client.post("/audiences/", {"assign_buckets": "1"}).status_code == 302
    assert Job.objects.get(action="assign_buckets").created_by.username == "amy"


def test_django_admin_shows_a_bucket_job_but_offers_none_on_a_segment(client, admin_user, tim):
    tag_job(admin_user, people("u", 3))
    job = buckets_assign(user=admin_user, app=default_app())
    client.force_login(admin_user)
    shown = client.get(f"/admin/audience/job/{job.pk}/change/")
    assert shown.status_code == 200 and "Assign A/B buckets" in text(shown)
    form = client.get("/admin/audience/job/add/").content.decode()
    assert 'value="add_tags"' in form and 'value="assign_buckets"' not in form


# --- in the browser --------------------------------------------------------------------------

@pytest.fixture
def browser():
    """tests/browser's headless Chromium, for the one browser test here."""
    from tests.browser import conftest as browser_tests
    yield from browser_tests.browser.__wrapped__()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_section_fits_a_phone_and_its_button_starts_the_job(browser, live_server, tim,
                                                               language, width):
    from playwright.sync_api import expect

    from tests.browser.conftest import no_sideways_scroll, signed_in
    user, page = signed_in(browser, live_server, width=width, language=language,
                           username="ada", role="Admins", is_staff=True)
    tag_job(user, people("u", 40))
    run(buckets_assign(user=user, app=default_app()))
    # One account tagged by hand, not by a job: it waits for the button.
    services.account_change(user=user, account="newcomer", operation="add_tags",
                            values=["vip"])
    page.goto(f"{live_server.url}/audiences/#buckets")
    section = page.get_by_test_id("buckets-section")
    table = page.get_by_test_id("bucket-sizes")
    expect(table.locator("tbody tr")).to_have_count(10)
    size = table.evaluate("(e) => ({content: e.scrollWidth, box: e.parentElement.clientWidth})")
    assert size["content"] <= size["box"] + 1, f"the table is cut: {size}"
    no_sideways_scroll(page)
    section.get_by_test_id("assign-buckets").click()
    expect(page).to_have_url(re.compile(r"/audiences/jobs/\d+/$"))
    assert Job.objects.filter(action="assign_buckets", status="queued").get().total == 1
    page.context.close()
