"""The JSON API: tokens, campaigns, transitions, quota, errors that name the field and rule even
for hostile bodies, and a description its docs page renders."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from core.models import ApiToken
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db

PUSH = {"MsgBody": TEXT, "Condition": {"TagsAnd": ["vip"]}}


def post(api, url, body):
    return api.post(url, body, content_type="application/json")


def in_an_hour():
    return (timezone.now() + dt.timedelta(hours=1)).isoformat()


def test_a_token_is_stored_hashed_and_revocable(api, marketer):
    token = ApiToken.objects.get(user=marketer)
    raw = api.defaults["HTTP_AUTHORIZATION"].split()[1]
    assert raw not in (token.key_hash, token.prefix + "x") and token.prefix == raw[:8]
    assert api.get("/api/campaigns/").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert api.get("/api/campaigns/").status_code == 401


def test_wrong_credentials_get_no_token(client, marketer):
    answer = client.post("/api/token/", {"username": "mia", "password": "nope"},
                         content_type="application/json")
    assert answer.status_code == 400 and "token" not in answer.json()


def test_every_endpoint_refuses_an_anonymous_caller(client, db):
    for url in ("/api/campaigns/", "/api/campaigns/1/", "/api/quota/"):
        assert client.get(url).status_code == 401
    assert client.post("/api/campaigns/1/cancel/").status_code == 401


def test_a_user_without_a_role_is_forbidden(client, db):
    make_user("nobody")
    raw = client.post("/api/token/", {"username": "nobody", "password": "pw-nobody"},
                      content_type="application/json")
    assert raw.status_code == 400


def test_it_creates_schedules_reads_and_lists_a_campaign(api):
    send_at = in_an_hour()
    created = post(api, "/api/campaigns/", {"name": "Sale", "send_at": send_at, "push": PUSH})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "scheduled" and body["push"]["Condition"] == {"TagsAnd": ["vip"]}
    assert dt.datetime.fromisoformat(body["send_at"]) == dt.datetime.fromisoformat(send_at)
    assert set(api.get(f"/api/campaigns/{body['id']}/").json()) >= {
        "id", "name", "status", "status_reason", "status_reason_text", "send_at", "sent_at", "task_id", "push",
        "attempts"}
    draft = post(api, "/api/campaigns/", {"name": "Later", "send_at": None, "push": PUSH}).json()
    assert draft["status"] == "draft"
    listed = api.get("/api/campaigns/?status=draft").json()
    assert [c["id"] for c in listed["results"]] == [draft["id"]]


def test_patch_edits_and_reschedules_and_cancel_ends_it(api):
    campaign = post(api, "/api/campaigns/", {"name": "Sale", "push": PUSH}).json()
    url = f"/api/campaigns/{campaign['id']}/"
    patched = api.patch(url, {"name": "Big sale", "send_at": in_an_hour()},
                        content_type="application/json").json()
    assert (patched["name"], patched["status"]) == ("Big sale", "scheduled")
    assert post(api, url + "cancel/", {}).json()["status"] == "cancelled"
    refused = api.patch(url, {"name": "again"}, content_type="application/json")
    assert refused.status_code == 409 and "that is cancelled cannot be edited" in \
        refused.json()["error"]
    assert post(api, url + "schedule/", {"send_at": in_an_hour()}).status_code == 409


@pytest.mark.parametrize("body, field, message", [
    ({"name": "", "push": PUSH}, "name", "Give the campaign a name"),
    ({"name": "x", "push": {"MsgBody": TEXT, "Condition": {"TagsOr": [str(i) for i in range(11)]}}},
     "Condition.TagsOr", "Any of these tags: 11 given, at most 10."),
    ({"name": "x", "push": {"MsgBody": TEXT, "Condition": {"TagsOr": ["a"],
                                                            "AttrsOr": {"s": "f"}}}},
     "Condition", "Choose tags or attributes, not both: Tencent refuses a push that targets "
     "both."),
    ({"name": "x", "push": {"MsgBody": TEXT, "MsgLifeTime": 700000}}, "MsgLifeTime",
     "Keep for offline users must be from 0 seconds to 7 days."),
    ({"name": "x", "push": {"MsgBody": TEXT, "MsgRandom": 5}}, "MsgRandom",
     "MsgRandom is not an im_push field; use MsgBody, Condition, OfflinePushInfo, MsgLifeTime, "
     "From_Account"),
    ({"name": "x", "push": "hello"}, "push", "push must be an object"),
    ({"name": "x", "push": PUSH, "send_at": "tomorrow"}, "send_at",
     "send_at must be an ISO 8601 date and time, e.g. 2026-11-23T09:30:00+08:00"),
    ({"name": "x", "push": PUSH, "send_at": "2026-12-01T10:00:00"}, "send_at",
     "send_at must be a date and time with a time zone offset, e.g. 2026-11-23T09:30:00+08:00"),
    ({"name": "x", "push": PUSH, "allow_late": "yes"}, "allow_late",
     "allow_late must be true or false"),
])
def test_invalid_input_is_400_naming_the_field_and_rule(api, body, field, message):
    answer = post(api, "/api/campaigns/", body)
    assert answer.status_code == 400
    assert message in answer.json()["errors"][field]
    assert Campaign.objects.count() == 0, "nothing half-stored"


def test_a_rule_comes_back_in_chinese_with_its_rule_id(api):
    """The API answers in the requester's language and names the rule by a stable id,
    keeping the wire path as the key."""
    body = {"name": "x", "push": {"MsgBody": TEXT,
                                  "Condition": {"TagsOr": [str(i) for i in range(11)]}}}
    answer = api.post("/api/campaigns/", body, content_type="application/json",
                      HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400
    assert answer.json()["errors"]["Condition.TagsOr"] == ["其中任一标签：给了 11 个，最多 10 个。"]
    assert {"field": "Condition.TagsOr", "rule": "tags.too_many",
            "message": "其中任一标签：给了 11 个，最多 10 个。"} in answer.json()["rules"]
    english = post(api, "/api/campaigns/", body).json()
    assert english["rules"] == [{"field": "Condition.TagsOr", "rule": "tags.too_many",
                                 "message": "Any of these tags: 11 given, at most 10."}]


def test_a_body_that_is_not_json_is_a_clear_400(api):
    answer = api.post("/api/campaigns/", "{nope", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["body"] == ["The body is not valid JSON"]
    assert api.put("/api/campaigns/").status_code == 405


@pytest.mark.parametrize("body, field", [
    ('{"name": "a\\u0000b", "push": {"MsgBody": []}}', "name"),
    ('{"name": "\\ud800", "push": {"MsgBody": []}}', "name"),
    ('{"name": "x", "push": {"MsgBody": [{"MsgType": "TIMTextElem", '
     '"MsgContent": {"Text": "\\u0000"}}]}}', "push.MsgBody[0].MsgContent.Text"),
    ('{"name": "x", "push": {"MsgBody": [], "MsgLifeTime": NaN}}', "body"),
    ('{"name": "x", "push": ' + '{"a": ' * 5000 + '1' + '}' * 5000 + '}', "body"),
])
def test_hostile_json_is_a_400_naming_the_field(api, body, field):
    answer = api.post("/api/campaigns/", body, content_type="application/json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"], answer.json()
    assert not Campaign.objects.exists()


def test_the_anonymous_token_endpoint_refuses_a_nul(client, marketer):
    answer = client.post("/api/token/", '{"username": "mia\\u0000", "password": "x"}',
                         content_type="application/json")
    assert answer.status_code == 400 and "username" in answer.json()["errors"]


def test_an_oversized_body_answers_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    answer = api.post("/api/campaigns/", b"{" + b" " * (2 * 1024 * 1024) + b"}",
                      content_type="application/json")
    assert answer.status_code in (400, 413)
    assert answer.json()["error"]


def test_quota_reads_used_booked_and_remaining(api, settings):
    settings.PUSH_DAILY_QUOTA = 3
    post(api, "/api/campaigns/", {"name": "a", "push": PUSH,
                                  "send_at": (timezone.now() + dt.timedelta(seconds=5)).isoformat()})
    quota = api.get("/api/quota/").json()
    assert {k: quota[k] for k in ("limit", "used", "booked", "remaining")} == {
        "limit": 3, "used": 0, "booked": 1, "remaining": 2}
    assert quota["resets_at"].endswith("+08:00") and "T00:00:00" in quota["resets_at"]
    assert api.get("/api/quota/?day=someday").status_code == 400


@pytest.mark.parametrize("url", ["/api/quota/?day=2026-02-30", "/api/quota/?day=9999-12-31",
                                 "/api/quota/?day=%00"])
def test_the_quota_endpoint_refuses_days_that_do_not_exist(api, url):
    answer = api.get(url)
    assert answer.status_code == 400 and "day" in answer.json()["errors"]


def test_an_unknown_campaign_is_404(api):
    assert api.get("/api/campaigns/999999/").status_code == 404


def test_api_404s_are_json_even_for_paths_that_match_no_route(api):
    for url in ("/api/campaigns/999999/", "/api/campaigns/AAA/", "/api/nothing/"):
        answer = api.get(url)
        assert answer.status_code == 404 and answer.json()["error"].startswith("Nothing at")


def test_a_multipart_body_without_a_boundary_is_a_clear_400(api, admin_user, client):
    from tests.audience.test_api import api_client
    admin_api = api_client(client, admin_user)
    answer = admin_api.post("/api/audience/jobs/upload/", b"garbage",
                            content_type="multipart/form-data")
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("The multipart upload could not be read")


def test_the_api_description_is_valid_for_its_docs_page(client, marketer):
    """/api/openapi.json lists each key once (a "201" listed twice kept /api/docs from
    rendering), and /api/docs renders it."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicated keys: {keys}"
        return dict(pairs)
    client.force_login(marketer)
    json.loads(client.get("/api/openapi.json").content, object_pairs_hook=no_duplicates)
    assert "swagger-ui" in client.get("/api/docs").content.decode()
