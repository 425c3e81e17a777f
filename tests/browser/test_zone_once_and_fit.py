"""Times and the header as a person sees them, in a real headless browser, in English and
Chinese, at 390 and 1280 px: a page names the viewer's zone once and its times plainly (only a
time in another zone says its own, the quota's reset too for a viewer elsewhere); the header's
zone switch shows its zone whole; the local-time page's cost is a line of text, not a heading."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import services
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.browser.test_local_time import WORDS as COST_WORDS
from tests.browser.test_lists_and_dates import LANGUAGES, PUSH, WIDTHS
from tests.campaigns.test_local_time import a_day_ahead, draft, mirror_with_wrong_zones

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI_LABEL, BERLIN_LABEL = "UTC+08:00", "CET, UTC+01:00"


def count_in_page(page, text: str) -> int:
    return page.evaluate("(text) => document.body.innerText.split(text).length - 1", text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_names_the_viewer_s_zone_once_and_another_zone_on_its_own_times(
        browser, live_server, language, width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    now = timezone.now()  # the next 15 January: Berlin is on CET then
    in_january = dt.datetime(now.year + ((now.month, now.day) >= (1, 15)), 1, 15, 9, tzinfo=dt.UTC)
    here = services.campaign_create(user=user, name="Here", push=PUSH, send_at=in_january,
                                    tz="Asia/Shanghai")
    there = services.campaign_create(user=user, name="There", push=PUSH, send_at=in_january,
                                     tz="Europe/Berlin")

    for url in ("/", "/campaigns/", f"/campaigns/{here.pk}/"):
        page.goto(f"{live_server.url}{url}")
        expect(page.get_by_test_id("zone-note")).to_have_count(1)
        assert count_in_page(page, SHANGHAI_LABEL) == 0, url
        no_sideways_scroll(page)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("resets-at")).not_to_contain_text("(")

    # Berlin's time says its zone, once; the viewer's own time beside it is plain.
    page.goto(f"{live_server.url}/campaigns/{there.pk}/")
    expect(page.get_by_test_id("send-at")).to_contain_text(BERLIN_LABEL)
    expect(page.get_by_test_id("send-at-viewer")).not_to_contain_text("UTC")
    assert count_in_page(page, BERLIN_LABEL) == 1
    assert count_in_page(page, SHANGHAI_LABEL) == 0

    # A viewer in Paris reads the quota's reset in its own zone, Asia/Shanghai, named.
    page.get_by_test_id("timezone").click()
    page.keyboard.type("Paris")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("timezone")).to_have_value(
        "Paris (Europe/Paris)" if language == "en" else "巴黎（Europe/Paris）")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("resets-at")).to_contain_text(
        f"(Asia/Shanghai, {SHANGHAI_LABEL})" if language == "en"
        else f"（Asia/Shanghai, {SHANGHAI_LABEL}）")
    assert count_in_page(page, SHANGHAI_LABEL) == 1
    page.context.close()


# The zone switch, each page: its text not cut (what it holds fits in the box) and the box on
# the screen.
ZONE_BOX = """() => {
    const box = document.querySelector('[data-testid=timezone]');
    const edge = box.getBoundingClientRect();
    return {text: box.scrollWidth, inside: box.clientWidth, left: edge.left, right: edge.right,
            screen: document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_s_zone_switch_shows_its_zone_whole(browser, live_server, language, width):
    """An admin's header, the longest: "Beijing, Shanghai (Asia/Shanghai)" was cut to
    "Beijing, Shanghai (Asia/Shanghai" in a box of 18rem."""
    user, page = signed_in(browser, live_server, width=width, language=language,
                           username="ada", role="Admins", is_staff=True)
    campaign = services.campaign_create(user=user, name="Weekend", push=PUSH)
    for url in ("/", "/campaigns/", f"/campaigns/{campaign.pk}/edit/", "/audit/"):
        page.goto(f"{live_server.url}{url}")
        expect(page.get_by_test_id("timezone")).to_be_visible()
        box = page.evaluate(ZONE_BOX)
        assert box["text"] <= box["inside"], f"{url}: the zone is cut: {box}"
        assert 0 <= box["left"] and box["right"] <= box["screen"], f"{url}: off screen: {box}"
        no_sideways_scroll(page)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_local_time_cost_is_a_line_of_text_not_a_heading(browser, live_server, language,
                                                             width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    mirror_with_wrong_zones()
    campaign = draft(user)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/local-time/")
    page.locator("input[name=day]").fill(a_day_ahead().isoformat())
    page.locator("input[name=default_zone]").fill("Berlin")
    page.locator("input[name=default_zone]").press("Tab")
    cost = page.get_by_test_id("cost")
    expect(cost).to_contain_text(COST_WORDS[language]["cost_default"])  # on two quota days
    shape = cost.evaluate("""(cost) => {
        const style = getComputedStyle(cost);
        const text = getComputedStyle(document.querySelector('[data-testid=reach]'));
        return {size: style.fontSize, textSize: text.fontSize,
                lines: Math.round(cost.getBoundingClientRect().height
                                  / parseFloat(style.lineHeight))};
    }""")
    assert shape["size"] == shape["textSize"], shape
    assert shape["lines"] <= (4 if width < 600 else 2), shape  # a heading took 8 at 390 px
    no_sideways_scroll(page)
    page.context.close()
