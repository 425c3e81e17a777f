"""An audience manager prepares an audience in a real browser, in English and in Chinese, on a
phone and on a desktop: uploads a small segment, has a zone tag that is no zone refused in
words, tags the segment tz:Asia/Tokyo, watches the job finish through a real worker, and looks
an account up."""

import re

import pytest
from playwright.sync_api import expect

from audience.models import Job
from core.models import Preference
from tests.browser.conftest import no_sideways_scroll
from tests.conftest import make_user
from tests.stack import Stack

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {"audiences": "Audiences", "name": "Name", "file": "Accounts file",
           "stored": "3 accounts stored", "tags": "Tags", "add": "Add tags",
           "not_zone": "“Tokyo” is not one.", "finished": "Finished", "account": "Account id",
           "example": "tz:Asia/Tokyo"},
    "zh-hans": {"audiences": "受众", "name": "名称", "file": "账号文件", "stored": "已保存 3 个账号",
                "tags": "标签", "add": "添加标签", "not_zone": "“Tokyo”不是时区名。",
                "finished": "已完成", "account": "账号 ID", "example": "tz:Asia/Tokyo"},
}
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def label(words: str) -> re.Pattern:
    """A field's label as Django writes it, with or without its colon."""
    return re.compile(f"^{re.escape(words)}[:：]?$")




@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_audience_manager_tags_a_segment_with_a_time_zone(browser, live_server, emulator,
                                                              tmp_path, language, viewport):
    words = WORDS[language]
    amy = make_user("amy", "Audience managers")
    Preference.objects.create(user=amy, language=language)
    emulator.post("accounts", {"accounts": ["tokyo1", "tokyo2", "tokyo3"]})
    accounts = tmp_path / "tokyo.txt"
    accounts.write_text("tokyo1\ntokyo2\ntokyo3\n")
    stack = Stack(tmp_path, emulator.url)
    stack.purge()
    stack.worker("worker1")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.locator("input[name=username]").fill("amy")
        page.locator("input[name=password]").fill("pw-amy")
        page.locator("form button").click()
        expect(page).to_have_url(f"{live_server.url}/audiences/")  # their home
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("navigation").get_by_role(
            "link", name=words["audiences"], exact=True)).to_be_visible()
        no_sideways_scroll(page)

        page.get_by_label(label(words["name"])).fill("东京会员")
        page.get_by_label(label(words["file"])).set_input_files(str(accounts))
        page.get_by_test_id("upload").click()
        expect(page.get_by_role("status")).to_contain_text(words["stored"])

        # The format is said beside the field, and a zone that is no zone is refused there.
        tags = page.get_by_label(label(words["tags"]), exact=True)
        expect(page.locator("#id_tags_helptext")).to_contain_text(words["example"])
        page.get_by_label(words["add"]).check()
        tags.fill("tz:Tokyo")
        page.get_by_test_id("start-job").click()
        expect(page.locator("#id_tags_error")).to_contain_text(words["not_zone"])
        assert not Job.objects.exists()
        no_sideways_scroll(page)

        page.get_by_label(label(words["tags"]), exact=True).fill("tz:Asia/Tokyo")
        page.get_by_test_id("start-job").click()
        expect(page.get_by_test_id("job-status")).to_have_text(words["finished"], timeout=60000)
        expect(page.locator("#done")).to_have_text("3")
        no_sideways_scroll(page)

        page.get_by_role("main").get_by_role("link", name=words["audiences"]).click()
        page.get_by_label(label(words["account"])).fill("tokyo2")
        page.get_by_test_id("look-up").click()
        expect(page.get_by_test_id("profile-tags")).to_have_text("tz:Asia/Tokyo")
        expect(page.get_by_test_id("tag-sizes")).to_contain_text("tz:Asia/Tokyo")
        no_sideways_scroll(page)
    finally:
        context.close()
        stack.stop()
    assert emulator.post("reach", {"Condition": {"TagsAnd": ["tz:Asia/Tokyo"]}})["reach"] == 3
