"""The v4/timpush family's pushes, test sends, recall and reports (spec §3), client to emulator."""

import time

import pytest

from pushclient import TencentError

OFFLINE = {"Title": "Sale", "Desc": "Half price today"}
TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}}]


@pytest.fixture
def tagged(tim_client, emulator):
    tim_client.members.add_tags({"a": ["stock A"], "b": ["stock A", "stock C"],
                                 "c": ["stock A", "stock C", "stock D"], "d": ["stock B"]})
    return emulator


def test_tagsnot_excludes_holders_of_any_listed_tag_by_default(tim_client, tagged):
    tim_client.timpush.push(offline_push_info=OFFLINE, condition={
        "TagsOr": ["stock A", "stock B"], "TagsNot": ["stock C", "stock D"]})
    assert tagged.state()["pushes"][0]["audience"] == 2  # a and d


def test_tagsnot_can_mean_not_all_of_them(tim_client, tagged):
    tagged.post("config", {"tags_not": "not_all_of"})
    tim_client.timpush.push(offline_push_info=OFFLINE, condition={
        "TagsOr": ["stock A", "stock B"], "TagsNot": ["stock C", "stock D"]})
    assert tagged.state()["pushes"][0]["audience"] == 3  # all but c


def test_the_im_variant_carries_its_body_and_shares_spacing_with_im_push(tim_client, emulator):
    result = tim_client.timpush.push(msg_body=TEXT, online_only=True, offline_push_info=OFFLINE)
    pushed = emulator.state()["pushes"][0]
    assert pushed["task_id"] == result.task_id
    assert (pushed["body"]["OnlineOnlyFlag"], pushed["body"]["MsgBody"]) == (1, TEXT)
    with pytest.raises(TencentError) as refused:
        tim_client.push(msg_body=TEXT)
    assert refused.value.code == 90024


def test_a_repeated_msgrandom_within_the_window_is_the_same_push(tim_client, emulator):
    first = tim_client.push(msg_body=TEXT, msg_random=77)
    again = tim_client.push(msg_body=TEXT, msg_random=77)
    assert again.task_id == first.task_id and len(emulator.state()["pushes"]) == 1
    emulator.post("config", {"msgrandom_dedupe_seconds": 0.0})
    emulator.advance_clock(1.05)  # past the push spacing
    assert tim_client.push(msg_body=TEXT, msg_random=77).task_id != first.task_id


def test_a_test_send_reports_unknown_accounts_and_uses_no_quota(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["mary"]})
    emulator.post("config", {"daily_quota": 1})
    sent = tim_client.timpush.batch(from_account="admin", to_accounts=["mary", "ghost"],
                                    offline_push_info=OFFLINE, data_id="campaign-7")
    assert sent.task_id.startswith("batch_")
    assert [(f.account, f.code) for f in sent.failed] == [("ghost", 70107)]
    assert emulator.state()["batches"][0]["reached"] == 1
    tim_client.push(msg_body=TEXT)  # the day's one push is still there


def test_a_push_is_recalled_once_within_a_day(tim_client, emulator):
    task = tim_client.timpush.push(offline_push_info=OFFLINE).task_id
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.revoke(task_id=task, offline_push_info=None)
    assert refused.value.code == 90053
    emulator.advance_clock(1.05)
    tim_client.timpush.revoke(task_id=task, offline_push_info=OFFLINE)
    assert emulator.state()["revoked"] == [task]
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.revoke(task_id=task, offline_push_info=OFFLINE)
    assert refused.value.code == 90051, "more than once a second"
    emulator.advance_clock(1.05)
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.revoke(task_id=task, offline_push_info=OFFLINE)
    assert refused.value.code == 90050


def test_statistics_answer_per_task_for_either_push_family(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["x", "y"]})
    emulator.post("config", {"min_push_interval": 0.0})
    classic = tim_client.push(msg_body=TEXT).task_id
    newer = tim_client.timpush.push(offline_push_info=OFFLINE).task_id
    now = int(time.time())
    report = tim_client.timpush.push_statistics(start=now - 60, end=now + 1,
                                                task_ids=[classic, newer, "unknown"])
    assert [(r["TaskID"], r["TotalCount"]) for r in report["Results"]] == [(classic, 2), (newer, 2)]
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.push_statistics(start=now - 60, end=now + 1)
    assert refused.value.code == 60007, "once a second"
    emulator.advance_clock(1.05)
    totals = tim_client.timpush.push_statistics(start=now - 60, end=now + 1)
    assert totals["TotalCount"] == 4
    assert tim_client.timpush.push_loss(start=now - 60, end=now + 1,
                                        task_ids=[classic])["Results"][0]["TaskID"] == classic
    devices = tim_client.timpush.push_trace(task_id=classic, user_id="x")["Results"]
    assert len(devices) == 1 and devices[0]["Stages"][0]["Stage"] == "im"
    emulator.advance_clock(1.05)
    assert tim_client.timpush.push_trace(task_id=classic, user_id="nobody")["Results"] == [], \
        "an account outside the push has no device in it"


