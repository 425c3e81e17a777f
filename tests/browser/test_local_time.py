"""Delivery at each user's local time tells the truth, in a real headless browser, in English and
Chinese, on a phone and a desktop: the accounts whose zone is not a time zone are named and left
out of the reach, a default zone takes them in (the cost and reach change as it is chosen), and
the split campaign shows each push at its own zone's local time and how many are booked."""

import pytest
from playwright.sync_api import expect

from audience.models import AccountAttr, KnownAccount
from campaigns.models import Campaign
from core.models import Preference
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.campaigns.test_local_time import a_day_ahead, draft, mirror, mirror_with_wrong_zones
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


NO_ZONE_TAG = {
    "en": ("2 known accounts have no time-zone tag (tz:…): a push condition cannot select "
           "accounts by a tag they lack, so they get no push.",
           "The campaign is for everyone who uses the app, which includes accounts this product "
           "has never tagged or given attributes: they are not counted here, and get no push "
           "unless a chosen zone's tag (tz:…) was set on them elsewhere."),
    "zh-hans": ("2 个已知账号没有时区标签（tz:…）：推送条件无法按账号缺少的标签来选择账号，所以它们"
                "收不到推送。",
                "该推送任务面向应用的所有用户，其中包括本产品从未添加过标签或设置过属性的账号：这里没有"
                "统计它们；除非在别处给它们加上所选时区的标签（tz:…），否则它们收不到推送。"),
}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_by_tags_a_campaign_for_everyone_says_who_has_no_zone_tag_and_who_was_never_seen(
        browser, live_server, language, width):
    """Split by tags, a campaign for everyone reaches only accounts with a tz: tag: the page
    counts the known accounts without one and says accounts never seen here get no push."""
    mirror()
    KnownAccount.objects.create(account="nozone")
    KnownAccount.objects.create(account="attr-only")  # a zone attribute, but no zone tag
    AccountAttr.objects.create(account="attr-only", name="tz", value="Asia/Tokyo")
    user, page = signed_in(browser, live_server, width=width, language=language)
    campaign = draft(user)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/local-time/?by=tags")
    known, unseen = NO_ZONE_TAG[language]
    no_push = page.get_by_test_id("no-push")
    expect(no_push).to_contain_text(known)
    expect(no_push).to_contain_text(unseen)
    no_sideways_scroll(page)
    page.context.close()


PLAN = {
    "en": {"sentence": "To be sent on {day} at 09:00 local time in each account's zone: 4 pushes.",
           "approved": "Approved, and booked as 4 pushes, one per time zone.",
           "progress": "0 of 4 pushes sent so far; 4 booked."},
    "zh-hans": {"sentence": "将于 {day} 按每个账号所在时区的当地时间 09:00 发送：共 4 次推送。",
                "approved": "已批准，并已预订 4 次推送，每个时区一次。",
                "progress": "4 次推送中目前已发送 0 次；已预订 4 次。"},
}


@pytest.mark.parametrize("language, width", [("en", 1280), ("zh-hans", 390)])
def test_with_approval_a_marketer_plans_local_time_and_the_approval_books_it(
        browser, live_server, settings, language, width):
    """A marketer in a hurry saves "09:00 in each person's zone" on the draft and submits it;
    the approver sees the plan in words, each push's local time and its cost, and approving
    it books one push per zone."""
    settings.CAMPAIGN_APPROVAL = True
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = False
    words = PLAN[language]
    mirror()
    day = a_day_ahead().isoformat()
    sentence = words["sentence"].format(day=day)
    mia, page = signed_in(browser, live_server, width=width, language=language)
    campaign = draft(mia)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.get_by_test_id("plan-local-time").click()
    expect(page.get_by_test_id("plan-note")).to_be_visible()
    page.locator("input[name=day]").fill(day)
    page.get_by_test_id("split").click()
    expect(page.get_by_test_id("send-at")).to_have_text(sentence)
    expect(page.get_by_test_id("local-plan")).to_contain_text(sentence)
    page.get_by_test_id("submit-for-approval").click()
    expect(page.get_by_test_id("submit-for-approval")).to_have_count(0)
    page.context.close()

    _abe, page = signed_in(browser, live_server, width=width, language=language,
                           username="abe", role="Approvers")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    plan = page.get_by_test_id("local-plan")
    expect(plan).to_contain_text(sentence)
    expect(page.get_by_test_id("plan-push-time")).to_have_count(4)
    for zone in ("Asia/Tokyo", "Europe/Berlin", "America/New_York", "America/Los_Angeles"):
        expect(plan.get_by_role("row").filter(has_text=zone)).to_contain_text(f"{day} 09:00")
    expect(page.get_by_test_id("plan-cost")).to_contain_text(f"{day}")
    no_sideways_scroll(page)
    page.get_by_test_id("approve").click()
    expect(page.locator("body")).to_contain_text(words["approved"])
    expect(page.get_by_test_id("split-progress")).to_have_text(words["progress"])
    assert Campaign.objects.filter(parent=campaign, status="scheduled").count() == 4
    page.context.close()
