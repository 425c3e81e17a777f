"""The emulator and the client against the documents: one row per documented rule and per
[UNCERTAIN] recommendation (spec section, request, expected code), sent over HTTP; then every
sample request of the seeds and the spec, sent as written through the client and accepted."""

import time

import pytest
import requests

from pushclient import usersig
from pushclient.payload import push_violations
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY


def raw(url, service, command, body) -> dict:
    params = {"sdkappid": SDKAPPID, "identifier": "administrator", "random": 7,
              "contenttype": "json",
              "usersig": usersig.generate(sdkappid=SDKAPPID, key=SECRET_KEY,
                                          identifier="administrator")}
    return requests.post(f"{url}/v4/{service}/{command}", params=params, json=body,
                         timeout=5).json()


def push(**changes):
    body = {"MsgRandom": 1, "MsgBody": TEXT, **changes}
    return {k: v for k, v in body.items() if v is not None}


def element(msg_type, **content):
    return push(MsgBody=[{"MsgType": msg_type, "MsgContent": content}])


AMP, TIM = "all_member_push", "timpush"
OFFLINE = {"Title": "Sale", "Desc": "Half price today"}

# (spec section, service, command, body, expected ErrorCode; 0 = accepted)
ROWS = [
    # §2.1 / §5: documented refusals of im_push, in the server's order.
    ("§2.1 90005", AMP, "im_push", push(MsgRandom=None), 90005),
    ("§2.1 90005", AMP, "im_push", push(MsgRandom=2**32), 90005),
    ("§2.1 90007", AMP, "im_push", push(MsgBody={"MsgType": "TIMTextElem"}), 90007),
    ("§7.1 unknown MsgType", AMP, "im_push", push(MsgBody=[{"MsgType": "TIMRelayElem",
                                                            "MsgContent": {}}]), 90002),
    ("§7.1 missing MsgContent", AMP, "im_push", push(MsgBody=[{"MsgType": "TIMTextElem"}]), 90002),
    ("§7.1 MsgContent not an object", AMP, "im_push",
     push(MsgBody=[{"MsgType": "TIMTextElem", "MsgContent": "hi"}]), 90010),
    ("§7.1 Text not a string", AMP, "im_push", element("TIMTextElem", Text=None), 90002),
    ("§7.1 two custom elements", AMP, "im_push",
     push(MsgBody=[{"MsgType": "TIMCustomElem", "MsgContent": {"Desc": "a"}}] * 2), 90002),
    ("§1.4 80002", AMP, "im_push", element("TIMTextElem", Text="x" * 8200), 80002),
    ("§2.1 90026", AMP, "im_push", push(MsgLifeTime=604801), 90026),
    ("§1.4 60015", AMP, "im_push", push(From_Account=["admin"]), 60015),
    ("§5 90001", AMP, "im_push", push(Condition="vip"), 90001),
    ("§5 90039", AMP, "im_push", push(Condition={"TagsOr": ["a"], "AttrsOr": {"sex": "f"}}),
     90039),
    ("§5 90032", AMP, "im_push", push(Condition={"TagsAnd": [f"t{i}" for i in range(11)]}),
     90032),
    ("§5 90040", AMP, "im_push", push(Condition={"TagsOr": ["a", ""]}), 90040),
    ("§5 90020", AMP, "im_push", push(Condition={"TagsOr": ["股" * 17]}), 90020),
    ("§5 90022", AMP, "im_push", push(Condition={"TagsOr": ["a"], "TagsAnd": ["a"]}), 90022),
    ("§5 90033", AMP, "im_push", push(Condition={"AttrsAnd": {"shoe": "42"}}), 90033),
    # §7.1 [UNCERTAIN] recommendation "otherwise lenient": legacy and partial forms pass.
    ("§7.1 legacy sound", AMP, "im_push", element("TIMSoundElem", UUID="u", Size=1, Second=1), 0),
    ("§7.1 legacy file", AMP, "im_push", element("TIMFileElem", UUID="u", FileSize=1), 0),
    ("§7.1 legacy image", AMP, "im_push", element("TIMImageElem", UUID="u", ImageFormat=1,
                                                  ImageInfoArray=[{"Size": 1, "Width": 1}]), 0),
    ("§7.1 image entry without Type", AMP, "im_push",
     element("TIMImageElem", UUID="u", ImageInfoArray=[{"URL": "http://x", "Width": 1,
                                                        "Height": 1}]), 0),
    ("§7.1 face without Index", AMP, "im_push", element("TIMFaceElem", Data="x"), 0),
    ("§7.1 location without coordinates", AMP, "im_push", element("TIMLocationElem", Desc="x"),
     0),
    ("§7.1 blank Text", AMP, "im_push", element("TIMTextElem", Text=""), 0),
    ("§1.4 account with a space", AMP, "im_push", push(From_Account="Zhang Xiaohong"), 0),
    # §7.2 documents no refusal; unknown vendor keys round-trip.
    ("§7.2 PushFlag 2", AMP, "im_push", push(OfflinePushInfo={"PushFlag": 2}), 0),
    ("§7.2 values of other types", AMP, "im_push", push(OfflinePushInfo={
        "Ext": {"k": 1}, "ApnsInfo": {"BadgeMode": 2, "MutableContent": "1"}}), 0),
    ("§7.2 null", AMP, "im_push", push(OfflinePushInfo=None, MsgLifeTime=0), 0),
    # §5 [UNCERTAIN]: {} is everyone, an empty list is ignored.
    ("§5 empty condition", AMP, "im_push", push(Condition={}), 0),
    ("§5 empty tag list", AMP, "im_push", push(Condition={"TagsOr": []}), 0),
    # §2.2–§2.10: attribute and tag calls.
    ("§2.4 90018", AMP, "im_get_attr", {"To_Account": [f"u{i}" for i in range(101)]}, 90018),
    ("§2.4 empty list", AMP, "im_get_attr", {"To_Account": []}, 0),
    ("§2.4 account with a space", AMP, "im_get_attr", {"To_Account": ["Zhang Xiaohong"]}, 0),
    ("§2.5 90033 unknown name", AMP, "im_set_attr",
     {"UserAttrs": [{"To_Account": "u", "Attrs": {"shoe": "42"}}]}, 90033),
    ("§2.5 90033 value over 50 bytes", AMP, "im_set_attr",
     {"UserAttrs": [{"To_Account": "u", "Attrs": {"sex": "x" * 51}}]}, 90033),
    ("§2.5 empty Attrs", AMP, "im_set_attr", {"UserAttrs": [{"To_Account": "u", "Attrs": {}}]}, 0),
    ("§2.2 90033 bad index", AMP, "im_set_attr_name", {"AttrNames": {"10": "x"}}, 90033),
    ("§2.2 90033 duplicate name", AMP, "im_set_attr_name", {"AttrNames": {"5": "sex"}}, 90033),
    ("§2.8 90032", AMP, "im_add_tag",
     {"UserTags": [{"To_Account": "u", "Tags": [f"t{i}" for i in range(11)]}]}, 90032),
    ("§2.8 90020", AMP, "im_add_tag", {"UserTags": [{"To_Account": "u", "Tags": ["x" * 51]}]},
     90020),
    ("§2.8 empty Tags", AMP, "im_add_tag", {"UserTags": [{"To_Account": "u", "Tags": []}]}, 0),
    ("§2.9 no cap on remove", AMP, "im_remove_tag",
     {"UserTags": [{"To_Account": "u", "Tags": [f"t{i}" for i in range(30)]}]}, 0),
    ("§2.10 90018", AMP, "im_remove_all_tags", {"To_Account": [f"u{i}" for i in range(101)]},
     90018),
    ("§3 Replace=1 takes 100", TIM, "add_tag",
     {"Replace": 1, "UserTags": [{"To_Account": "u", "Tags": [f"t{i}" for i in range(100)]}]}, 0),
    ("§3 Replace=1 over 100", TIM, "add_tag",
     {"Replace": 1, "UserTags": [{"To_Account": "u", "Tags": [f"t{i}" for i in range(101)]}]},
     90032),
    # §3.1 timpush/push.
    ("§3.1 push-service variant", TIM, "push",
     {"MsgRandom": 2, "Condition": {"TagsOr": ["a"], "TagsNot": ["b"]},
      "OfflinePushInfo": OFFLINE}, 0),
    ("§3.1 IM variant", TIM, "push", push(MsgRandom=3, OnlineOnlyFlag=1), 0),
    ("§3.1 90005", TIM, "push", {"OfflinePushInfo": OFFLINE}, 90005),
    ("§3.1 nothing to show [INFERRED]", TIM, "push", {"MsgRandom": 4}, 90001),
    ("§3.1 90040 in TagsNot", TIM, "push", {"MsgRandom": 5, "Condition": {"TagsNot": [""]},
                                            "OfflinePushInfo": OFFLINE}, 90040),
    ("§3.1 90056", TIM, "push", {"MsgRandom": 6, "OfflinePushInfo": {"Ext": "x" * 10300}},
     90056),
    # §3.2 timpush/batch.
    ("§3.2 90001 MsgRandom", TIM, "batch", {"From_Account": "a", "To_Account": ["u"],
                                            "MsgRandom": "x", "OfflinePushInfo": OFFLINE}, 90001),
    ("§3.2 90057", TIM, "batch", {"From_Account": "a", "To_Account": ["u"], "MsgRandom": 1,
                                  "OfflinePushInfo": OFFLINE, "DataId": "d" * 65}, 90057),
    ("§3.2 over 500", TIM, "batch", {"From_Account": "a", "MsgRandom": 1,
                                     "To_Account": [f"u{i}" for i in range(501)],
                                     "OfflinePushInfo": OFFLINE}, 90018),
    # §3.3 timpush/revoke.
    ("§3.3 90049", TIM, "revoke", {"TaskId": "nope", "OfflinePushInfo": OFFLINE}, 90049),
    # §3.5 reports refuse a malformed range.
    ("§3.5 range", TIM, "all_member_push_statistics", {"StartTime": 5, "EndTime": 1}, 90001),
    ("§3.5 at most 5 tasks", TIM, "all_member_push_statistics",
     {"StartTime": int(time.time()) - 60, "EndTime": int(time.time()),
      "TaskID": list("abcdef")}, 90001),
]


