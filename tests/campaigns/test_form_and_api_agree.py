"""The editor and the JSON API accept exactly the same campaigns: hypothesis fills the editor's
fields as a person might, and the API is sent the push the editor built from them."""

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audience.models import AttributeName
from campaigns.models import Campaign
from tests.audience.test_api import api_client
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
tag_lists = st.lists(st.one_of(st.sampled_from(["vip", "深圳", "a b", " ", "x" * 51]), words),
                     max_size=12).map(", ".join)
elements = st.lists(st.fixed_dictionaries({
    "MsgType": st.sampled_from(["TIMTextElem", "TIMCustomElem", "TIMFaceElem", "TIMBogusElem"]),
    "MsgContent": st.fixed_dictionaries({}, optional={
        "Text": words, "Data": words, "Desc": words, "Index": st.integers(-1, 10)}),
}), max_size=3)

texts = st.lists(st.fixed_dictionaries({"MsgType": st.just("TIMTextElem"),
                                        "MsgContent": st.fixed_dictionaries({"Text": words})}),
                 min_size=1, max_size=2)

editor_fields = st.fixed_dictionaries({
    "name": st.one_of(st.just("Sale"), words),
    "msg_body": st.one_of(texts.map(json.dumps), texts.map(json.dumps), texts.map(json.dumps),
                          elements.map(json.dumps), st.just("not json"), st.just("{}")),
    "audience": st.sampled_from(["everyone", "everyone", "everyone", "tags", "attrs"]),
    "attr_name_0": st.sampled_from(["", "city", "city"]), "attr_value_0": words,
    "attr_mode_0": st.sampled_from(["all", "any"]),
    "tags_all": st.one_of(st.just("vip"), tag_lists), "tags_any": st.one_of(st.just(""), tag_lists),
    "push_enabled": st.sampled_from(["on", ""]),
    "title": words, "desc": words, "ext": words,
    "lifetime_value": st.one_of(st.integers(0, 7).map(str), st.integers(-2, 800_000).map(str),
                                st.just("")),
    "lifetime_unit": st.sampled_from(["online", "minutes", "hours", "days"]),
    "from_account": st.one_of(st.just(""), st.just(""),
                              st.sampled_from(["shop", "a b", " shop", "x" * 33]), words),
    "schedule": st.just("draft"), "send_tz": st.just("Asia/Shanghai"),
    "apns_badge_mode": st.sampled_from(["0", "1"]),
})


@pytest.fixture
def people(db, tim):
    AttributeName.objects.create(index=0, name="city")
    return make_user("mia", "Marketers")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=editor_fields)
def test_the_editor_and_the_api_accept_the_same_campaigns(client, people, fields):
    from django.test import Client
    browser = Client()
    browser.force_login(people)
    Campaign.objects.all().delete()
    preview = browser.post("/campaigns/preview/", fields).json()
    saved = browser.post("/campaigns/new/", fields)
    form_took_it = saved.status_code == 302
    event(f"editor {'saved' if form_took_it else 'refused'}")
    assert saved.status_code in (200, 302)
    if preview["form_errors"] and not preview["errors"] and not form_took_it:
        event("only a form field was wrong")
        return  # a field the API does not have (e.g. a lifetime typed as -2): nothing to compare
    push = {k: v for k, v in preview["request"].items() if k != "MsgRandom"}
    api = api_client(Client(), people)
    answer = api.post("/api/campaigns/", json.dumps({"name": fields["name"], "push": push,
                                                     "timezone": fields["send_tz"]}),
                      content_type="application/json")
    assert answer.status_code in (201, 400), answer.content
    assert (answer.status_code == 201) == form_took_it, (fields, answer.json())
    if form_took_it:
        by_form, by_api = Campaign.objects.order_by("pk")
        assert by_form.push == by_api.push and by_form.name == by_api.name
