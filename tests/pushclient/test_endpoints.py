"""Each endpoint's success path, tim_client against the emulator over HTTP."""

import logging

import pytest
import requests

from pushclient import TencentError
from tests.conftest import TEXT


def test_it_names_reads_and_merges_attribute_names(tim_client):
    tim_client.members.set_attr_names({"0": "sex", "1": "city"})
    tim_client.members.set_attr_names({"2": "会员等级"})
    assert tim_client.members.get_attr_names() == {"0": "sex", "1": "city", "2": "会员等级"}


def test_it_sets_reads_and_removes_user_attributes(tim_client):
    tim_client.members.set_attr_names({"0": "sex", "1": "city"})
    tim_client.members.set_attrs({"mary": {"sex": "female", "city": "深圳"}, "bob": {"sex": "male"}})
    tim_client.members.set_attrs({"bob": {"city": "NewYork"}})  # merges per key
    tim_client.members.remove_attrs({"mary": ["city"]})
    read = tim_client.members.get_attrs(["mary", "bob", "nobody"])
    assert read.values == {"mary": {"sex": "female"}, "bob": {"sex": "male", "city": "NewYork"},
                           "nobody": {}}


def test_it_adds_reads_removes_and_clears_tags(tim_client):
    tim_client.members.add_tags({"mary": ["stock A", "stock B"], "bob": ["stock A"]})
    tim_client.members.remove_tags({"mary": ["stock B"]})
    assert tim_client.members.get_tags(["mary", "bob"]).values == {"mary": ["stock A"],
                                                               "bob": ["stock A"]}
    tim_client.members.remove_all_tags(["mary", "bob"])
    assert tim_client.members.get_tags(["mary", "bob"]).values == {"mary": [], "bob": []}


def test_a_push_returns_a_task_id_and_reaches_the_matching_accounts(tim_client, emulator):
    tim_client.members.add_tags({"a": ["vip", "sz"], "b": ["vip"], "c": ["sz"]})
    result = tim_client.push(msg_body=TEXT, condition={"TagsAnd": ["vip", "sz"]}, msg_life_time=120,
                         from_account="marketing",
                         offline_push_info={"Title": "Hi", "ApnsInfo": {"Sound": "a.mp3",
                                                                        "FutureVendorKey": 7}})
    push = emulator.state()["pushes"][0]
    assert push["task_id"] == result.task_id and result.task_id.startswith("1400000000_")
    assert push["msg_random"] == result.msg_random
    assert push["audience"] == 1
    assert push["body"]["OfflinePushInfo"]["ApnsInfo"]["FutureVendorKey"] == 7  # round-trips


def test_a_push_without_condition_reaches_every_known_account(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["x", "y", "z"]})
    tim_client.push(msg_body=TEXT)
    assert emulator.state()["pushes"][0]["audience"] == 3


def test_a_tag_listed_twice_in_tagsand_is_required_once(tim_client, emulator):
    tim_client.members.add_tags({"a": ["vip"], "b": ["other"]})
    assert emulator.post("reach", {"Condition": {"TagsAnd": ["vip", "vip"]}})["reach"] == 1
    tim_client.push(msg_body=TEXT, condition={"TagsAnd": ["vip", "vip"]})
    assert emulator.state()["pushes"][0]["audience"] == 1


def test_attribute_conditions_match_and_or_semantics(tim_client, emulator):
    tim_client.members.set_attr_names({"0": "sex", "1": "city"})
    tim_client.members.set_attrs({"a": {"sex": "f", "city": "sz"}, "b": {"sex": "f", "city": "bj"},
                              "c": {"sex": "m", "city": "sz"}})
    reach = lambda condition: emulator.post("reach", {"Condition": condition})["reach"]  # noqa: E731
    assert reach({"AttrsAnd": {"sex": "f", "city": "sz"}}) == 1
    assert reach({"AttrsOr": {"sex": "m", "city": "bj"}}) == 2
    assert reach({"AttrsAnd": {"sex": "f"}, "AttrsOr": {"city": "bj"}}) == 1


def test_timpush_reports_unknown_accounts_as_partial_failures(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["mary"]})
    result = tim_client.timpush.add_tags({"mary": ["a"], "ghost": ["a"]})
    assert [(f.account, f.code) for f in result.failed] == [("ghost", 70107)]
    assert tim_client.timpush.get_tags(["mary"]).values == {"mary": ["a"]}


def test_timpush_replace_overwrites_all_tags_and_clear_removes_them(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["mary"]})
    tim_client.timpush.add_tags({"mary": ["a", "b"]})
    tim_client.timpush.add_tags({"mary": [f"t{i}" for i in range(15)]}, replace=True)
    assert sorted(tim_client.timpush.get_tags(["mary"]).values["mary"]) == sorted(
        f"t{i}" for i in range(15))
    tim_client.timpush.remove_all_tags(["mary"])
    assert tim_client.timpush.get_tags(["mary"]).values == {"mary": []}


def test_timpush_attribute_names_carry_types_and_attributes_round_trip(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["mary", "bob"]})
    tim_client.timpush.set_attr_names({"0": "sex"}, types={"0": 0})
    tim_client.timpush.set_attrs({"mary": {"sex": "f"}})
    tim_client.timpush.remove_attrs({"bob": ["sex"]})
    assert tim_client.timpush.get_attrs(["mary", "bob"]).values == {"mary": {"sex": "f"}, "bob": {}}
    assert tim_client.timpush.get_attr_names() == {"0": "sex"}


def test_each_request_carries_a_fresh_random(tim_client, emulator):
    for _ in range(5):
        tim_client.members.get_attr_names()
    randoms = [c["random"] for c in emulator.calls() if c["command"] == "im_get_attr_name"]
    assert len(randoms) == 5 and len(set(randoms)) == 5


def test_the_emulator_keeps_its_state_across_a_restart(tmp_path):
    from pushclient import TimClient
    from tests.emulator_process import SDKAPPID, SECRET_KEY, EmulatorProcess
    process = EmulatorProcess(str(tmp_path / "state.sqlite3")).start()
    try:
        tim_client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=process.url)
        tim_client.members.add_tags({"mary": ["a"]})
        tim_client.push(msg_body=TEXT)
        process.restart()
        assert tim_client.members.get_tags(["mary"]).values == {"mary": ["a"]}
        assert len(process.state()["pushes"]) == 1
        assert requests.get(f"{process.url}/healthz", timeout=5).ok
    finally:
        process.stop()


def test_a_bulk_jobs_calls_keep_out_of_the_info_log_but_pushes_and_failures_do_not(
        tim_client, emulator, caplog):
    # A user's 100,000-account job wrote 1,000 INFO lines, one per tag call.
    emulator.post("accounts", {"accounts": ["mary"]})
    with caplog.at_level(logging.INFO, logger="pushclient"):
        tim_client.members.add_tags({"mary": ["vip"]})
        tim_client.members.set_attr_names({"0": "city"})
        tim_client.push(msg_body=TEXT)
        emulator.post("faults", {"script": ["91000"]})
        with pytest.raises(TencentError):
            tim_client.call("all_member_push", "im_add_tag",
                            {"UserTags": [{"To_Account": "mary", "Tags": ["vip"]}]}, retries=0)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert not any("im_add_tag -> 0" in line for line in lines), lines
    assert any("im_set_attr_name -> 0" in line for line in lines), lines
    assert any("im_push -> 0" in line for line in lines), lines
    assert any("im_add_tag -> 91000" in line for line in lines), lines