@pytest.mark.parametrize("section, service, command, body, code", ROWS,
                         ids=[r[0] for r in ROWS])
def test_the_emulator_answers_each_documented_rule(emulator, section, service, command, body,
                                                  code):
    emulator.post("config", {"min_push_interval": 0.0})
    emulator.post("accounts", {"accounts": ["u"]})
    raw(emulator.url, AMP, "im_set_attr_name", {"AttrNames": {"0": "sex", "1": "city"}})
    answer = raw(emulator.url, service, command, body)
    assert answer["ErrorCode"] == code, answer
    assert answer["ActionStatus"] == ("OK" if code == 0 else "FAIL")
    if command == "im_push":  # the client refuses exactly the documented ones, before sending
        violations = push_violations(body, attr_names=["sex", "city"])
        assert (violations[0].code if violations else 0) == code


def test_the_strict_alternative_refuses_an_incomplete_rest_form(emulator):
    body = element("TIMSoundElem", UUID="u")
    assert raw(emulator.url, AMP, "im_push", body)["ErrorCode"] == 0
    emulator.post("config", {"strict_elements": True})
    emulator.advance_clock(1.05)  # past the push spacing
    assert raw(emulator.url, AMP, "im_push", {**body, "MsgRandom": 9})["ErrorCode"] == 90010


