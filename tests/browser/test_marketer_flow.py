"""A marketer's campaign, in a real headless browser at phone width, in English and in
Chinese: compose → preview → error summary → schedule in another zone → confirm → see it sent,
with what each screen must say checked on the way."""

import datetime as dt
import re
import struct
import zlib

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from campaigns.quota import quota_summary
from tests.browser.test_dashboard import log_in, shoot
from tests.browser.conftest import no_sideways_scroll
from tests.conftest import make_user
from tests.stack import Stack

pytestmark = pytest.mark.django_db(transaction=True)
PICTURE_URL = "https://cdn.example.com/sale-banner.png"

WORDS = {
    "en": {"status_sent": "Sent", "tags_error": "All of these tags: 11 given, at most 10.",
           "everyone": "Everyone who uses the app.", "image": "Image", "text": "Text",
           "dev": "Developer view", "pixels": "3 × 2 pixels", "summary": "Fix this problem to save:",
           "confirm": "This sends it now to: All of these tags: vip.", "yes": "Yes, send it now",
           "send_now": "Send now…", "flash": "is on its way", "before": "Request to be sent to Tencent",
           "after": "Request sent to Tencent", "your_time": "Your time:",
           "move_up": "Move element 2 (Image) up", "reach": "No accounts are known here yet"},
    "zh-hans": {"status_sent": "已发送", "tags_error": "以下全部标签：给了 11 个，最多 10 个。",
                "everyone": "应用的所有用户。", "image": "图片", "text": "正文",
                "dev": "开发者视图", "pixels": "3 × 2 像素", "summary": "请先解决以下 1 个问题再保存：",
                "confirm": "现在发送给：以下全部标签：vip。", "yes": "确定立即发送",
                "send_now": "立即发送…", "flash": "正在发送", "before": "将发往腾讯云的请求",
                "after": "发往腾讯云的请求", "your_time": "你的时间：",
                "move_up": "将第 2 个元素（图片）上移", "reach": "这里还没有已知账号"},
}
# Wire names a marketer must not meet outside the developer view.
WIRE_NAMES = re.compile(r"TIM\w+Elem|MsgBody|MsgContent|ImageFormat|ImageInfoArray|UUID|"
                        r"Condition\.|TagsAnd|TagsOr|About 0 of 0")


def png(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))




