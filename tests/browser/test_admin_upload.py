"""An admin's upload in a real browser, in English and in Chinese: choose a CSV with a header,
see the preview (column found, first accounts) before anything is stored, upload, start a job,
watch its progress to the end, and see the failed account with its reason and the download."""

import re

import pytest
from playwright.sync_api import expect

from audience.models import Segment
from core.models import Preference
from tests.conftest import make_user
from tests.stack import Stack

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {"name": "Name", "file": "Accounts file", "column": "Column", "upload": "Upload",
           "columns": "The first line names the columns: user_id, email, country.",
           "stored": "120 accounts stored", "tags": "Tags", "start": "Start job",
           "finished": "Finished",
           "missing": "No such account: it never logged in to the app and was never imported.",
           "download": "Download failed accounts (CSV)", "api": "Tencent API"},
    "zh-hans": {"name": "名称", "file": "账号文件", "column": "列", "upload": "上传",
                "columns": "第一行是列名：user_id, email, country。",
                "stored": "已保存 120 个账号", "tags": "标签", "start": "开始任务",
                "finished": "已完成", "missing": "账号不存在：该账号从未登录过应用，也未被导入。",
                "download": "下载失败的账号（CSV）", "api": "腾讯接口"},
}


def label(words: str) -> re.Pattern:
    """A field's label as Django admin writes it, with or without its colon."""
    return re.compile(f"^{re.escape(words)}[:：]?$")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_admin_previews_uploads_and_follows_a_job_to_its_failures(page, live_server,
                                                                    emulator, tmp_path,
                                                                    language):
    words = WORDS[language]
    ada = make_user("ada", "Admins", is_staff=True)
    Preference.objects.create(user=ada, language=language)
    members = [f"member{i:03d}" for i in range(119)]
    emulator.post("accounts", {"accounts": members})
    accounts = tmp_path / "members.csv"
    accounts.write_text("user_id,email,country\n" + "".join(
        f"{m},{m}@example.com,CN\n" for m in [*members, "ghost"]))
    stack = Stack(tmp_path, emulator.url)
    stack.purge()
    stack.worker("worker1")
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.get_by_label("Username").fill("ada")  # the browser's language until signed in
        page.get_by_label("Password").fill("pw-ada")
        page.locator("input[type=submit]").click()
        page.goto(f"{live_server.url}/admin/audience/segment/add/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.get_by_label(label(words["name"])).fill("春季会员")
        page.get_by_label(label(words["file"])).set_input_files(str(accounts))
        preview = page.get_by_test_id("upload-preview")
        expect(preview.get_by_test_id("preview-columns")).to_contain_text(words["columns"])
        rows = preview.get_by_test_id("preview-rows").locator("tbody tr")
        expect(rows).to_have_count(10)
        expect(rows.first).to_contain_text("member000")
        expect(page.get_by_label(label(words["column"]))).to_have_value("user_id")
        assert not Segment.objects.exists(), "nothing is stored before Upload"

        page.locator("#upload-form input[type=submit]").click()
        expect(page.get_by_text(words["stored"])).to_be_visible()
        page.get_by_label(label(words["tags"])).fill("spring")
        page.get_by_label(label(words["api"])).select_option("timpush")
        page.locator("input[type=submit]").click()
        expect(page.get_by_test_id("job-status")).to_have_text(words["finished"], timeout=60000)
        expect(page.locator("#done")).to_have_text("119")
        expect(page.locator("#failed")).to_have_text("1")
        failures = page.get_by_test_id("failures")
        expect(failures).to_contain_text("ghost")
        expect(failures).to_contain_text(words["missing"])
        with page.expect_download() as download:
            page.get_by_role("link", name=words["download"]).click()
        lines = open(download.value.path()).read().splitlines()
        assert lines[0] == "account,code,reason" and lines[1].startswith("ghost,70107,")
        assert page.get_by_role("button", name="Cancel job").count() == 0
    finally:
        stack.stop()
    assert emulator.post("reach", {"Condition": {"TagsOr": ["spring"]}})["reach"] == 119
