"""Delivery at each user's local time tells the truth, in a real headless browser, in English and
Chinese, on a phone and a desktop: the accounts whose zone is not a time zone are named and left
out of the reach, a default zone takes them in (the cost and reach change as it is chosen), and
the split campaign shows each push at its own zone's local time and how many are booked."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from core.models import Preference
from tests.campaigns.test_local_time import a_day_ahead, draft, mirror_with_wrong_zones
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {"berlin": "3 accounts have tz=Berlin, which is not a time zone; they get no push.",
           "none": "1 known account has no time zone",
           "reach": "These pushes reach about 5 of the 10 known accounts in the campaign's "
                    "audience; 5 get no push.",
           "reach_default": "These pushes reach about 9 of the 10 known accounts in the "
                            "campaign's audience; 1 gets no push.",
           "cost_default": "4 zones and 2 values that are not time zones = ",
           "progress": "0 of 6 pushes sent so far; 6 booked."},
    "zh-hans": {"berlin": "3 个账号带有 tz=Berlin，这不是时区；它们收不到推送。",
                "none": "1 个已知账号没有时区",
                "reach": "在该推送任务受众的 10 个已知账号中，这些推送约能送达 5 个；5 个收不到推送。",
                "reach_default": "在该推送任务受众的 10 个已知账号中，这些推送约能送达 9 个；1 个收不到推送。",
                "cost_default": "4 个时区加 2 个不是时区的值 = ",
                "progress": "6 次推送中目前已发送 0 次；已预订 6 次。"},
}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_local_time_page_names_who_gets_no_push_and_the_split_shows_local_times(
        browser, live_server, language, width):
    words = WORDS[language]
    mia = make_user("mia", "Marketers")
    Preference.objects.create(user=mia, language=language, timezone="Asia/Shanghai")
    mirror_with_wrong_zones()
    campaign = draft(mia)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").fill("mia")
    page.locator("input[name=password]").fill("pw-mia")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/local-time/")
    no_push = page.get_by_test_id("no-push")
    expect(no_push).to_contain_text(words["berlin"])
    expect(no_push).to_contain_text(words["none"])
    expect(page.get_by_test_id("reach")).to_have_text(words["reach"])
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    page.locator("input[name=day]").fill(a_day_ahead().isoformat())
    page.locator("input[name=default_zone]").fill("Berlin")
    page.locator("input[name=default_zone]").press("Tab")
    expect(page.get_by_test_id("reach")).to_have_text(words["reach_default"])
    expect(page.get_by_test_id("cost")).to_contain_text(words["cost_default"])
    page.get_by_test_id("split").click()

    expect(page.get_by_test_id("split-progress")).to_have_text(words["progress"])
    local_times = page.get_by_test_id("bucket-local-time")
    expect(local_times).to_have_count(6)
    expect(page.get_by_test_id("buckets")).to_contain_text("09:00 Asia/Tokyo")
    expect(page.get_by_test_id("buckets")).to_contain_text("Europe/Berlin (tz=Berlin)")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert Campaign.objects.filter(parent=campaign, status="scheduled").count() == 6
    context.close()
