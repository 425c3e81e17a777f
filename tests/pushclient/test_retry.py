"""The tim_client retries only what can succeed on a retry, and never shows a secret while failing."""

import logging

import pytest

from pushclient import TencentError, TimClient
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY


def pushes_and_calls(emulator, command="im_push"):
    return emulator.state()["pushes"], [c for c in emulator.calls() if c["command"] == command]


def test_it_retries_91000_with_the_same_msg_random(tim_client, emulator):
    emulator.post("faults", {"script": ["91000", "91000"]})
    result = tim_client.push(msg_body=TEXT)
    pushes, calls = pushes_and_calls(emulator)
    assert [c["code"] for c in calls] == [91000, 91000, 0]
    assert len({c["random"] for c in calls}) == 3, "each request has a fresh random"
    assert [p["msg_random"] for p in pushes] == [result.msg_random]


def test_it_retries_a_502_and_gives_up_after_its_retries(tim_client, emulator):
    emulator.post("faults", {"script": ["502"]})
    assert tim_client.members.get_attr_names() == {}
    emulator.post("faults", {"script": ["502"] * 4})
    with pytest.raises(TencentError) as failed:
        tim_client.members.get_attr_names()
    assert failed.value.retryable and failed.value.outcome_unknown
    assert [c["code"] for c in emulator.calls()] == [502, 0, 502, 502, 502, 502]


def test_a_stalled_answer_times_out_as_an_unknown_outcome_and_is_retried(tim_client, emulator):
    emulator.post("faults", {"script": ["stall"], "stall_seconds": 3})
    tim_client.members.add_tags({"mary": ["a"]})
    assert tim_client.members.get_tags(["mary"]).values == {"mary": ["a"]}
    emulator.post("faults", {"script": ["stall"], "stall_seconds": 3})
    with pytest.raises(TencentError) as failed:
        tim_client.push(msg_body=TEXT, retries=0)
    assert failed.value.outcome_unknown and failed.value.retryable
    assert len(emulator.state()["pushes"]) == 1, "the stalled push did go out"


@pytest.mark.parametrize("setup, code", [({}, 90024), ({"daily_quota": 1}, 90047)])
def test_it_never_retries_spacing_or_quota_refusals(tim_client, emulator, setup, code):
    emulator.post("config", setup)
    tim_client.push(msg_body=TEXT)
    if code == 90047:
        emulator.post("config", {"min_push_interval": 0})
    with pytest.raises(TencentError) as refused:
        tim_client.push(msg_body=TEXT)
    assert refused.value.code == code
    assert [c["code"] for c in pushes_and_calls(emulator)[1]] == [0, code]


def test_an_unreachable_server_is_a_retryable_connection_error():
    unreachable = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url="http://127.0.0.1:9",
                       retries=1, backoff=0.01)
    with pytest.raises(TencentError) as failed:
        unreachable.members.get_attr_names()
    assert failed.value.retryable


def test_no_secret_appears_in_errors_or_logs(tim_client, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    secret_sig = tim_client._usersig.get()
    emulator.post("faults", {"script": ["502", "91000", "stall"], "stall_seconds": 3})
    for call in (tim_client.members.get_attr_names, tim_client.members.get_attr_names,
                 lambda: tim_client.push(msg_body=TEXT, retries=0)):
        try:
            call()
        except TencentError as exc:
            caplog.records.append(logging.makeLogRecord({"msg": f"{exc!r} {exc}"}))
    offline = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url="http://127.0.0.1:9",
                        retries=0)
    with pytest.raises(TencentError) as failed:
        offline.members.get_attr_names()
    text = caplog.text + repr(failed.value) + str(failed.value) + repr(tim_client)
    assert "usersig=" not in text.lower().replace("usersig=[redacted]", "")
    assert secret_sig not in text and SECRET_KEY not in text
    assert "im_get_attr_name" in caplog.text, "the calls were logged"
