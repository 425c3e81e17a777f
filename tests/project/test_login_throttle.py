"""Login throttling: per username and client address, told plainly, cleared by admins."""

import threading
import time

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth.models import User

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed logins for this account from your address"


def login(client, username, password, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def test_it_locks_out_after_five_failures_and_says_so(client):
    make_user("mia", "Marketers")
    answers = [login(client, "mia", "wrong") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert "didn't match" in answers[0].content.decode()
    assert LOCKED in answers[4].content.decode()
    right = login(client, "mia", "pw-mia")
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert "_auth_user_id" not in client.session, "the right password is refused while locked"


def test_it_covers_the_token_endpoint_with_a_json_answer(client):
    make_user("mia", "Marketers")
    for _ in range(5):
        client.post("/api/token/", {"username": "mia", "password": "wrong"},
                    content_type="application/json")
    answer = client.post("/api/token/", {"username": "mia", "password": "pw-mia"},
                         content_type="application/json")
    assert answer.status_code == 429
    assert LOCKED in answer.json()["error"] and "username" in answer.json()["errors"]


def test_a_success_before_the_limit_forgets_the_failures(client):
    make_user("mia", "Marketers")
    for _ in range(4):
        login(client, "mia", "wrong")
    assert login(client, "mia", "pw-mia").status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "mia", "wrong").status_code == 200


def test_behind_a_proxy_one_client_is_locked_out_and_the_others_are_not(client, settings):
    """Every request comes from the proxy's address; the client is in X-Forwarded-For."""
    settings.TRUSTED_PROXIES = 1
    make_user("mia", "Marketers")
    proxy = {"REMOTE_ADDR": "172.18.0.9"}
    for _ in range(5):
        # What the client wrote on the left is ignored: the proxy appended the real address.
        login(client, "mia", "wrong", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7", **proxy)
    assert LOCKED in login(client, "mia", "pw-mia", HTTP_X_FORWARDED_FOR="203.0.113.7",
                           **proxy).content.decode()
    # A forged left-hand entry does not get the attacker a fresh count either.
    assert login(client, "mia", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
                 **proxy).status_code == 429
    colleague = login(client, "mia", "pw-mia", HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)
    assert colleague.status_code == 302, "another client behind the same proxy still logs in"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_the_password_is_never_stored_with_the_attempt(client):
    make_user("mia", "Marketers")
    login(client, "mia", "hunter2-secret")
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "mia"
    assert "hunter2-secret" not in attempt.post_data + attempt.get_data


def test_admins_see_lockouts_in_django_admin_and_clear_them(client):
    make_user("mia", "Marketers")
    for _ in range(5):
        login(client, "mia", "wrong")
    admin = make_user("ada", "Admins", is_staff=True)
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "mia" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="mia")
    client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    client.logout()
    assert login(client, "mia", "pw-mia").status_code == 302, "cleared: mia logs in again"


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_are_all_counted_and_at_most_five_are_tried(
        live_server, monkeypatch):
    """24 guesses at once, through a threaded server: each is counted, and only the first five
    reach the password check; the rest are told about the lockout."""
    make_user("mia", "Marketers")
    checked = []
    check_password = User.check_password
    monkeypatch.setattr(User, "check_password",
                        lambda self, raw: checked.append(raw) or check_password(self, raw))
    start = threading.Barrier(24)
    statuses = []

    def guess(n):
        start.wait()
        for _try in range(3):
            try:
                answer = requests.post(f"{live_server.url}/api/token/", timeout=60,
                                       json={"username": "mia", "password": f"guess-{n}"})
            except requests.ConnectionError:
                # The test server's listen queue (5) overflowed on a busy machine before the
                # request was read: nothing was counted, the guesser tries again.
                time.sleep(0.2)
                continue
            statuses.append(answer.status_code)
            return

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [400] * 4 + [429] * 20
    assert len(checked) == 5, f"{len(checked)} passwords were tried against a limit of 5"
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 24
    answer = requests.post(f"{live_server.url}/api/token/",
                           json={"username": "mia", "password": "pw-mia"}, timeout=60)
    assert answer.status_code == 429


def test_a_chinese_speaker_is_told_about_the_lockout_in_chinese(client):
    make_user("mia", "Marketers")
    for _ in range(5):
        answer = login(client, "mia", "wrong", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 429
    assert "登录失败次数过多" in answer.content.decode() and "15 分钟" in answer.content.decode()
