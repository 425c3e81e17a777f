"""What A/B tests need of the emulator (issue 28): im_push refuses TagsNot, timpush/push applies
it under both readings of the documents, and devices click at a true rate set per tag, the
same in statistics, callbacks and traces."""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from pushclient import TencentError, callbacks
from tests.conftest import TEXT

OFFLINE = {"Title": "Sale", "Desc": "Half price today"}


def bucket_of(account: str) -> int:
    """The product's bucket of an account (issue 28: a hash of the id, never changing)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big") % 10


class Receiver(ThreadingHTTPServer):
    """A callback URL that takes every batch and keeps its events."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.events: list[callbacks.Event] = []
        self.lock = threading.Lock()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/tencent/callback/"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        events, _errors = callbacks.parse_events(
            json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        with self.server.lock:
            self.server.events.extend(events)
        answer = json.dumps(callbacks.OK_ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def receiver(emulator):
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    emulator.post("config", {"callback_url": server.url, "callback_stage_delay_seconds": 0})
    yield server
    server.shutdown()


def wait_for_callbacks(emulator, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not emulator.state()["callbacks_idle"]:
        assert time.monotonic() < deadline, "the callbacks did not finish"
        time.sleep(0.05)


def tag_all(emulator, tim_client, user_tags: dict[str, list[str]]) -> None:
    """The accounts exist (timpush tags known accounts only), then are tagged through the REST
    API as the product tags them, 100 accounts a call."""
    emulator.post("accounts", {"accounts": list(user_tags)})
    items = list(user_tags.items())
    for start in range(0, len(items), 100):
        result = tim_client.timpush.add_tags(dict(items[start:start + 100]))
        assert not result.failed


def reached_by(receiver, task_id: str) -> set[str]:
    """The accounts a push reached, from its callbacks (every device is reached: share 1.0)."""
    return {e.account for e in receiver.events
            if e.task_id == task_id and e.stage == callbacks.DELIVERED and not e.err_code}


# --- TagsNot: refused by im_push, applied by timpush/push -----------------------------------

@pytest.mark.parametrize("condition", [{"TagsNot": ["exp:7"]},
                                       {"TagsOr": ["ab:2", "ab:3"], "TagsNot": ["exp:7"]},
                                       {"TagsNot": []}])
def test_im_push_refuses_tagsnot_and_pushes_nothing(tim_client, emulator, condition):
    tag_all(emulator, tim_client, {"mia": ["ab:2"], "leo": ["ab:3", "exp:7"]})
    with pytest.raises(TencentError) as refused:
        tim_client.push(msg_body=TEXT, condition=condition)
    assert refused.value.code == 90001
    state = emulator.state()
    assert state["pushes"] == [], "nothing was pushed"
    assert state["counters"]["im_push"] == {"90001": 1}
    # The same push without TagsNot goes: the refusal is TagsNot's, not the rest's.
    rest = {k: v for k, v in condition.items() if k != "TagsNot"}
    tim_client.push(msg_body=TEXT, condition=rest or None)
    assert len(emulator.state()["pushes"]) == 1


@pytest.fixture
def experiment_accounts(tim_client, emulator):
    """80 accounts in their hash buckets; those of the test buckets ab:0 and ab:1 also carry
    the experiment's one exclusion tag, exp:7. Every device is reached."""
    emulator.post("config", {"device_reached_share": 1.0})
    accounts = [f"user-{i:03}" for i in range(80)]
    buckets = {a: bucket_of(a) for a in accounts}
    assert {0, 1} <= set(buckets.values()) and len(set(buckets.values())) > 2
    tag_all(emulator, tim_client, {a: [f"ab:{b}"] + (["exp:7"] if b in (0, 1) else [])
                         for a, b in buckets.items()})
    return buckets


@pytest.mark.parametrize("reading", ["none_of", "not_all_of"])
def test_a_winner_push_excluding_one_tag_reaches_everyone_else_under_either_reading(
        tim_client, emulator, receiver, experiment_accounts, reading):
    emulator.post("config", {"tags_not": reading})
    outside_the_test = {a for a, b in experiment_accounts.items() if b not in (0, 1)}
    winner = tim_client.timpush.push(offline_push_info=OFFLINE,
                                     condition={"TagsNot": ["exp:7"]}).task_id
    emulator.advance_clock(1.05)
    # A winner limited to some buckets, as a product without TagsNot's reading would send it.
    some = tim_client.timpush.push(offline_push_info=OFFLINE, condition={
        "TagsOr": ["ab:0", "ab:2", "ab:3"], "TagsNot": ["exp:7"]}).task_id
    wait_for_callbacks(emulator)
    assert reached_by(receiver, winner) == outside_the_test
    assert reached_by(receiver, some) == {a for a, b in experiment_accounts.items()
                                          if b in (2, 3)}


def test_two_excluded_tags_differ_between_the_readings(tim_client, emulator, receiver,
                                                        experiment_accounts):
    reached = {}
    for reading in ("none_of", "not_all_of"):
        emulator.post("config", {"tags_not": reading})
        task = tim_client.timpush.push(offline_push_info=OFFLINE,
                                       condition={"TagsNot": ["ab:0", "ab:1"]}).task_id
        emulator.advance_clock(1.05)
        wait_for_callbacks(emulator)
        reached[reading] = reached_by(receiver, task)
    everyone = set(experiment_accounts)
    # "not (ab:0 or ab:1)" leaves the test buckets out; "not (ab:0 and ab:1)" leaves out only
    # accounts holding both, and no account is in two buckets: the push reaches everyone.
    assert reached["none_of"] == {a for a, b in experiment_accounts.items() if b not in (0, 1)}
    assert reached["not_all_of"] == everyone


# --- A true click rate per tag --------------------------------------------------------------

def test_click_rates_per_tag_hold_in_statistics_callbacks_and_traces(tim_client, emulator,
                                                                     receiver):
    emulator.post("config", {"qps_limit": 100_000,  # 400 tag calls, as fast as they go
                             "clicked_share_by_tag": {"ab:0": 0.05, "ab:1": 0.20}})
    low = [f"low-{i:05}" for i in range(20_000)]
    high = [f"high-{i:05}" for i in range(20_000)]
    tag_all(emulator, tim_client, {**{a: ["ab:0"] for a in low}, **{a: ["ab:1"] for a in high}})
    to_low = tim_client.push(msg_body=TEXT, condition={"TagsOr": ["ab:0"]}).task_id
    emulator.advance_clock(1.05)
    to_high = tim_client.push(msg_body=TEXT, condition={"TagsOr": ["ab:1"]}).task_id
    now = int(time.time())
    report = tim_client.timpush.push_statistics(start=now - 60, end=now + 60,
                                                task_ids=[to_low, to_high])
    figures = {r["TaskID"]: r for r in report["Results"]}
    # 85 % of 20,000 reached (the default share): the rate's standard error is 0.0017 at 5 %
    # and 0.0031 at 20 %, so these bounds are 6 and 5 standard errors wide, and the default
    # rate (25 %) or the other tag's is far outside them.
    for task, rate, tolerance in ((to_low, 0.05, 0.01), (to_high, 0.20, 0.015)):
        delivered, clicks = figures[task]["DeliveredCount"], figures[task]["ClickCount"]
        assert figures[task]["TotalCount"] == 20_000 and 16_500 < delivered < 17_500
        assert abs(clicks / delivered - rate) < tolerance, (task, clicks, delivered)

    wait_for_callbacks(emulator, seconds=120)
    for task, accounts in ((to_low, set(low)), (to_high, set(high))):
        clicked = {e.account for e in receiver.events
                   if e.task_id == task and e.stage == callbacks.CLICKED}
        assert len(clicked) == figures[task]["ClickCount"] and clicked <= accounts
        assert len(reached_by(receiver, task)) == figures[task]["DeliveredCount"]
    # A trace tells the same story as the callbacks: one account that clicked, one that did
    # not (traces answer once a second: the clock moves on between them).
    clicked_high = sorted(e.account for e in receiver.events
                          if e.task_id == to_high and e.stage == callbacks.CLICKED)
    not_clicked = sorted(reached_by(receiver, to_high) - set(clicked_high))
    for account, clicks in ((clicked_high[0], True), (not_clicked[0], False)):
        emulator.advance_clock(1.05)
        stages = tim_client.timpush.push_trace(task_id=to_high,
                                               user_id=account)["Results"][0]["Stages"]
        assert (stages[-1]["Stage"] == "click") is clicks, (account, stages)


def test_an_account_with_two_listed_tags_takes_the_first_in_sorted_order(tim_client, emulator):
    emulator.post("config", {"device_reached_share": 1.0, "device_clicked_share": 0.0,
                             "clicked_share_by_tag": {"ab:1": 0.0, "ab:0": 1.0}})
    tag_all(emulator, tim_client, {"both": ["ab:1", "ab:0"], "second-only": ["ab:1"],
                                   "first-only": ["ab:0"], "untested": ["news"]})
    task = tim_client.push(msg_body=TEXT).task_id
    now = int(time.time())
    figures = tim_client.timpush.push_statistics(start=now - 60, end=now + 60,
                                                 task_ids=[task])["Results"][0]
    assert (figures["DeliveredCount"], figures["ClickCount"]) == (4, 2)
    for account, clicks in (("both", True), ("first-only", True), ("second-only", False),
                            ("untested", False)):
        emulator.advance_clock(1.05)
        stages = tim_client.timpush.push_trace(task_id=task, user_id=account)["Results"][0]
        assert (stages["Stages"][-1]["Stage"] == "click") is clicks, account


@pytest.mark.parametrize("shares", [{"ab:0": 1.5}, {"ab:0": "0.05"}, {"ab:0": True},
                                    ["ab:0", 0.05]])
def test_a_click_rate_that_is_not_a_share_is_refused(emulator, shares):
    answer = requests.post(f"{emulator.url}/emulator/config",
                           json={"clicked_share_by_tag": shares}, timeout=10)
    assert answer.status_code == 400
    assert emulator.state()["config"]["clicked_share_by_tag"] == {}
    added = requests.post(f"{emulator.url}/emulator/apps", timeout=10, json={
        "sdkappid": 1400000999, "secret_key": "k", "clicked_share_by_tag": shares})
    assert added.status_code == 400, "nor does a new app start with it"
