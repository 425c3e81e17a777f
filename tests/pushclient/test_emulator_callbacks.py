"""The emulator's simulated phones: signed Push.AllMemberPush callbacks in batches of at most
100 events, stage by stage, a failed batch posted again; figures that agree with them."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from pushclient import callbacks
from tests.conftest import TEXT

TOKEN = "emulator-callback-token"


class Receiver(ThreadingHTTPServer):
    """A callback URL that refuses its first `failures` requests with HTTP 500."""

    def __init__(self, failures: int):
        super().__init__(("127.0.0.1", 0), Handler)
        self.failures = failures
        self.requests: list[tuple[dict, dict]] = []
        self.lock = threading.Lock()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/tencent/callback/"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        with self.server.lock:
            self.server.requests.append((query, body))
            fail = self.server.failures > 0
            self.server.failures -= fail
        answer = json.dumps({"ErrorCode": 1} if fail else callbacks.OK_ANSWER).encode()
        self.send_response(500 if fail else 200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def receiver():
    server = Receiver(failures=2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_a_push_brings_signed_batches_of_100_and_a_refused_batch_comes_again(
        tim_client, emulator, receiver):
    accounts = [f"fan{i:03}" for i in range(250)]
    emulator.post("accounts", {"accounts": accounts})
    emulator.post("config", {"callback_url": receiver.url, "callback_token": TOKEN,
                             "callback_stage_delay_seconds": 0,
                             "callback_retry_base_seconds": 0.05})
    task = tim_client.push(msg_body=TEXT).task_id
    deadline = time.monotonic() + 20
    while not emulator.state()["callbacks_idle"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.state()["callbacks_posted"] == {"failed": 2,
                                                    "ok": len(receiver.requests) - 2}
    for query, body in receiver.requests:
        assert query["SdkAppid"] == "1400000000" and query["CallbackCommand"] == callbacks.COMMAND
        assert callbacks.sign_matches(TOKEN, query["RequestTime"], query["Sign"])
        assert abs(int(query["RequestTime"]) - time.time()) < 30
        assert 1 <= len(body["Events"]) <= 100
    assert receiver.requests[0][1] == receiver.requests[2][1], "the refused batch, again"
    delivered = [e for _q, b in receiver.requests[2:] for e in callbacks.parse_events(b)[0]]
    assert {e.task_id for e in delivered} == {task}
    stages = [e.stage for e in delivered]
    assert stages == sorted(stages), "sent, then delivered, then clicked"
    sent = {e.account for e in delivered if e.stage == callbacks.SENT and not e.err_code}
    lost = [e for e in delivered if e.err_code]
    assert lost and all(e.err_info for e in lost)
    report = tim_client.timpush.push_statistics(start=int(time.time()) - 60,
                                                end=int(time.time()) + 1, task_ids=[task])
    figures = report["Results"][0]
    assert figures["TotalCount"] == 250 and figures["SentCount"] == len(sent)
    assert figures["ClickCount"] == sum(e.stage == callbacks.CLICKED for e in delivered)
    assert TOKEN not in json.dumps(emulator.state()), "the token is never shown back"


def test_a_test_send_calls_back_with_its_data_id_for_known_accounts_only(
        tim_client, emulator, receiver):
    receiver.failures = 0
    emulator.post("accounts", {"accounts": ["mia-phone", "leo-phone"]})
    emulator.post("config", {"callback_url": receiver.url, "callback_token": TOKEN,
                             "callback_stage_delay_seconds": 0, "device_reached_share": 1.0})
    result = tim_client.timpush.batch(from_account="administrator",
                                      to_accounts=["mia-phone", "leo-phone", "ghost"],
                                      offline_push_info={"Title": "t", "Desc": "d"},
                                      data_id="test:42")
    assert [f.account for f in result.failed] == ["ghost"]
    deadline = time.monotonic() + 10
    while not emulator.state()["callbacks_idle"] and time.monotonic() < deadline:
        time.sleep(0.05)
    events = [e for _q, b in receiver.requests for e in callbacks.parse_events(b)[0]]
    assert {e.data_id for e in events} == {"test:42"}
    assert {e.account for e in events if e.stage == callbacks.DELIVERED} == {"mia-phone",
                                                                            "leo-phone"}


def test_tag_calls_are_answered_while_a_push_to_a_large_audience_is_worked_out(
        tim_client, emulator):
    # Tencent works out a push's devices on its own side. The emulator did it holding the lock
    # every call needs: tag calls got no answer for 1-3 s around each push to 100,000 accounts,
    # and a bulk job's figures measured the emulator, not the product.
    emulator.post("accounts", {"accounts": [f"fan{i:06}" for i in range(100_000)]})
    finished = {}

    def push():
        tim_client.push(msg_body=TEXT)
        finished["push"] = time.monotonic()

    pushing = threading.Thread(target=push)
    pushing.start()
    time.sleep(0.15)  # the push is in: its audience is being worked out
    tim_client.members.add_tags({"fan000001": ["vip"]})
    finished["tags"] = time.monotonic()
    pushing.join()
    assert finished["tags"] < finished["push"], "the tag call waited for the push"
