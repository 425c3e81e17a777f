"""The audience API: attribute names synced to Tencent, jobs, reach, and refusals that send nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audience import jobs, services
from audience.models import AccountAttr, Job, Segment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # job threads read committed data


def api_client(client, user):
    raw = client.post("/api/token/", {"username": user.username,
                                      "password": f"pw-{user.username}"},
                      content_type="application/json").json()["token"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {raw}"
    return client


@pytest.fixture
def api(client, admin_user, tim):
    return api_client(client, admin_user)


def put(api, url, body):
    return api.put(url, json.dumps(body), content_type="application/json")


def post(api, url, body):
    return api.post(url, body, content_type="application/json")


def test_attribute_names_are_set_on_tencent_and_read_back(api, tim, tim_client):
    assert put(api, "/api/attribute-names/", {"0": "sex", "1": "city"}).json() == {
        "0": "sex", "1": "city"}
    assert tim_client.members.get_attr_names() == {"0": "sex", "1": "city"}
    assert api.get("/api/attribute-names/").json() == {"0": "sex", "1": "city"}


def test_a_rename_over_stored_values_needs_confirmation(api, tim):
    put(api, "/api/attribute-names/", {"1": "city"})
    AccountAttr.objects.create(account="mary", name="city", value="Shenzhen")
    refused = put(api, "/api/attribute-names/", {"1": "region"})
    assert refused.status_code == 409
    assert "index 1 from 'city' to 'region' (1 accounts hold a value)" in refused.json()["error"]
    assert put(api, "/api/attribute-names/", {"1": "region", "confirm_rename": True}).json() == {
        "1": "region"}
    assert AccountAttr.objects.get().name == "region"


def test_a_long_csv_header_is_named_shortly_in_the_refusal(api, tim):
    """A 200 KB header (200 columns of 1,000 characters) is named by its start, not sent back
    whole in a 200,529-byte answer."""
    header = ",".join(f"{n:03d}" + "c" * 997 for n in range(200))
    answer = api.post("/api/audience/jobs/upload/", {
        "action": "add_tags", "tags": "vip",
        "accounts_file": SimpleUploadedFile("wide.csv", f"{header}\nmary\n".encode())})
    assert answer.status_code == 400
    words = answer.json()["errors"]["column"][0]
    assert words.startswith("The file has several columns (000ccc") and len(words) < 1000, words
    assert "choose the column that holds the account ids" in words
    assert Job.objects.count() == 0 and Segment.objects.count() == 0


@pytest.mark.django_db  # reads its own writes only: no flush needed
def test_a_csv_field_over_the_csv_limit_is_refused_by_line(api, tim):
    content = b"id,note\nmary,ok\nbob," + b"x" * 140_000 + b"\n"
    answer = api.post("/api/audience/jobs/upload/", {
        "action": "add_tags", "tags": ["vip"], "column": "id",
        "accounts_file": SimpleUploadedFile("a.csv", content)})
    assert answer.status_code == 400
    assert "Line 3 cannot be read as CSV" in answer.json()["errors"]["accounts_file"][0]
    assert tim.calls() == []


@pytest.mark.parametrize("body, field, message", [
    ({"10": "x"}, "AttrNames['10']", "Index 10: the index must be one of 0 to 9"),
    ({"0": "x" * 51}, "AttrNames['0']", "Index 0 is 51 bytes long; Tencent allows at most 50"),
    ({"0": "a", "1": "a"}, "AttrNames['1']", "Index 1: index 0 already has the name “a”"),
])
def test_invalid_attribute_names_are_400_and_not_sent(api, tim, body, field, message):
    answer = put(api, "/api/attribute-names/", body)
    assert answer.status_code == 400 and message in answer.json()["errors"][field][0]
    assert tim.calls() == []


@pytest.mark.django_db  # reads its own writes only: no flush needed
def test_an_attribute_name_with_a_nul_is_refused_before_tencent_sees_it(api, tim):
    answer = api.put("/api/attribute-names/", '{"0": "ci\\u0000ty"}',
                     content_type="application/json")
    assert answer.status_code == 400 and "0" in answer.json()["errors"]
    assert tim.calls() == [], "Tencent was not asked"


def test_a_job_tags_accounts_and_reports_progress(api, tim, tim_client):
    created = post(api, "/api/audience/jobs/", {
        "action": "add_tags", "tags": ["vip", "深圳"],
        "accounts": [f"u{i}" for i in range(250)] + ["u1", "", "bad\u0007id"]})
    assert created.status_code == 202
    body = created.json()
    assert body["status"] == "queued" and body["total"] == 250
    assert body["invalid_lines"] == [[253, "line 253 holds an invisible control character. "
                                           "Tencent would take it as another account than the "
                                           "one meant: type the account id again."]]
    jobs.job_run(body["id"])
    done = api.get(f"/api/audience/jobs/{body['id']}/").json()
    assert {k: done[k] for k in ("status", "total", "done", "failed", "calls")} == {
        "status": "done", "total": 250, "done": 250, "failed": 0, "calls": 3}
    assert tim.post("reach", {"Condition": {"TagsAnd": ["vip", "深圳"]}})["reach"] == 250
    assert max(c["accounts"] for c in tim.calls()) == 100


def test_a_file_upload_starts_a_job(api, tim):
    from django.core.files.uploadedfile import SimpleUploadedFile
    put(api, "/api/attribute-names/", {"0": "city"})
    answer = api.post("/api/audience/jobs/upload/", {
        "action": "set_attrs", "attrs": json.dumps({"city": "Shenzhen"}),
        "accounts_file": SimpleUploadedFile("a.csv", b"id\nmary\nbob\n"), "column": "id"})
    assert answer.status_code == 202
    jobs.job_run(answer.json()["id"])
    assert tim.post("reach", {"Condition": {"AttrsAnd": {"city": "Shenzhen"}}})["reach"] == 2


@pytest.mark.parametrize("attrs, message", [
    ("[" * 50_000, "attrs is nested more than 32 levels deep"),
    ("{nope", 'attrs must be JSON, e.g. {"city": "Shenzhen"}'),
])
def test_an_uploads_attrs_that_are_not_plain_json_are_400_naming_attrs(api, tim, attrs, message):
    """50,000 nested brackets in `attrs` are a 400 naming attrs, not a RecursionError."""
    answer = api.post("/api/audience/jobs/upload/", {
        "action": "set_attrs", "attrs": attrs,
        "accounts_file": SimpleUploadedFile("a.txt", b"mary\n")})
    assert answer.status_code == 400
    assert answer.json()["errors"]["attrs"][0].startswith(message)
    assert Job.objects.count() == 0 and Segment.objects.count() == 0
    assert tim.calls() == []


@pytest.mark.parametrize("body, field, message", [
    ({"action": "add_tags", "tags": [f"t{i}" for i in range(11)], "accounts": ["a"]}, "tags",
     "Tags: 11 given, at most 10."),
    ({"action": "add_tags", "tags": ["x" * 51], "accounts": ["a"]}, "tags",
     "is 51 bytes, at most 50."),
    ({"action": "set_attrs", "attrs": {"shoe": "42"}, "accounts": ["a"]}, "attrs",
     "Attributes: “shoe” is not one of the app's attributes"),
    ({"action": "remove_attrs", "attrs": ["shoe"], "accounts": ["a"]}, "attrs",
     "Attributes: “shoe” is not one of the app's attributes"),
    ({"action": "add_tags", "tags": ["vip"], "accounts": []}, "accounts",
     "accounts must not be empty"),
    ({"action": "add_tags", "tags": ["vip"], "accounts": ["has\u0007bell"]}, "accounts",
     "No valid account in the list; line 1: line 1 holds an invisible control character"),
    ({"action": "tag_everyone", "accounts": ["a"]}, "action", "action must be one of"),
])
def test_invalid_jobs_are_400_naming_the_rule_and_store_and_send_nothing(api, tim, body, field,
                                                                       message):
    answer = post(api, "/api/audience/jobs/", body)
    assert answer.status_code == 400
    assert message in answer.json()["errors"][field][0]
    assert Job.objects.count() == 0 and Segment.objects.count() == 0
    assert tim.calls() == []


@pytest.mark.django_db  # reads its own writes only: no flush needed
@pytest.mark.parametrize("body, field", [
    ({"action": "set_attrs", "accounts": ["a"], "attrs": 5}, "attrs"),
    ({"action": "add_tags", "accounts": ["a"], "tags": ["vip"], "column": 5}, "column"),
    ({"action": "add_tags", "accounts": "a", "tags": ["vip"]}, "accounts"),
])
def test_jobs_with_values_of_the_wrong_kind_are_400_naming_the_field(api, tim, body, field):
    answer = post(api, "/api/audience/jobs/", body)
    assert answer.status_code == 400 and field in answer.json()["errors"], answer.json()


@pytest.mark.django_db  # reads its own writes only: no flush needed
def test_a_job_keeps_only_what_its_action_uses(api, tim):
    """Attributes sent with a tag job are neither stored nor answered."""
    answer = post(api, "/api/audience/jobs/", {"action": "add_tags", "accounts": ["a"],
                                               "tags": ["vip"], "attrs": ["city"]})
    assert answer.status_code == 202 and answer.json()["attrs"] == {}


def test_tencents_rules_for_a_job_are_told_in_the_readers_language(api, tim):
    # In the reader's words, not the wire's English "tags holds 11 tags; at most 10 ...".
    answer = api.post("/api/audience/jobs/", {
        "action": "add_tags", "tags": [f"t{i}" for i in range(11)], "accounts": ["a"]},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400
    assert answer.json()["errors"]["tags"] == ["标签：给了 11 个，最多 10 个。"]
    assert tim.calls() == []


def test_reach_matches_the_emulators_own_count(api, tim):
    put(api, "/api/attribute-names/", {"0": "city"})
    for action, extra, accounts in [
            ("add_tags", {"tags": ["vip"]}, [f"u{i}" for i in range(0, 60)]),
            ("add_tags", {"tags": ["sz"]}, [f"u{i}" for i in range(40, 90)]),
            ("set_attrs", {"attrs": {"city": "Shenzhen"}}, [f"u{i}" for i in range(50, 120)])]:
        jobs.job_run(post(api, "/api/audience/jobs/",
                          {"action": action, "accounts": accounts, **extra}).json()["id"])
    for condition in ({"TagsAnd": ["vip", "sz"]}, {"TagsOr": ["vip", "sz"]},
                      {"TagsAnd": ["vip"], "TagsOr": ["sz"]}, {"AttrsAnd": {"city": "Shenzhen"}},
                      {"AttrsOr": {"city": "Shenzhen"}}, None):
        ours = post(api, "/api/audience/reach/", {"Condition": condition}).json()
        assert ours["known"] == 120
        assert ours["matching"] == tim.post("reach", {"Condition": condition})["reach"], condition
    refused = post(api, "/api/audience/reach/", {"Condition": {"TagsOr": ["a"], "AttrsOr": {}}})
    assert refused.status_code == 400


def test_marketers_may_read_reach_but_not_run_jobs_or_rename(client, tim):
    marketer = make_user("mia", "Marketers")
    api = api_client(client, marketer)
    assert post(api, "/api/audience/reach/", {}).status_code == 200
    assert post(api, "/api/audience/jobs/", {"action": "add_tags"}).status_code == 403
    assert put(api, "/api/attribute-names/", {"0": "x"}).status_code == 403


QUEUE_DOWN = "The job queue is not reachable; nothing was stored. Try again in a minute."


def test_with_the_job_queue_down_a_job_is_503_in_words_and_nothing_is_stored(api, tim,
                                                                            queue_down):
    """Queueing is tried before the commit: no job stored whose queueing then fails (a 500)."""
    answer = post(api, "/api/audience/jobs/", {"action": "add_tags", "tags": ["vip"],
                                               "accounts": ["mary"]})
    assert answer.status_code == 503, answer.content
    assert answer.json()["error"] == QUEUE_DOWN
    upload = api.post("/api/audience/jobs/upload/", {
        "action": "add_tags", "tags": "vip",
        "accounts_file": SimpleUploadedFile("a.txt", b"mary\n")}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert upload.status_code == 503
    assert "任务队列" in upload.json()["error"]
    assert Job.objects.count() == 0 and Segment.objects.count() == 0
    assert tim.calls() == []


def test_with_the_job_queue_down_a_large_upload_and_a_resume_say_so_and_change_nothing(
        client, admin_user, tim, settings, queue_down):
    settings.AUDIENCE_INLINE_IMPORT_BYTES = 1024
    client.force_login(admin_user)
    page = client.post("/admin/audience/segment/add/", {
        "name": "big", "accounts_file": SimpleUploadedFile(
            "big.txt", b"".join(b"u%05d\n" % i for i in range(1000)))})
    assert page.status_code == 200
    assert QUEUE_DOWN in page.content.decode()
    assert not Segment.objects.exists()
    segment = services.segment_import(user=admin_user, name="s", lines=iter(["mary"]))
    job = Job.objects.create(action="add_tags", segment=segment, tags=["vip"], total=1,
                             created_by=admin_user, status=Job.Status.CANCELLED)
    page = client.post(f"/admin/audience/job/{job.pk}/resume/", follow=True)
    assert QUEUE_DOWN in page.content.decode()
    job.refresh_from_db()
    assert job.status == "cancelled"
