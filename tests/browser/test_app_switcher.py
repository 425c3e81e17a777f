"""The header's app switcher in a real headless browser, in English and Chinese, at 390 and
1280 px: the current app is always named, a staging app is marked on every page, switching
shows that app's campaigns only, and a marketer given one app sees no switcher."""

import pytest
from playwright.sync_api import expect

from campaigns import services
from core.chat_apps import app_save, default_app
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.browser.test_lists_and_dates import LANGUAGES, PUSH, WIDTHS

pytestmark = pytest.mark.django_db(transaction=True)

STAGING = {"en": "Staging: pushes go to the staging app", "zh-hans": "预发布：推送将发往预发布应用"}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_switches_to_the_staging_app_and_sees_it_marked_on_every_page(
        browser, live_server, language, width):
    admin, page = signed_in(browser, live_server, width=width, language=language,
                            username="ada", role="Admins", is_staff=True)
    staging = app_save(user=admin, values={"name": "Shop staging", "slug": "shop-staging",
                                           "sdkappid": 1400000555, "region": "singapore",
                                           "staging": True}, secret_key="k" * 40)
    services.campaign_create(user=admin, app=default_app(), name="Live sale", push=PUSH)
    services.campaign_create(user=admin, app=staging, name="Staging try", push=PUSH)
    page.goto(f"{live_server.url}/campaigns/")
    switch = page.get_by_test_id("app-switch")
    expect(switch).to_be_visible()
    expect(page.get_by_test_id("staging-mark")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Live sale")
    page.get_by_test_id("app-choice").select_option("shop-staging")  # submits on change
    expect(page.get_by_test_id("staging-mark")).to_have_text(STAGING[language])
    expect(page.locator("main")).to_contain_text("Staging try")
    expect(page.locator("main")).not_to_contain_text("Live sale")
    for url in ("/", "/calendar/", "/templates/", "/test-groups/", "/campaigns/new/"):
        page.goto(f"{live_server.url}{url}")
        mark = page.get_by_test_id("staging-mark")
        expect(mark).to_be_visible()
        box = mark.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (url, box)
        no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_marketer_of_one_app_sees_its_name_and_no_switcher(browser, live_server, language,
                                                             width):
    mia, page = signed_in(browser, live_server, width=width, language=language)
    other = app_save(user=None, values={"name": "Other brand", "slug": "other",
                                        "sdkappid": 1400000556, "region": "singapore"},
                     secret_key="k" * 40)
    other.people.add(mia)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("app-switch")).to_contain_text("Other brand")
    expect(page.get_by_test_id("app-choice")).to_have_count(0)
    no_sideways_scroll(page)


def test_a_campaign_composed_under_staging_stays_in_staging_when_another_tab_switches(
        browser, live_server):
    """A newcomer's two tabs: the editor opened under Staging, production chosen in the other
    tab, then Save in the first: the campaign is staging's, and the page says so."""
    from campaigns.models import Campaign
    admin, page = signed_in(browser, live_server, width=1280, language="en",
                            username="ada", role="Admins", is_staff=True)
    staging = app_save(user=admin, values={"name": "Shop staging", "slug": "shop-staging",
                                           "sdkappid": 1400000555, "region": "singapore",
                                           "staging": True}, secret_key="k" * 40)
    page.goto(f"{live_server.url}/campaigns/new/")
    page.get_by_test_id("app-choice").select_option("shop-staging")
    expect(page.get_by_test_id("staging-mark")).to_be_visible()
    page.goto(f"{live_server.url}/campaigns/new/")
    page.locator("input[name=name]").fill("Tried on staging")
    page.locator('[data-path="MsgBody[0].MsgContent.Text"]:not(ul)').fill("Hello")
    other_tab = page.context.new_page()
    other_tab.goto(f"{live_server.url}/")
    other_tab.get_by_test_id("app-choice").select_option(default_app().slug)
    expect(other_tab.get_by_test_id("staging-mark")).to_have_count(0)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("staging-mark")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Tried on staging")
    assert Campaign.objects.get(name="Tried on staging").app == staging
