"""A marketer's first A/B test, in a real headless browser, in English and Chinese at 390 and
1280 px: the A/B test page of a draft shows what the test costs and whom each variant reaches
before anything is booked, booking goes to the campaign's page whose A/B test panel lists the
variants, a picture that is not https is refused in words, and nothing is wider than a phone.

Chinese is checked without its words where they may not be translated yet (data-testid, numbers
and dates), and by the page's <html lang>."""

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from audience.rules import bucket_of, bucket_tag
from audience.models import AccountTag, KnownAccount
from campaigns import services
from campaigns.models import Campaign, Experiment
from campaigns.quota import quota_booked, quota_day_of
from core.times import local_to_aware
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.browser.test_lists_and_dates import LANGUAGES, SHANGHAI, WIDTHS
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db(transaction=True)

PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Spring sale", "Desc": "20% off"}}
ACCOUNTS = [f"shopper{n:03d}" for n in range(200)]
NOT_HTTPS_PICTURE = "http://cdn.example.com/spring.png"
SERIOUS = {"serious", "critical"}

# How wide a field would be to show its value whole (a copy sized to its content) beside how
# wide it is. A date-time input's text is in the browser's own shadow tree, so its scrollWidth
# never says that "12/06/2026, 10:00 AM" shows as "12/06/2026, 10:"; a select's neither.
NATURAL_WIDTH = """(field) => {
    const copy = field.cloneNode(true);
    copy.value = field.value;
    copy.style.cssText = 'width:auto !important; min-width:0; max-width:none; display:inline-block;'
        + ' position:absolute; visibility:hidden; field-sizing:content';
    document.body.appendChild(copy);
    const natural = copy.getBoundingClientRect().width;
    copy.remove();
    return {name: field.name, natural: natural, box: field.getBoundingClientRect().width}; }"""


def with_buckets() -> dict[int, int]:
    """Every account known to the product with its bucket tag, as the Audiences page's bucket
    job leaves the mirror; {bucket: accounts in it}."""
    sizes: dict[int, int] = {}
    for account in ACCOUNTS:
        KnownAccount.objects.create(account=account)
        AccountTag.objects.create(account=account, tag=bucket_tag(bucket_of(account)))
        sizes[bucket_of(account)] = sizes.get(bucket_of(account), 0) + 1
    return sizes


def open_the_ab_test_page(page, live_server, campaign) -> None:
    """From the campaign's page, as a marketer gets there: its "Send as an A/B test" link."""
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.locator(f"a[href='/campaigns/{campaign.pk}/ab-test/']").click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/ab-test/")
    expect(page.get_by_test_id("ab-test-form")).to_be_visible()


def proposed_day(page) -> dt.date:
    """The quota day of the time the form proposes for the variants."""
    local = dt.datetime.fromisoformat(page.locator("input[name=send_at_local]").input_value())
    return quota_day_of(local_to_aware(local, SHANGHAI, field="send_at_local"))


def fields_shown_whole(page) -> None:
    sizes = [page.locator(f"[name={name}]").evaluate(NATURAL_WIDTH) for name in (
        "send_at_local", "buckets_per_variant", "wait_hours", "significance", "min_sample")]
    cut = [size for size in sizes if size["natural"] > size["box"] + 1]
    assert not cut, f"fields too narrow for their value: {cut}"


