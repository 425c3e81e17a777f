"""One emulator, several apps: each SDKAppID with its own key, quota, limits, state and faults,
reached over HTTP by pushclient as the product reaches Tencent."""

import threading
import time
from contextlib import closing

import pytest
import requests

from pushclient import TencentError, TimClient, callbacks
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY, EmulatorProcess
from tests.pushclient.test_emulator_callbacks import Receiver

# One test worker runs this module (make test: --dist loadgroup), so its module fixture is
# made once, not once on each worker.
pytestmark = pytest.mark.xdist_group("emulator_apps")

OTHER = 1400000002
OTHER_KEY = "a-key-of-the-second-app-only"


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("emulator-apps")
    process = EmulatorProcess(str(folder / "state.sqlite3"), "--app", f"{OTHER}:{OTHER_KEY}")
    process.folder = folder
    yield process.start()
    process.stop()


@pytest.fixture
def emulator(two_apps):
    two_apps.post("reset")
    two_apps.post("reset", sdkappid=OTHER)
    return two_apps


def client(emulator, sdkappid, key):
    return closing(TimClient(sdkappid=sdkappid, secret_key=key, base_url=emulator.url,
                             backoff=0.01, read_timeout=2.0))


@pytest.fixture
def first(emulator):
    with client(emulator, SDKAPPID, SECRET_KEY) as tim:
        yield tim


@pytest.fixture
def second(emulator):
    with client(emulator, OTHER, OTHER_KEY) as tim:
        yield tim


def test_it_takes_pushes_of_two_apps_in_one_second_but_spaces_each_apps_own(
        emulator, first, second):
    first.push(msg_body=TEXT)
    second.push(msg_body=TEXT)
    with pytest.raises(TencentError) as refused:
        first.push(msg_body=TEXT)
    assert refused.value.code == 90024
    [pushed_first] = emulator.state()["pushes"]
    [pushed_second] = emulator.state(sdkappid=OTHER)["pushes"]
    assert abs(pushed_first["received_at"] - pushed_second["received_at"]) < 1.0
    assert pushed_second["task_id"].startswith(f"{OTHER}_")


def test_it_counts_each_apps_daily_quota_on_its_own(emulator, first, second):
    emulator.post("config", {"daily_quota": 1})
    emulator.post("config", {"daily_quota": 1}, sdkappid=OTHER)
    first.push(msg_body=TEXT)
    emulator.advance_clock(1.05)
    with pytest.raises(TencentError) as refused:
        first.push(msg_body=TEXT)
    assert refused.value.code == 90047
    second.push(msg_body=TEXT)
    assert len(emulator.state(sdkappid=OTHER)["pushes"]) == 1


@pytest.mark.parametrize("sdkappid, key", [(SDKAPPID, OTHER_KEY), (OTHER, SECRET_KEY)])
def test_it_refuses_a_usersig_made_with_the_other_apps_key(emulator, sdkappid, key):
    with client(emulator, sdkappid, key) as mixed, pytest.raises(TencentError) as refused:
        mixed.members.get_attr_names()
    assert refused.value.code == 70009


def test_it_refuses_an_sdkappid_it_does_not_serve(emulator):
    with client(emulator, 1400000009, SECRET_KEY) as unknown, \
            pytest.raises(TencentError) as refused:
        unknown.members.get_attr_names()
    assert refused.value.code == 70020


def test_it_keeps_tags_attributes_and_accounts_in_their_app(emulator, first, second):
    first.members.set_attr_names({"0": "city"})
    first.members.add_tags({"mary": ["vip"]})
    emulator.post("accounts", {"accounts": ["leo"]}, sdkappid=OTHER)
    assert first.members.get_tags(["mary"]).values == {"mary": ["vip"]}
    assert second.members.get_tags(["mary"]).values == {"mary": []}
    assert second.members.get_attr_names() == {}
    assert [f.account for f in first.timpush.get_tags(["leo"]).failed] == ["leo"]
    assert second.timpush.get_tags(["leo"]).failed == []
    vip = {"Condition": {"TagsOr": ["vip"]}}
    assert emulator.post("reach", vip)["reach"] == 1
    assert emulator.post("reach", vip, sdkappid=OTHER)["reach"] == 0
    emulator.post("reset", sdkappid=OTHER)
    assert first.members.get_tags(["mary"]).values == {"mary": ["vip"]}, "only one app reset"


