"""Every documented error code, table-driven from the spec, produced over HTTP by the emulator."""

import socket
import time

import pytest
import requests

from pushclient import TencentError, usersig
from pushclient.errors import ErrorKind
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY


def raw_call(url, command="all_member_push/im_get_attr_name", body=b"{}", **query):
    params = {"sdkappid": SDKAPPID, "identifier": "administrator", "random": 7,
              "contenttype": "json",
              "usersig": usersig.generate(sdkappid=SDKAPPID, key=SECRET_KEY,
                                          identifier="administrator")}
    params.update(query)
    params = {k: v for k, v in params.items() if v is not None}
    return requests.post(f"{url}/v4/{command}", params=params, data=body, timeout=5).json()


def sig(**overrides):
    args = dict(sdkappid=SDKAPPID, key=SECRET_KEY, identifier="administrator")
    return usersig.generate(**{**args, **overrides})


@pytest.mark.parametrize("query, body, code", [
    ({"sdkappid": None}, b"{}", 60012),
    ({"sdkappid": 1400999999}, b"{}", 70020),
    ({"usersig": ""}, b"{}", 70002),
    ({"contenttype": "xml"}, b"{}", 60002),
    ({"random": "-1"}, b"{}", 60002),
    ({"usersig": "garbage"}, b"{}", 70003),
    ({"usersig": sig(now=time.time() - 200, expire=100)}, b"{}", 70001),
    ({"usersig": sig(key="another-key")}, b"{}", 70009),
    ({"usersig": sig(identifier="bob")}, b"{}", 70013),
    ({"usersig": sig(sdkappid=1400000001)}, b"{}", 70014),
    ({"usersig": sig(identifier="bob"), "identifier": "bob"}, b"{}", 90009),
    ({}, b"", 90001),
    ({}, b"{not json", 90001),
    ({}, b"[]", 90001),
])
def test_the_emulator_checks_the_request_like_the_server(emulator, query, body, code):
    answer = raw_call(emulator.url, body=body, **query)
    assert (answer["ActionStatus"], answer["ErrorCode"]) == ("FAIL", code)


def test_an_unknown_api_is_a_resource_error(emulator):
    assert raw_call(emulator.url, command="all_member_push/im_nothing")["ErrorCode"] == 60009


def push_body(**changes):
    body = {"MsgRandom": 1, "MsgBody": TEXT}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