def visible_text(page) -> str:
    """What a person reads, outside the developer view."""
    return page.evaluate("""() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('.developer, script, template').forEach((e) => e.remove());
        return copy.innerText; }""")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_marketer_on_a_phone_composes_fixes_schedules_confirms_and_sees_it_sent(
        browser, live_server, emulator, tmp_path, language):
    words = WORDS[language]
    make_user("mia", "Marketers")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.route(PICTURE_URL, lambda route: route.fulfill(status=200, content_type="image/png",
                                                        body=png(3, 2)))
    stack = Stack(tmp_path, emulator.url)
    stack.purge()
    try:
        log_in(page, live_server)
        if language != "en":
            page.get_by_test_id("language").select_option(language)
            expect(page.locator("html")).to_have_attribute("lang", language)
        # First run: home leads to "New campaign".
        first_run = page.get_by_test_id("first-run")
        expect(first_run).to_be_visible()
        no_sideways_scroll(page)
        first_run.get_by_role("link").click()

        # A blank form greets nobody with an error; the words are the marketer's.
        expect(page.get_by_test_id("reach")).to_have_text(words["everyone"])
        expect(page.get_by_test_id("reach")).to_have_attribute("aria-live", "polite")
        page.wait_for_timeout(400)  # the live preview has answered
        assert page.locator("#editor .errorlist li").count() == 0
        assert page.get_by_test_id("error-summary").count() == 0
        options = page.locator("#new-element-type option").all_inner_texts()
        assert words["text"] in options and words["image"] in options
        assert not WIRE_NAMES.search(visible_text(page)), WIRE_NAMES.search(visible_text(page))
        expect(page.get_by_test_id("request-json")).to_be_hidden()
        no_sideways_scroll(page)

        page.locator("#id_name").fill("Weekend sale")
        page.locator("#elements input").first.fill("50% off all weekend")
        page.locator("#new-element-type").select_option("TIMImageElem")
        page.locator("#add-element").click()
        page.locator("#element-1 input[type=url]").fill(PICTURE_URL)
        page.locator("#element-1 input[type=url]").dispatch_event("change")
        expect(page.locator("#element-1")).to_contain_text(words["pixels"])
        expect(page.locator("#element-1 img.thumb")).to_be_visible()
        expect(page.locator(".phone.ios [data-preview=image]")).to_be_visible()
        page.get_by_role("button", name=words["move_up"]).click()
        expect(page.locator("#element-0 img.thumb")).to_be_visible()

        page.locator("input[name=audience][value=tags]").check()
        page.locator("#id_tags_all").fill(", ".join(f"t{i}" for i in range(11)))
        live = page.locator("[data-rules-for=tags_all]")
        expect(live).to_have_text(words["tags_error"])
        expect(live).to_have_attribute("aria-live", "polite")
        expect(page.locator("#id_tags_all")).to_have_attribute("aria-invalid", "true")
        page.get_by_test_id("save").click()

        summary = page.get_by_test_id("error-summary")
        expect(summary).to_contain_text(words["summary"])
        expect(summary).to_contain_text(words["tags_error"])
        expect(summary).to_be_focused()
        expect(page.locator("#id_tags_all")).to_have_attribute("aria-invalid", "true")
        page.wait_for_timeout(400)
        inline = page.locator("#editor .errorlist li", has_text=words["tags_error"])
        assert inline.count() == 1, "each error once next to its field, once in the summary"
        assert not Campaign.objects.exists()
        no_sideways_scroll(page)
        shoot(page, f"phone-editor-{language}")

        # The image came back from the failed save with its size and the fields Tencent needs.
        page.get_by_test_id("developer-view").locator("summary").click()
        request_json = page.get_by_test_id("request-json")
        expect(request_json).to_contain_text('"Width": 3')
        expect(request_json).to_contain_text('"ImageFormat": 3')
        expect(request_json).to_contain_text('"UUID": "img-')

        page.locator("#id_tags_all").fill("vip")
        expect(page.get_by_test_id("reach")).to_contain_text(words["reach"])
        expect(page.locator("[data-rules-for=tags_all] li")).to_have_count(0)
        expect(page.locator("#id_tags_all")).not_to_have_attribute("aria-invalid", "true")
        page.locator("input[name=schedule][value=at]").check()
        tomorrow = (timezone.now() + dt.timedelta(days=2)).date()
        page.locator("#id_send_at_local").fill(f"{tomorrow}T09:00")
        page.locator("#id_send_tz").fill("Berlin")
        page.get_by_test_id("save").click()

        campaign = Campaign.objects.get()
        assert campaign.timezone == "Europe/Berlin" and campaign.status == "scheduled"
        send_at = page.get_by_test_id("send-at")
        expect(send_at).to_contain_text("CET, UTC+01:00")
        expect(send_at).to_contain_text(words["your_time"])
        # The viewer's own time is plain: the page names the viewer's zone once, at its top.
        expect(page.get_by_test_id("send-at-viewer")).not_to_contain_text("UTC")
        expect(page.locator("body")).not_to_contain_text("CST")
        expect(page.get_by_test_id("developer-view")).to_contain_text(words["before"])
        expect(page.get_by_test_id("timeline")).not_to_contain_text("T0")
        no_sideways_scroll(page)

        stack.worker("worker1")
        stack.beat("beat1")
        page.get_by_text(words["send_now"]).click()
        expect(page.get_by_test_id("confirm-send-now")).to_contain_text(words["confirm"])
        expect(page.get_by_test_id("confirm-send-now")).to_contain_text(quota_summary()["day"])
        page.get_by_role("button", name=words["yes"]).click()
        expect(page.locator(".flash")).to_contain_text(words["flash"])
        expect(page.locator(".flash")).to_contain_text("Weekend sale")
        # No reload: the page watches the send and shows it when Tencent has it.
        expect(page.get_by_test_id("status")).to_have_text(words["status_sent"], timeout=30000)
        expect(page.get_by_test_id("developer-view")).to_contain_text(words["after"])
        assert [p["body"]["Condition"] for p in emulator.state()["pushes"]] == [
            {"TagsAnd": ["vip"]}]
        no_sideways_scroll(page)
        shoot(page, f"phone-detail-{language}")
    finally:
        stack.stop()
        context.close()