def test_an_attribute_or_a_tag_applies_to_one_account_type(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["mary"], "registration_ids": ["device-1"]})
    tim_client.timpush.set_attr_names({"0": "sex", "1": "model"}, types={"0": 0, "1": 1})
    tim_client.timpush.set_attrs({"mary": {"sex": "f"}, "device-1": {"model": "P60"}})
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.set_attrs({"device-1": {"sex": "f"}})
    assert refused.value.code == 90035
    tim_client.timpush.add_tags({"mary": ["vip"]})
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.add_tags({"device-1": ["vip"]})
    assert refused.value.code == 90035


def test_an_attribute_type_never_changes_even_from_its_default(tim_client):
    tim_client.timpush.set_attr_names({"0": "sex"})
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.set_attr_names({"0": "sex"}, types={"0": 1})
    assert refused.value.code == 90033
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.set_attr_names({"1": "city"}, types={"2": 0})
    assert refused.value.code == 90033, "a type for an index that has no name"


def test_an_app_holds_at_most_its_distinct_tag_limit(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["u1", "u2", "u3"]})
    emulator.post("config", {"max_tags_per_app": 12})
    tim_client.timpush.add_tags({"u1": [f"t{i}" for i in range(10)]})
    tim_client.timpush.add_tags({"u2": ["t0", "t10", "t11"]})
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.add_tags({"u3": ["t12"]})
    assert refused.value.code == 90032
    assert emulator.state()["config"]["max_tags_per_app"] == 12


def test_the_emulator_recalls_at_23_h_59_min_and_refuses_at_24_h(tim_client, emulator):
    early = tim_client.timpush.push(offline_push_info=OFFLINE).task_id
    emulator.post("config", {"clock_offset_seconds": 23 * 3600 + 59 * 60})
    tim_client.timpush.revoke(task_id=early, offline_push_info=OFFLINE)
    assert emulator.state()["revoked"] == [early]
    emulator.post("config", {"clock_offset_seconds": 1.05})  # back, past the push spacing
    late = tim_client.timpush.push(offline_push_info=OFFLINE).task_id
    emulator.advance_clock(24 * 3600)
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.revoke(task_id=late, offline_push_info=OFFLINE)
    assert refused.value.code == 90052
    assert emulator.state()["revoked"] == [early]


def test_an_unknown_task_cannot_be_recalled_and_a_fast_recall_is_a_rate_error(tim_client,
                                                                             emulator):
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.revoke(task_id="batch_1_2_3", offline_push_info=OFFLINE)
    assert (refused.value.code, refused.value.kind) == (90049, "invalid")
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.revoke(task_id="batch_1_2_3", offline_push_info=OFFLINE)
    assert (refused.value.code, refused.value.kind, refused.value.retryable) == (
        90051, "rate", False)


def test_test_sends_refuse_past_the_quota_when_they_use_it(tim_client, emulator):
    emulator.post("accounts", {"accounts": ["mary"]})
    emulator.post("config", {"daily_quota": 1, "batch_uses_quota": True})
    tim_client.timpush.batch(from_account="admin", to_accounts=["mary"], offline_push_info=OFFLINE)
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.batch(from_account="admin", to_accounts=["mary"],
                                 offline_push_info=OFFLINE)
    assert (refused.value.code, refused.value.kind) == (90047, "quota")


def test_a_test_send_holds_1_to_500_accounts(tim_client, emulator):
    from pushclient import PayloadError
    with pytest.raises(PayloadError) as refused:
        tim_client.timpush.batch(from_account="admin", to_accounts=[f"u{i}" for i in range(501)],
                                 offline_push_info=OFFLINE)
    assert [(v.field, v.message) for v in refused.value.violations] == [
        ("To_Account", "To_Account: 501 accounts given, at most 500.")]
    with pytest.raises(TencentError) as refused:
        tim_client.timpush.batch(from_account="admin", to_accounts=[], offline_push_info=OFFLINE)
    assert refused.value.code == 90001
    assert [c["command"] for c in emulator.calls()] == ["batch"], "501 never left the client"