def no_serious_axe_violation(page) -> None:
    violations = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                  for v in Axe().run(page).response["violations"] if v["impact"] in SERIOUS]
    assert not violations, violations


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_marketer_sees_the_cost_books_an_ab_test_and_finds_its_variants_on_the_campaign(
        browser, live_server, tim, language, width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    sizes = with_buckets()
    campaign = services.campaign_create(user=user, name="Spring sale", push=PUSH,
                                        tz="Asia/Shanghai")
    open_the_ab_test_page(page, live_server, campaign)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # Before booking: two variants and the winner, 3 of that quota day's 100 pushes.
    day = proposed_day(page)
    cost = page.get_by_test_id("cost")
    if language == "en":
        expect(cost).to_have_text(f"2 variants + the winner = 3 of {day:%A} {day.isoformat()}'s "
                                  "100 pushes (100 left)")
    else:
        expect(cost).to_contain_text(day.isoformat())
        assert re.findall(r"\d+", cost.inner_text().replace(day.isoformat(), "")) == [
            "2", "100", "3", "100"], cost.inner_text()
    # Whom each variant reaches: bucket 0's and bucket 1's known accounts, then the winner.
    reach = page.get_by_test_id("reach").locator("li")
    expect(reach).to_have_count(3)
    expect(reach.nth(0)).to_contain_text(f" {sizes[0]} ")
    expect(reach.nth(1)).to_contain_text(f" {sizes[1]} ")
    no_sideways_scroll(page)
    fields_shown_whole(page)
    no_serious_axe_violation(page)

    page.locator("[name=B_title]").fill("Last day of the sale")
    page.locator("[name=B_text]").fill("Everything 20% off until midnight")
    page.get_by_test_id("book-ab-test").click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/")

    experiment = Experiment.objects.get(campaign=campaign)
    assert experiment.status == Experiment.Status.TESTING
    assert [v["buckets"] for v in experiment.variants] == [[0], [1]]
    assert quota_booked(day) == 3  # what the page said, booked

    panel = page.get_by_test_id("ab-test")
    expect(panel).to_be_visible()
    rows = panel.locator("[data-variant]")
    expect(rows).to_have_count(2)
    assert [row.get_attribute("data-variant") for row in rows.all()] == ["A", "B"]
    expect(rows.nth(1)).to_contain_text("Last day of the sale")
    # Variant A is the campaign's own message: its row says so rather than nothing.
    expect(rows.nth(0).get_by_test_id("variant-message")).not_to_be_empty()
    # Each variant's push says where it stands (it was hidden at 1280 px, as in the list,
    # whose status has a column of its own; this table has none).
    expect(rows.locator(".status:visible")).to_have_count(2)
    # Nobody reached yet: no rate of 0.00 % "between 0.00 % and 100.00 %" and no chart of it.
    for row in rows.all():
        expect(row.get_by_test_id("rate")).not_to_contain_text("100.00 %")
        expect(row.locator("svg")).to_have_count(0)
    # The wait as the marketer gave it, 2 hours (it read "decided 120 minutes after").
    expect(page.get_by_test_id("ab-test-rule")).not_to_contain_text("120")
    if language == "en":
        expect(page.get_by_test_id("ab-test-rule")).to_contain_text("2 hours after sending")
    no_sideways_scroll(page)
    size = panel.evaluate("(e) => ({content: e.scrollWidth, box: e.clientWidth})")
    assert size["content"] <= size["box"] + 1, f"the panel is wider than its card: {size}"
    no_serious_axe_violation(page)
    page.context.close()


def _book_with_a_picture_that_is_not_https(browser, live_server, language, width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    with_buckets()
    campaign = services.campaign_create(user=user, name="Spring sale", push=PUSH,
                                        tz="Asia/Shanghai")
    open_the_ab_test_page(page, live_server, campaign)
    page.locator("[name=B_text]").fill("Everything 20% off until midnight")
    page.locator("[name=B_image]").fill(NOT_HTTPS_PICTURE)
    page.get_by_test_id("book-ab-test").click()
    page.wait_for_load_state()
    return campaign, page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_picture_that_is_not_https_is_refused_in_words_and_nothing_is_booked(
        browser, live_server, tim, language, width):
    campaign, page = _book_with_a_picture_that_is_not_https(browser, live_server, language,
                                                            width)
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/ab-test/")
    expect(page.get_by_test_id("ab-test-form").locator(".errorlist")).to_contain_text(
        "https://")
    # What the marketer typed is still there, to correct.
    expect(page.locator("[name=B_image]")).to_have_value(NOT_HTTPS_PICTURE)
    expect(page.locator("[name=B_text]")).to_have_value("Everything 20% off until midnight")
    assert not Experiment.objects.filter(campaign=campaign).exists()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
    no_sideways_scroll(page)
    page.context.close()


def test_a_picture_that_is_not_https_is_refused_beside_its_variant(browser, live_server, tim):
    _, page = _book_with_a_picture_that_is_not_https(browser, live_server, "en", 390)
    try:
        expect(page.get_by_test_id("variant-B").locator(".errorlist")).to_contain_text(
            "https://", timeout=3000)
    finally:
        page.context.close()


def test_the_cost_follows_a_third_variant_before_booking(browser, live_server, tim):
    user, page = signed_in(browser, live_server, width=1280, language="en")
    with_buckets()
    campaign = services.campaign_create(user=user, name="Spring sale", push=PUSH,
                                        tz="Asia/Shanghai")
    open_the_ab_test_page(page, live_server, campaign)
    page.locator("[name=B_text]").fill("Everything 20% off until midnight")
    page.locator("[name=C_text]").fill("Free delivery all weekend")
    page.locator("[name=C_text]").blur()
    try:
        expect(page.get_by_test_id("cost")).to_contain_text("3 variants + the winner = 4",
                                                            timeout=3000)
    finally:
        page.context.close()
