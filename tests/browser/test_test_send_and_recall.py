"""A marketer tries a campaign on colleagues' phones, then stops a sent one and replaces its
notification: a real headless browser against the live server and the emulator over HTTP."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import dispatch, services
from tests.browser.test_dashboard import log_in, shoot
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Weekend sale",
                                             "Desc": "Half price, two days only"}}


def test_a_marketer_sends_a_test_to_a_group_and_sees_each_phones_answer(page, live_server, tim):
    user = make_user("mia", "Marketers")
    tim.post("accounts", {"accounts": ["mary"]})
    log_in(page, live_server)
    page.get_by_role("link", name="Test groups").click()
    page.get_by_label("Name").fill("Phones")
    page.get_by_label("Accounts, one a line").fill("mary\nghost")
    page.get_by_test_id("save-group").click()
    expect(page.get_by_text("Test group saved.")).to_be_visible()
    expect(page.get_by_test_id("test-groups")).to_contain_text("2 accounts")
    campaign = services.campaign_create(user=user, name="Weekend", push=PUSH)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.get_by_test_id("test-group").select_option(label="Phones (2) · mia")
    page.get_by_test_id("send-test").click()
    expect(page.get_by_text("Test sent: Tencent accepted 1 of 2 accounts.")).to_be_visible()
    rows = page.get_by_test_id("test-account-result")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Accepted by Tencent")
    expect(rows.nth(1)).to_contain_text("ghost")
    expect(rows.nth(1)).to_contain_text("No such account")
    [sent] = tim.state()["batches"]
    assert sent["body"]["DataId"] == f"test:{campaign.pk}"
    shoot(page, "test-send")
    page.get_by_test_id("test-accounts").fill("")
    page.get_by_test_id("send-test").click()
    expect(page.get_by_text("accounts is empty: give 1 to 10 account ids")).to_be_visible()


def test_a_marketer_stops_a_sent_campaign_and_replaces_its_notification(page, live_server, tim):
    user = make_user("mia", "Marketers")
    campaign = services.campaign_create(user=user, name="Wrong price", push=PUSH,
                                        send_at=timezone.now())
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    log_in(page, live_server)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("recall-time-left")).to_contain_text("23 h 59 min left to recall")
    expect(page.get_by_test_id("recall")).to_contain_text(
        "Xiaomi, OPPO, vivo, Meizu phones cannot overwrite a notification")
    page.get_by_test_id("recall-title").fill("Sorry")
    page.get_by_test_id("recall-desc").fill("The sale starts tomorrow")
    page.get_by_test_id("recall-confirm").check()
    shoot(page, "recall")
    page.get_by_test_id("recall-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("Recalled")
    expect(page.get_by_test_id("recall")).to_contain_text("The sale starts tomorrow")
    assert tim.state()["revoked"] == [campaign.task_id]
    page.get_by_test_id("language").select_option("zh-hans")
    expect(page.get_by_test_id("status")).to_have_text("已撤回")
    expect(page.get_by_test_id("test-send")).to_contain_text("发送测试")