# --- the documents' own samples, sent as written ---------------------------------------------

S3_TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi, beauty"}}]
SEED_PUSHES = [  # seed 003 (im_push), every request sample on the page
    {"From_Account": "admin", "MsgRandom": 56512, "MsgLifeTime": 120, "MsgBody": S3_TEXT},
    {"From_Account": "xiaoming", "MsgRandom": 3674128, "MsgLifeTime": 120, "MsgBody": S3_TEXT},
    {"From_Account": "xiaoming", "MsgRandom": 3674128, "MsgLifeTime": 120, "MsgBody": S3_TEXT,
     "OfflinePushInfo": {"PushFlag": 0, "Desc": "离线推送内容", "Ext": "这是透传的内容",
                         "AndroidInfo": {"Sound": "android.mp3"},
                         "ApnsInfo": {"Sound": "apns.mp3", "BadgeMode": 1, "Title": "apns title",
                                      "SubTitle": "apns subtitle", "Image": "www.image.com"}}},
    {"From_Account": "admin", "MsgRandom": 21302570, "MsgLifeTime": 120, "MsgBody": S3_TEXT},
    {"From_Account": "admin", "MsgRandom": 214, "MsgLifeTime": 120,
     "Condition": {"TagsAnd": ["股票A", "股票B"]}, "MsgBody": S3_TEXT},
    {"From_Account": "admin", "MsgRandom": 124032, "MsgLifeTime": 120,
     "Condition": {"TagsOr": ["股票A", "股票B"]}, "MsgBody": S3_TEXT},
    {"From_Account": "admin", "MsgRandom": 389475, "MsgLifeTime": 120,
     "Condition": {"AttrsAnd": {"会员等级": "超白金会员", "city": "深圳"}}, "MsgBody": S3_TEXT},
    {"From_Account": "admin", "MsgRandom": 9312457, "MsgLifeTime": 120,
     "Condition": {"AttrsAnd": {"会员等级": "超白金用户", "city": "深圳"}}, "MsgBody": S3_TEXT},
]
SPEC_ELEMENTS = [  # spec §7.1's examples, each in a push
    {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "someinfo", "Latitude": 29.340656774469956,
                                                  "Longitude": 116.77497920478824}},
    {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 1, "Data": "content"}},
    {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "message", "Desc": "notification",
                                                "Ext": "url", "Sound": "dingdong.aiff"}},
    {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "https://…", "UUID":
                                               "1053D4B3D61040894AC3DE44CDF28B3EC7EB7C0F",
                                               "Size": 62351, "Second": 1, "Download_Flag": 2}},
    {"MsgType": "TIMImageElem", "MsgContent": {
        "UUID": "1853095_D61040894AC3DE44CDFFFB3EC7EB720F", "ImageFormat": 1, "ImageInfoArray": [
            {"Type": 1, "Size": 1853095, "Width": 2448, "Height": 3264, "URL": "http://xxx/…/0"},
            {"Type": 2, "Size": 2565240, "Width": 0, "Height": 0, "URL": "http://xxx/…/720"},
            {"Type": 3, "Size": 12535, "Width": 0, "Height": 0, "URL": "http://xxx/…/198"}]}},
    {"MsgType": "TIMFileElem", "MsgContent": {"Url": "https://…", "UUID": "1053D4B3…",
                                              "FileSize": 1773552, "FileName": "file:///…MOV",
                                              "Download_Flag": 2}},
    {"MsgType": "TIMVideoFileElem", "MsgContent": {
        "VideoUrl": "https://…", "VideoUUID": "5da38ba89d6521011e1f6f3fd6692e35",
        "VideoSize": 1194603, "VideoSecond": 5, "VideoFormat": "mp4", "VideoDownloadFlag": 2,
        "ThumbUrl": "https://…", "ThumbUUID": "6edaffedef5150684510cf97957b7bc8",
        "ThumbSize": 13907, "ThumbWidth": 720, "ThumbHeight": 1280, "ThumbFormat": "JPG",
        "ThumbDownloadFlag": 2}},
]
SAMPLE_CALLS = [  # (source, service, command, body) in an order where each makes sense
    ("§2.2", AMP, "im_set_attr_name", {"AttrNames": {"0": "sex", "1": "city", "2": "country"}}),
    ("seed 000", AMP, "im_get_attr_name", {}),
    ("seed 001", AMP, "im_get_attr", {"To_Account": ["Zhang Xiaohong", "Chen Xiaoming", "abc"]}),
    ("§2.5", AMP, "im_set_attr",
     {"UserAttrs": [{"To_Account": "xiaojun012", "Attrs": {"sex": "attr1", "city": "attr2"}}]}),
    ("§2.6", AMP, "im_remove_attr",
     {"UserAttrs": [{"To_Account": "xiaojun013", "Attrs": ["sex", "city"]}]}),
    ("§2.8", AMP, "im_add_tag", {"UserTags": [{"To_Account": "xiaojun012", "Tags": ["a", "b"]},
                                              {"To_Account": "xiaojun013", "Tags": ["a", "b"]}]}),
    ("§2.7", AMP, "im_get_tag", {"To_Account": ["xiaojun012", "xiaojun013"]}),
    ("§2.9", AMP, "im_remove_tag", {"UserTags": [{"To_Account": "xiaojun012", "Tags": ["a"]}]}),
    ("§2.10", AMP, "im_remove_all_tags", {"To_Account": ["xiaojun012", "xiaojun013"]}),
    ("seed 004", TIM, "set_attr",
     {"UserAttrs": [{"To_Account": "Mary", "Attrs": {"sex": "female", "city": "NewYork"}},
                    {"To_Account": "xiaoming", "Attrs": {"sex": "male", "city": "ShenZhen"}}]}),
    ("seed 002", TIM, "get_attr", {"To_Account": ["Mary", "xiaoming", "xiaohua"]}),
    ("§3 clear_all_tags", TIM, "clear_all_tags", {"To_Account": ["Mary"]}),
]