def test_a_fault_set_on_one_app_leaves_the_other_alone(emulator, first, second):
    emulator.post("faults", {"script": ["91000"]}, sdkappid=OTHER)
    assert first.call("all_member_push", "im_get_attr_name", {}, retries=0)["ErrorCode"] == 0
    with pytest.raises(TencentError) as failed:
        second.call("all_member_push", "im_get_attr_name", {}, retries=0)
    assert failed.value.code == 91000
    assert emulator.state()["faults"]["script"] == []


def test_each_apps_callbacks_carry_its_sdkappid_and_its_token(emulator, first, second):
    receiver = Receiver(failures=0)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        for sdkappid, token in ((SDKAPPID, "first-token"), (OTHER, "second-token")):
            emulator.post("accounts", {"accounts": ["mia", "leo"]}, sdkappid=sdkappid)
            emulator.post("config", {"callback_url": receiver.url, "callback_token": token,
                                     "callback_stage_delay_seconds": 0}, sdkappid=sdkappid)
        tasks = {str(SDKAPPID): first.push(msg_body=TEXT).task_id,
                 str(OTHER): second.push(msg_body=TEXT).task_id}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
                emulator.state()["callbacks_idle"]
                and emulator.state(sdkappid=OTHER)["callbacks_idle"]):
            time.sleep(0.05)
    finally:
        receiver.shutdown()
    tokens = {str(SDKAPPID): "first-token", str(OTHER): "second-token"}
    assert {q["SdkAppid"] for q, _b in receiver.requests} == set(tasks)
    for query, body in receiver.requests:
        assert callbacks.sign_matches(tokens[query["SdkAppid"]], query["RequestTime"],
                                      query["Sign"])
        assert {e["TaskId"] for e in body["Events"]} == {tasks[query["SdkAppid"]]}


def test_an_app_added_over_http_is_served_with_its_own_state_file(emulator):
    third, third_key = 1400000003, "the-third-key"
    answer = requests.post(f"{emulator.url}/emulator/apps", timeout=5,
                           json={"sdkappid": third, "secret_key": third_key, "daily_quota": 1})
    assert answer.json() == {"apps": [SDKAPPID, OTHER, third]}
    with client(emulator, third, third_key) as tim:
        tim.push(msg_body=TEXT)
        emulator.advance_clock(1.05, sdkappid=third)
        with pytest.raises(TencentError) as refused:
            tim.push(msg_body=TEXT)
    assert refused.value.code == 90047, "its own quota, from the body"
    assert "secret_key" not in emulator.state(sdkappid=third)["config"]
    assert (emulator.folder / f"state-{third}.sqlite3").exists()
    again = requests.post(f"{emulator.url}/emulator/apps", timeout=5,
                          json={"sdkappid": third, "secret_key": "another"})
    assert again.status_code == 409
    no_key = requests.post(f"{emulator.url}/emulator/apps", json={"sdkappid": 1400000004},
                           timeout=5)
    assert no_key.status_code == 400


def test_control_calls_act_on_the_default_app_unless_they_name_one(emulator):
    assert emulator.state()["config"]["sdkappid"] == SDKAPPID
    assert emulator.state(sdkappid=OTHER)["config"]["sdkappid"] == OTHER
    assert emulator.post("config", {"daily_quota": 7})["config"]["sdkappid"] == SDKAPPID
    assert emulator.state(sdkappid=OTHER)["config"]["daily_quota"] == 100
    unknown = requests.post(f"{emulator.url}/emulator/config", params={"sdkappid": 1400000009},
                            json={"daily_quota": 1}, timeout=5)
    assert unknown.status_code == 404


def test_each_app_keeps_its_state_across_a_restart(emulator, first, second):
    second.members.add_tags({"mary": ["second-app"]})
    emulator.restart()
    assert second.members.get_tags(["mary"]).values == {"mary": ["second-app"]}
    assert first.members.get_tags(["mary"]).values == {"mary": []}
    assert (emulator.folder / f"state-{OTHER}.sqlite3").exists()
