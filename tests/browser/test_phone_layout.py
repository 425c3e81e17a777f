"""The campaign list and the calendar on a phone (390 px) and a desktop (1280 px), in English
and Chinese: a phone gets cards and an agenda, with every name whole, no badge broken over
lines and nothing wider than the screen."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import services
from core.models import Preference
from tests.browser.test_team import log_in
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db(transaction=True)
LONG = "Black Friday weekend sale for everyone who ever bought shoes"
SCHEDULED = {"en": "Scheduled", "zh-hans": "已排期"}


def wider_than_the_screen(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth + 1")


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_list_and_calendar_show_whole_names_at_any_width(browser, live_server, language,
                                                             width):
    mia = make_user("mia", "Marketers")
    Preference.objects.create(user=mia, language=language, timezone="Asia/Shanghai")
    at = timezone.now() + dt.timedelta(days=2)
    services.campaign_create(user=mia, name=LONG, push={"MsgBody": TEXT}, send_at=at)
    page = log_in(browser, live_server, "mia", width)

    page.goto(f"{live_server.url}/campaigns/")
    name = page.get_by_test_id("campaign-table").get_by_role("link", name=LONG)
    expect(name).to_be_visible()
    assert not wider_than_the_screen(page)
    badge = page.get_by_test_id("campaign-table").get_by_text(SCHEDULED[language], exact=True)
    badge = badge.locator("visible=true").first
    assert badge.bounding_box()["height"] < 30, "the status badge stays on one line"
    header = page.get_by_test_id("campaign-table").locator("thead")
    expect(header).to_be_visible() if width > 600 else expect(header).to_be_hidden()

    page.goto(f"{live_server.url}/calendar/?month={at.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m}")
    link = page.locator(".calendar").get_by_role("link", name=LONG)
    expect(link).to_be_visible()
    assert not wider_than_the_screen(page)
    if width < 600:  # an agenda: the whole name on its line, not "Black Fri…"
        item = link.locator("xpath=..")
        assert item.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.clientWidth > 200")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_approver_on_a_phone_finds_approve_on_the_first_screen(browser, live_server, settings,
                                                                  language):
    from campaigns import approval
    settings.CAMPAIGN_APPROVAL = True
    mia, abe = make_user("mia", "Marketers"), make_user("abe", "Approvers")
    Preference.objects.create(user=abe, language=language, timezone="Asia/Shanghai")
    campaign = services.campaign_create(user=mia, name="Winter sale", push={"MsgBody": TEXT},
                                        send_at=timezone.now() + dt.timedelta(days=2))
    approval.campaign_submit(campaign=campaign, user=mia)
    page = log_in(browser, live_server, "abe", 390)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    approve = page.get_by_test_id("approve")
    expect(approve).to_be_visible()
    assert approve.bounding_box()["y"] < 900, "Approve is on the first screen"
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_on_a_phone_the_editor_shows_the_preview_before_save(browser, live_server, language):
    mia = make_user("mia", "Marketers")
    Preference.objects.create(user=mia, language=language, timezone="Asia/Shanghai")
    page = log_in(browser, live_server, "mia", 390)
    page.goto(f"{live_server.url}/campaigns/new/")
    preview = page.locator(".preview").bounding_box()
    save = page.get_by_test_id("save").bounding_box()
    assert preview["y"] < save["y"], "the preview comes before Save"
    page.context.close()
