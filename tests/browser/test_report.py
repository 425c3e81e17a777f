"""In a real browser: a campaign goes out through real workers to the emulator, whose simulated
phones call back, and the funnel on the detail page fills in."""

import re

import pytest
from playwright.sync_api import expect

from campaigns import services
from tests.browser.test_dashboard import log_in, shoot
from tests.conftest import TEXT, make_user
from tests.stack import Stack

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "browser-callback-token-31d9"


def figures(page) -> tuple[int, int, int]:
    return tuple(int(re.sub(r"\D", "", page.get_by_test_id(f"funnel-{name}").inner_text()
                            .split(" ")[0]) or 0) for name in ("sent", "delivered", "clicked"))


def test_the_funnel_fills_in_after_a_send(page, live_server, tim, settings, tmp_path):
    emulator = tim
    settings.TIM_CALLBACK_TOKEN = TOKEN
    user = make_user("mia", "Marketers")
    emulator.post("accounts", {"accounts": [f"fan{i:04}" for i in range(400)]})
    emulator.post("config", {"callback_url": f"{live_server.url}/tencent/callback/",
                             "callback_token": TOKEN, "callback_stage_delay_seconds": 1.5})
    stack = Stack(tmp_path, emulator.url)
    stack.purge()
    stack.worker("worker1")
    stack.beat("beat1")
    try:
        campaign = services.campaign_create(user=user, name="Flash sale",
                                            push={"MsgBody": TEXT, "MsgLifeTime": 3600})
        log_in(page, live_server)
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
        expect(page.get_by_test_id("report-empty")).to_be_visible()
        page.get_by_text("Send now…").click()
        page.get_by_role("button", name="Yes, send it now").click()
        seen = []
        for _ in range(60):
            page.reload()
            if page.get_by_test_id("status").inner_text() == "Sent" and \
                    page.get_by_test_id("funnel").count():
                seen.append(figures(page))
                if seen[-1][2] and emulator.state()["callbacks_idle"]:
                    page.reload()
                    seen.append(figures(page))
                    break
            page.wait_for_timeout(400)
        assert seen and seen[-1][2] > 0, f"the funnel never filled in: {seen}"
        assert all(a <= b for earlier, later in zip(seen, seen[1:])
                   for a, b in zip(earlier, later)), "figures only grow"
        assert any(s[1] == 0 for s in seen) or len(seen) > 1, "it filled in over time"
        sent, delivered, clicked = seen[-1]
        assert 400 >= sent >= delivered >= clicked > 0
        expect(page.get_by_test_id("losses")).to_contain_text(re.compile(r"\d+ \w+ devices?: "))
        expect(page.get_by_test_id("last-figure")).to_contain_text("Last figure:")
        expect(page.get_by_test_id("vendors")).to_contain_text("Huawei")
        shoot(page, "report")
        page.get_by_label("Why didn't this user get it? Account id").fill("fan0001")
        page.get_by_role("button", name="Trace").click()
        expect(page.get_by_test_id("trace-summary").first).to_be_visible()
    finally:
        stack.stop()
