"""The payload rules name the field, the rule and the Tencent code, in words a marketer reads."""

import pytest

from pushclient import PayloadError, TimClient
from pushclient.batching import chunks
from pushclient.payload import push_violations, validate_push

TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]


@pytest.mark.parametrize("changes, field, message, code", [
    ({"Condition": {"TagsOr": [f"t{i}" for i in range(11)]}}, "Condition.TagsOr",
     "Condition.TagsOr: 11 given, at most 10.", 90032),
    ({"Condition": {"TagsOr": ["a"], "AttrsAnd": {"sex": "f"}}}, "Condition",
     "Choose tags or attributes, not both: Tencent refuses a push that targets both.", 90039),
    ({"Condition": {"TagsAnd": ["x" * 51]}}, "Condition.TagsAnd",
     "Condition.TagsAnd: the tag “xxxxxxxxxxxxxxxxxxxx…” is 51 bytes, at most 50.",
     90020),
    ({"Condition": {"AttrsOr": {"shoe": "42"}}}, "Condition.AttrsOr",
     "Condition.AttrsOr: “shoe” is not one of the app's attributes (city, sex).", 90033),
    ({"MsgLifeTime": 604801}, "MsgLifeTime",
     "MsgLifeTime must be from 0 seconds to 7 days.", 90026),
    ({"MsgBody": []}, "MsgBody", "MsgBody is empty: add at least one element.", 90002),
    ({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]},
     "MsgBody[0].MsgContent.Text", "MsgBody[0].MsgContent.Text must be text.", 90002),
    ({"MsgBody": [{"MsgType": "TIMFaceElem", "MsgContent": [1]}]},
     "MsgBody[0].MsgContent", "MsgBody[0].MsgContent: the content must be an object.", 90010),
    ({"From_Account": 42}, "From_Account", "From_Account must be an account ID (text).", 60015),
])
def test_each_rule_names_the_field_and_the_rule(changes, field, message, code):
    body = {"MsgRandom": 5, "MsgBody": TEXT, **changes}
    violations = push_violations(body, attr_names=["sex", "city"])
    assert [(v.field, v.message, v.code) for v in violations] == [(field, message, code)]


def test_every_problem_is_reported_at_once_in_the_servers_order():
    body = {"MsgBody": "text", "MsgLifeTime": -1,
            "Condition": {"TagsOr": [""] + [f"t{i}" for i in range(10)]}}
    with pytest.raises(PayloadError) as refused:
        validate_push(body)
    assert [v.code for v in refused.value.violations] == [90005, 90007, 90026, 90032, 90040]
    assert refused.value.code == 90005
    assert {v.field for v in refused.value.violations} == {"MsgRandom", "MsgBody", "MsgLifeTime",
                                             "Condition.TagsOr"}


def test_all_eight_element_types_are_accepted_in_their_documented_form():
    body = [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}},
        {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "x", "Latitude": 29.3,
                                                      "Longitude": 116.7}},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 1, "Data": "content"}},
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "m", "Desc": "n", "Ext": "u",
                                                    "Sound": "dingdong.aiff"}},
        {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "https://s", "UUID": "1", "Size": 62351,
                                                   "Second": 1, "Download_Flag": 2}},
        {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "2", "ImageFormat": 1, "ImageInfoArray": [
            {"Type": 1, "Size": 1, "Width": 2448, "Height": 3264, "URL": "http://x/0"}]}},
        {"MsgType": "TIMFileElem", "MsgContent": {"Url": "https://f", "UUID": "3", "FileSize": 17,
                                                  "FileName": "a.mov", "Download_Flag": 2}},
        {"MsgType": "TIMVideoFileElem", "MsgContent": {
            "VideoUrl": "https://v", "VideoUUID": "4", "VideoSize": 1, "VideoSecond": 5,
            "VideoFormat": "mp4", "VideoDownloadFlag": 2, "ThumbUrl": "https://t",
            "ThumbUUID": "5", "ThumbSize": 1, "ThumbWidth": 720, "ThumbHeight": 1280,
            "ThumbFormat": "JPG", "ThumbDownloadFlag": 2}},
    ]
    assert push_violations({"MsgRandom": 1, "MsgBody": body}) == []


@pytest.mark.parametrize("changes", [
    {"From_Account": "Zhang Xiaohong"},  # the docs' own account id (seed 001)
    {"From_Account": ""},
    {"From_Account": "x" * 33},
    {"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": " "}}]},
    {"MsgBody": [{"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "here"}}]},
    {"MsgBody": [{"MsgType": "TIMImageElem", "MsgContent": {"UUID": "", "ImageInfoArray": [
        {"Width": 1, "Height": 1, "URL": "http://x"}]}}]},
    {"OfflinePushInfo": {"PushFlag": 2, "Ext": {"k": 1}, "ApnsInfo": {"BadgeMode": 2,
                                                                      "MutableContent": "1"}}},
    {"OfflinePushInfo": None},
    {"Condition": {"TagsOr": []}},
])
def test_what_the_documents_do_not_refuse_the_client_sends(changes):
    """No documented code, no refusal: the server decides (the product has its own rules)."""
    assert push_violations({"MsgRandom": 5, "MsgBody": TEXT, **changes}) == []


def test_the_client_refuses_before_sending(emulator, tim_client):
    with pytest.raises(PayloadError) as refused:
        tim_client.push(msg_body=TEXT, condition={"TagsOr": [f"t{i}" for i in range(11)]})
    assert refused.value.code == 90032
    with pytest.raises(PayloadError):
        tim_client.members.add_tags({f"u{i}": ["a"] for i in range(101)})
    assert emulator.calls() == [], "nothing reached the server"


def test_batching_yields_calls_of_at_most_100_accounts():
    accounts = [f"u{i}" for i in range(250)]
    assert [len(c) for c in chunks(accounts)] == [100, 100, 50]


def test_pushclient_never_imports_django():
    import subprocess
    import sys
    code = ("import sys, pushclient, pushclient.emulator, pushclient.emulator.__main__; "
            "sys.exit('django' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_regions_resolve_to_their_domains_and_an_override_wins():
    assert TimClient(sdkappid=1, secret_key="k", region="singapore").base_url == \
        "https://adminapisgp.im.qcloud.com"
    assert TimClient(sdkappid=1, secret_key="k", base_url="http://127.0.0.1:9180/").base_url == \
        "http://127.0.0.1:9180"
    with pytest.raises(ValueError, match="Unknown region 'mars'"):
        TimClient(sdkappid=1, secret_key="k", region="mars")