PUSH_ERRORS = [
    (push_body(MsgRandom=None), 90005),
    (push_body(MsgRandom="12"), 90005),
    (push_body(MsgBody={"MsgType": "TIMTextElem"}), 90007),
    (push_body(MsgBody=[{"MsgType": "TIMNopeElem", "MsgContent": {}}]), 90002),
    (push_body(MsgBody=[{"MsgType": "TIMCustomElem", "MsgContent": {}}] * 2), 90002),
    (push_body(MsgBody=[{"MsgType": "TIMTextElem", "MsgContent": "hi"}]), 90010),
    (push_body(MsgBody=[{"MsgType": "TIMTextElem", "MsgContent": {}}]), 90002),
    (push_body(MsgBody=[{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x" * 9000}}]), 80002),
    (push_body(MsgLifeTime=604801), 90026),
    (push_body(Condition=["vip"]), 90001),
    (push_body(Condition={"TagsOr": ["a"], "AttrsOr": {"sex": "f"}}), 90039),
    (push_body(Condition={"TagsOr": [f"t{i}" for i in range(11)]}), 90032),
    (push_body(Condition={"TagsAnd": ["a", ""]}), 90040),
    (push_body(Condition={"TagsOr": ["标" * 17]}), 90020),
    (push_body(Condition={"TagsOr": ["a"], "TagsAnd": ["a", "b"]}), 90022),
    (push_body(Condition={"AttrsAnd": {"shoe size": "42"}}), 90033),
    (push_body(From_Account=7), 60015),
]


@pytest.mark.parametrize("body, code", PUSH_ERRORS)
def test_a_malformed_push_is_refused_with_its_code(tim_client, emulator, body, code):
    with pytest.raises(TencentError) as refused:
        tim_client.call("all_member_push", "im_push", body)
    assert refused.value.code == code
    assert emulator.state()["pushes"] == []


def test_pushes_less_than_a_second_apart_are_refused_without_using_quota(tim_client, emulator):
    tim_client.push(msg_body=TEXT)
    with pytest.raises(TencentError) as refused:
        tim_client.push(msg_body=TEXT)
    assert (refused.value.code, refused.value.kind) == (90024, ErrorKind.RATE)
    emulator.advance_clock(1.05)
    tim_client.push(msg_body=TEXT)
    assert len(emulator.state()["pushes"]) == 2


def test_the_daily_quota_is_enforced(tim_client, emulator):
    emulator.post("config", {"daily_quota": 1})
    tim_client.push(msg_body=TEXT)
    emulator.advance_clock(1.05)  # past the push spacing
    with pytest.raises(TencentError) as refused:
        tim_client.push(msg_body=TEXT)
    assert (refused.value.code, refused.value.kind) == (90047, ErrorKind.QUOTA)


def test_a_disabled_feature_is_90045(tim_client, emulator):
    emulator.post("config", {"push_enabled": False})
    with pytest.raises(TencentError) as refused:
        tim_client.push(msg_body=TEXT)
    assert (refused.value.code, refused.value.kind) == (90045, ErrorKind.PERMISSION)


@pytest.mark.parametrize("command, body, code", [
    ("im_get_attr", {"To_Account": [f"u{i}" for i in range(101)]}, 90018),
    ("im_add_tag", {"UserTags": [{"To_Account": "u", "Tags": [f"t{i}" for i in range(11)]}]},
     90032),
    ("im_add_tag", {"UserTags": [{"To_Account": "u", "Tags": ["x" * 51]}]}, 90020),
    ("im_set_attr", {"UserAttrs": [{"To_Account": "u", "Attrs": {"unknown": "1"}}]}, 90033),
    ("im_set_attr", {"UserAttrs": [{"To_Account": "u", "Attrs": {"sex": "x" * 51}}]}, 90033),
    ("im_set_attr_name", {"AttrNames": {"10": "eleventh"}}, 90033),
    ("im_set_attr_name", {"AttrNames": {"5": "sex"}}, 90033),
    ("im_remove_all_tags", {"To_Account": [f"u{i}" for i in range(101)]}, 90018),
])
def test_attribute_and_tag_limits_are_enforced(tim_client, command, body, code):
    tim_client.members.set_attr_names({"0": "sex"})
    with pytest.raises(TencentError) as refused:
        tim_client.call("all_member_push", command, body)
    assert refused.value.code == code


def test_a_user_cannot_hold_more_than_100_tags(tim_client):
    for start in range(0, 100, 10):
        tim_client.members.add_tags({"u": [f"t{i}" for i in range(start, start + 10)]})
    with pytest.raises(TencentError) as refused:
        tim_client.members.add_tags({"u": ["one too many"]})
    assert refused.value.code == 90032


def test_an_attribute_type_cannot_change_once_set(tim_client):
    tim_client.timpush.set_attr_names({"0": "sex"}, types={"0": 0})
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.set_attr_names({"0": "sex"}, types={"0": 1})
    assert refused.value.code == 90033


def test_calls_past_the_per_api_limit_in_one_second_get_60007(tim_client, emulator):
    assert emulator.state()["config"]["qps_limit"] == 100, "Tencent's documented 100 calls/s"
    # A lower limit, so a loaded machine still fits the burst inside one second.
    emulator.post("config", {"qps_limit": 20})
    codes = []
    for _ in range(40):
        try:
            tim_client.call("all_member_push", "im_get_attr_name", {}, retries=0)
            codes.append(0)
        except TencentError as exc:
            codes.append(exc.code)
    assert codes[:20] == [0] * 20, "the first 20 calls of the second are served"
    assert 60007 in codes[20:]
    tim_client.call("all_member_push", "im_get_tag", {"To_Account": ["u"]}, retries=0)  # other API


def test_the_emulators_91000_fault_is_retryable(tim_client, emulator):
    emulator.post("faults", {"script": ["91000"]})
    with pytest.raises(TencentError) as failed:
        tim_client.call("all_member_push", "im_get_attr_name", {}, retries=0)
    assert (failed.value.code, failed.value.retryable) == (91000, True)


def test_a_call_counts_when_its_first_bytes_arrive_not_when_a_thread_handles_it(emulator):
    # Half a request, a pause, then the rest: the emulator's threads see the request only once
    # it is whole, but it reached the API when its first bytes did. Counting on handling
    # stamps put calls that arrived in different seconds into one (101 "in a second").
    query = (f"sdkappid={SDKAPPID}&identifier=administrator&random=9&contenttype=json&usersig="
             + usersig.generate(sdkappid=SDKAPPID, key=SECRET_KEY, identifier="administrator"))
    host, port = emulator.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST /v4/all_member_push/im_get_attr_name?{query} HTTP/1.1\r\n".encode())
        first_bytes_sent = time.time()
        time.sleep(0.3)
        sock.sendall(f"Host: {host}\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        handled_after = time.time()
        assert b"200 OK" in sock.recv(65536)
    (call,) = emulator.calls()
    assert call["received_at"] <= first_bytes_sent < handled_after