def test_every_sample_request_is_sent_by_the_client_and_accepted(emulator, tim_client):
    emulator.post("config", {"min_push_interval": 0.0})
    emulator.post("accounts", {"accounts": ["Mary", "xiaoming", "xiaohua"]})
    for source, service, command, body in SAMPLE_CALLS:
        answer = tim_client.call(service, command, body)
        assert answer["ErrorCode"] == 0, source
    assert tim_client.timpush.get_attrs(["Mary", "xiaoming", "xiaohua"]).values == {
        "Mary": {"sex": "female", "city": "NewYork"}, "xiaoming": {"sex": "male", "city": "ShenZhen"},
        "xiaohua": {}}, "seed 002's answer: xiaohua has no attributes"
    assert tim_client.members.get_attrs(["Zhang Xiaohong"]).values == {"Zhang Xiaohong": {}}
    tim_client.members.set_attr_names({"3": "会员等级"})
    for body in SEED_PUSHES:
        result = tim_client.push(msg_body=body["MsgBody"], condition=body.get("Condition"),
                                 offline_push_info=body.get("OfflinePushInfo"),
                                 msg_life_time=body["MsgLifeTime"],
                                 from_account=body["From_Account"], msg_random=body["MsgRandom"])
        assert result.task_id
    for index, sample in enumerate(SPEC_ELEMENTS):
        assert tim_client.push(msg_body=[sample], msg_random=index).task_id
    sent = [p["body"]["MsgBody"][0]["MsgType"] for p in emulator.state()["pushes"]]
    assert sent[-len(SPEC_ELEMENTS):] == [e["MsgType"] for e in SPEC_ELEMENTS]
