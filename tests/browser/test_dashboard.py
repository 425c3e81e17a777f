"""A marketer's day in a real headless browser, against the live server, workers and emulator."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import services
from campaigns.models import Campaign
from tests.conftest import TEXT, make_user
from tests.stack import Stack

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, username="mia"):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Today's push quota")).to_be_visible()


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_marketer_composes_previews_schedules_and_watches_it_send(page, live_server, emulator,
                                                                    tmp_path):
    make_user("mia", "Marketers")
    stack = Stack(tmp_path, emulator.url)
    stack.purge()
    stack.worker("worker1")
    stack.beat("beat1")
    try:
        log_in(page, live_server)
        shoot(page, "home")
        page.get_by_role("navigation").get_by_role("link", name="New campaign").click()
        page.get_by_label("Name").fill("Weekend sale")
        page.locator("#elements").get_by_role("textbox", name="Text (required)").fill("50% off all weekend")
        page.get_by_label("Users with tags").check()
        page.get_by_label("Any of these tags").fill("vip, newsletter")
        page.get_by_label("Title", exact=True).fill("Weekend sale")
        page.get_by_label("Text", exact=True).last.fill("Half price, two days only")
        page.get_by_text("Developer view").click()
        request_json = page.get_by_test_id("request-json")
        expect(request_json).to_contain_text('"TagsOr": [')
        expect(request_json).to_contain_text('"newsletter"')
        expect(request_json).to_contain_text('"Title": "Weekend sale"')
        expect(page.locator(".phone.ios [data-preview=text]")).to_have_text(
            "Half price, two days only")
        expect(page.get_by_test_id("capacity")).to_contain_text("of 100 pushes left")
        shoot(page, "editor")
        page.get_by_label("Send now", exact=True).check()
        page.get_by_test_id("save").click()
        expect(page.get_by_text("Campaign saved.")).to_be_visible()
        status = page.get_by_test_id("status")
        for _ in range(30):
            if status.inner_text() == "Sent":
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(status).to_have_text("Sent")
        task_id = page.get_by_test_id("task-id").inner_text()
        assert [p["task_id"] for p in emulator.state()["pushes"]] == [task_id]
        assert emulator.state()["pushes"][0]["body"]["Condition"] == {
            "TagsOr": ["vip", "newsletter"]}
        shoot(page, "detail")
    finally:
        stack.stop()


def test_a_marketer_cancels_a_campaign_and_sees_errors_inline(page, live_server):
    user = make_user("mia", "Marketers")
    later = timezone.now() + dt.timedelta(days=2)
    campaign = services.campaign_create(user=user, name="Spring launch", push={"MsgBody": TEXT},
                                        send_at=later)
    for i in range(12):
        services.campaign_create(user=user, name=f"Newsletter #{i}", push={"MsgBody": TEXT},
                                 send_at=later + dt.timedelta(hours=i))
    log_in(page, live_server)
    page.get_by_role("link", name="Campaigns", exact=True).click()
    shoot(page, "list")
    page.get_by_role("link", name="Spring launch").click()
    page.get_by_text("Cancel campaign…").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator(".flash")).to_contain_text("“Spring launch” is cancelled: it will not be sent")
    expect(page.get_by_test_id("status")).to_have_text("Cancelled")
    assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"

    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Too many tags")
    page.get_by_label("Users with tags").check()
    page.get_by_label("All of these tags").fill(", ".join(f"t{i}" for i in range(11)))
    expect(page.locator("[data-rules-for=tags_all]")).to_contain_text(
        "All of these tags: 11 given, at most 10.")
    page.locator("#elements").get_by_role("textbox", name="Text (required)").fill("x")
    page.locator("#elements").get_by_role("textbox", name="Text (required)").fill("")
    expect(page.locator("#elements")).to_contain_text(
        "The text is empty. Tencent would send it, but people would get an empty message")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "All of these tags: 11 given, at most 10.")
    assert not Campaign.objects.filter(name="Too many tags").exists()

    page.get_by_role("link", name="Calendar").click()
    shoot(page, "calendar")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()
    shoot(page, "tokens")


def test_a_marketer_switches_the_dashboard_to_chinese(page, live_server):
    make_user("mia", "Marketers")
    log_in(page, live_server)
    page.get_by_test_id("language").select_option("zh-hans")
    expect(page.get_by_text("今日推送额度")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="新建推送任务")).to_be_visible()
    shoot(page, "home-zh")


def test_an_admin_uploads_a_file_and_watches_the_job_finish(page, live_server, emulator,
                                                            tmp_path):
    make_user("ada", "Admins", is_staff=True)
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("\n".join(f"member{i:05d}" for i in range(3000)) + "\n\nbad\x07id\n")
    stack = Stack(tmp_path, emulator.url)
    stack.purge()
    stack.worker("worker1")
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("pw-ada")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/admin/audience/segment/add/")
        page.get_by_label("Name").fill("Spring members")
        page.get_by_label("Accounts file").set_input_files(str(accounts))
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_text("3,000 accounts stored")).to_be_visible()
        page.get_by_label("Tags").fill("spring")
        page.get_by_role("button", name="Start job").click()
        expect(page.get_by_test_id("job-status")).to_have_text("Finished", timeout=60000)
        expect(page.locator("#done")).to_have_text("3,000")
        shoot(page, "audience-job")
    finally:
        stack.stop()
    assert emulator.post("reach", {"Condition": {"TagsOr": ["spring"]}})["reach"] == 3000


def test_the_header_fits_a_phone_and_log_out_stays_reachable(page, live_server):
    """At 390 px the header wraps rather than hiding "Log out" off the screen."""
    make_user("ada", "Admins", is_staff=True)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "ada")
    header = page.locator("header.top")
    assert page.evaluate("document.querySelector('header.top').scrollWidth") <= 390
    box = header.get_by_role("button", name="Log out").bounding_box()
    assert box and box["x"] + box["width"] <= 390
