"""A job's tags and attributes as a person gives them, in the admin form and the API alike.

A job with no tag, a blank tag or nothing to set is refused naming the field, before anything
is stored or sent to Tencent."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audience import jobs, services
from audience.models import Job, Segment
from tests.audience.test_api import api_client, post

pytestmark = pytest.mark.django_db(transaction=True)

NO_TAG = "Tags: give at least one tag to add or remove."
BLANK_TAG = "Tags holds an empty tag: every tag needs text."
CONTROL = "Tags: tag 1 holds an invisible control character."
NO_ATTR = "Attributes: give at least one attribute and its value."
NO_ATTR_NAME = "Attributes: give at least one attribute name to remove."
NOT_A_MAP = "Attributes must pair attribute names with text values."


@pytest.fixture
def api(client, admin_user, tim):
    return api_client(client, admin_user)


@pytest.fixture
def segment(admin_user):
    return services.segment_import(user=admin_user, name="spring", lines=["a1", "a2"])


def form_errors(page, field: str) -> str:
    """The error text Django admin shows next to one field of the form."""
    html = page.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", found[1]).replace("&#x27;", "'") if found else ""


def start_in_form(admin, segment, **fields):
    return admin.post("/admin/audience/job/add/", {
        "segment": segment.pk, "api": "all_member_push", "tags": "", "attrs": "", **fields})


def assert_nothing_stored_or_sent(tim):
    assert not Job.objects.exists()
    assert tim.calls() == []


@pytest.mark.parametrize("action, tags, words", [
    ("add_tags", "", NO_TAG),
    ("add_tags", " , ", NO_TAG),
    ("remove_tags", "", NO_TAG),
    ("add_tags", "vip\tgold", CONTROL),
])
def test_the_job_form_refuses_tags_that_name_no_tag(admin, segment, tim, action, tags, words):
    page = start_in_form(admin, segment, action=action, tags=tags)
    assert page.status_code == 200
    assert words in form_errors(page, "tags")
    assert_nothing_stored_or_sent(tim)


@pytest.mark.parametrize("body, words", [
    ({"action": "add_tags"}, NO_TAG),
    ({"action": "add_tags", "tags": []}, NO_TAG),
    ({"action": "remove_tags", "tags": []}, NO_TAG),
    ({"action": "add_tags", "tags": [""]}, BLANK_TAG),
    ({"action": "remove_tags", "tags": ["vip", "  "]}, BLANK_TAG),
    ({"action": "add_tags", "tags": ["vip\tgold"]}, CONTROL),
    ({"action": "add_tags", "tags": ["vip\u0007"]}, CONTROL),
])
def test_the_api_refuses_tags_that_name_no_tag(api, tim, body, words):
    answer = post(api, "/api/audience/jobs/", {**body, "accounts": ["a1"]})
    assert answer.status_code == 400
    assert words in answer.json()["errors"]["tags"][0]
    assert_nothing_stored_or_sent(tim)
    assert not Segment.objects.exists()


def test_a_job_without_tags_is_refused_in_the_readers_language(api, tim):
    answer = api.post("/api/audience/jobs/", {"action": "add_tags", "accounts": ["a1"]},
                      content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400
    assert "标签" in answer.json()["errors"]["tags"][0]
    assert "tag" not in answer.json()["errors"]["tags"][0]
    assert_nothing_stored_or_sent(tim)


def test_a_tag_given_twice_is_sent_once(admin, api, segment, tim, tim_client):
    start_in_form(admin, segment, action="add_tags", tags="vip, sz, vip")
    assert Job.objects.get().tags == ["vip", "sz"]
    answer = post(api, "/api/audience/jobs/", {"action": "add_tags", "tags": ["sz", "vip", "sz"],
                                               "accounts": ["a1"]})
    assert answer.status_code == 202 and answer.json()["tags"] == ["sz", "vip"]
    jobs.job_run(answer.json()["id"])
    assert sorted(tim_client.members.get_tags(["a1"]).values["a1"]) == ["sz", "vip"]


@pytest.mark.parametrize("action, attrs, words", [
    ("set_attrs", "nonsense-without-equals", NOT_A_MAP),
    ("set_attrs", "city=Shenzhen\nnonsense-without-equals", NOT_A_MAP),
    ("set_attrs", "", NO_ATTR),
    ("remove_attrs", "", NO_ATTR_NAME),
    ("remove_attrs", " \n ", NO_ATTR_NAME),
])
def test_the_job_form_refuses_attributes_it_cannot_use(admin, admin_user, segment, tim, action,
                                                       attrs, words):
    services.attribute_names_update(user=admin_user, names={"0": "city"})
    calls_before = len(tim.calls())
    page = start_in_form(admin, segment, action=action, attrs=attrs)
    assert page.status_code == 200
    assert words in form_errors(page, "attrs")
    assert not Job.objects.exists()
    assert len(tim.calls()) == calls_before, "naming the attribute was the only call"


@pytest.mark.parametrize("body, words", [
    ({"action": "set_attrs"}, NO_ATTR),
    ({"action": "set_attrs", "attrs": {}}, NO_ATTR),
    ({"action": "remove_attrs"}, NO_ATTR_NAME),
    ({"action": "remove_attrs", "attrs": []}, NO_ATTR_NAME),
])
def test_the_api_refuses_a_job_with_no_attribute(api, tim, body, words):
    answer = post(api, "/api/audience/jobs/", {**body, "accounts": ["a1"]})
    assert answer.status_code == 400
    assert words in answer.json()["errors"]["attrs"][0]
    assert_nothing_stored_or_sent(tim)


def upload(api, **fields):
    return api.post("/api/audience/jobs/upload/", {
        "action": "add_tags", "accounts_file": SimpleUploadedFile("a.txt", b"a1\na2\n"),
        **fields})


@pytest.mark.parametrize("tags, expected", [
    ("vip,sz", ["vip", "sz"]),
    (" vip , sz ,", ["vip", "sz"]),
    (["vip", "sz, new"], ["vip", "sz", "new"]),
])
def test_the_upload_api_reads_tags_the_way_the_form_does(api, tim, tags, expected):
    answer = upload(api, tags=tags)
    assert answer.status_code == 202
    assert answer.json()["tags"] == expected


@pytest.mark.parametrize("tags", ["", " , "])
def test_the_upload_api_refuses_tags_that_name_no_tag(api, tim, tags):
    answer = upload(api, tags=tags)
    assert answer.status_code == 400
    assert NO_TAG in answer.json()["errors"]["tags"][0]
    assert_nothing_stored_or_sent(tim)
    assert not Segment.objects.exists()
