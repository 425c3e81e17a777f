"""A marketer's first campaign in several languages, in a real headless browser, in English and
Chinese at 390 and 1280 px: the draft's "Versions in several languages" page previews each
version, says what the pushes cost and whom each reaches before anything is booked (and follows
a version typed in, without a submit), booking goes to the campaign's page whose Languages panel
lists each language's push and the default version, a picture that is not https is refused
under its version's picture field, and nothing is wider than a phone.

Chinese is checked without its words where they may not be translated yet (data-testid,
data-language, numbers and dates), and by the page's <html lang>."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from audience.models import AccountTag, KnownAccount
from campaigns import services
from campaigns.models import Campaign
from campaigns.quota import quota_booked, quota_day_of
from core.times import local_to_aware
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.browser.test_ab_tests import NATURAL_WIDTH, no_serious_axe_violation
from tests.browser.test_lists_and_dates import LANGUAGES, SHANGHAI, WIDTHS
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db(transaction=True)

PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Spring sale", "Desc": "20% off"}}
# Known accounts by their lang: tag, as an audience manager's tagging job leaves the mirror;
# the five without one are who the default version reaches among the known.
SPEAKERS = {"zh-Hans": 30, "en": 20, "": 5}
NOT_HTTPS_PICTURE = "http://cdn.example.com/spring.png"


def with_languages() -> None:
    for language, n in SPEAKERS.items():
        for i in range(n):
            account = f"{language or 'nolang'}-{i:02d}"
            KnownAccount.objects.create(account=account)
            if language:
                AccountTag.objects.create(account=account, tag=f"lang:{language}")


def a_draft(user) -> Campaign:
    return services.campaign_create(user=user, name="Spring sale", push=PUSH,
                                    tz="Asia/Shanghai")


def open_the_languages_page(page, live_server, campaign) -> None:
    """From the campaign's page, as a marketer gets there: "Versions in several languages"."""
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.get_by_test_id("languages-link").click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/languages/")
    expect(page.get_by_test_id("languages-form")).to_be_visible()


def proposed_day(page) -> dt.date:
    local = dt.datetime.fromisoformat(page.locator("input[name=send_at_local]").input_value())
    return quota_day_of(local_to_aware(local, SHANGHAI, field="send_at_local"))


def numbers(text: str, day: dt.date) -> list[int]:
    """The numbers in a sentence but its date, in the order they come."""
    return [int(n) for n in re.findall(r"\d+", text.replace(day.isoformat(), ""))]


def expect_cost(page, language: str, day: dt.date, versions: int) -> None:
    """"2 languages + the default version = 3 of Monday 2026-12-07's 100 pushes (100 left)";
    in Chinese, the same numbers in the sentence's own order."""
    cost = page.get_by_test_id("cost")
    if language == "en":
        expect(cost).to_have_text(
            f"{versions} languages + the default version = {versions + 1} of {day:%A} "
            f"{day.isoformat()}'s 100 pushes (100 left)")
    else:
        expect(cost).to_contain_text(day.isoformat())
        wanted = sorted([versions, versions + 1, 100, 100])
        for _ in range(50):  # until the answer to the typing has arrived
            if sorted(numbers(cost.inner_text(), day)) == wanted:
                break
            page.wait_for_timeout(200)
        assert sorted(numbers(cost.inner_text(), day)) == wanted, cost.inner_text()


def previews_stack_title_over_text(page) -> None:
    """Each version's preview reads as a notification: its title above its text, both from the
    same left edge (a .preview card laid language, title and text out side by side)."""
    cards = page.get_by_test_id("previews").locator("[data-language]")
    for card in cards.all():
        title = card.get_by_test_id("preview-title").bounding_box()
        text = card.get_by_test_id("preview-text").bounding_box()
        assert text["y"] >= title["y"] + title["height"] - 1, (title, text)
        assert abs(text["x"] - title["x"]) <= 1, (title, text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_marketer_sees_each_version_and_its_cost_books_them_and_finds_them_on_the_campaign(
        browser, live_server, tim, language, width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    with_languages()
    campaign = a_draft(user)
    open_the_languages_page(page, live_server, campaign)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # The languages the audience holds, with how many known accounts hold each.
    offered = page.get_by_test_id("offered")
    expect(offered).to_contain_text("en (20)")
    expect(offered).to_contain_text("zh-Hans (30)")
    # The page proposes zh-Hans and en, each previewed (the campaign's own words until typed).
    previews = page.get_by_test_id("previews").locator("[data-language]")
    assert [p.get_attribute("data-language") for p in previews.all()] == ["zh-Hans", "en"]
    for preview in previews.all():
        expect(preview.get_by_test_id("preview-title")).to_have_text("Spring sale")
        expect(preview.get_by_test_id("preview-text")).to_have_text("20% off")
    previews_stack_title_over_text(page)

    # Before booking: two languages and the default version, 3 of that day's 100 pushes, and
    # whom each reaches: 30 and 20 known accounts, and the 5 with no language.
    day = proposed_day(page)
    expect_cost(page, language, day, versions=2)
    reach = page.get_by_test_id("reach").locator("li")
    expect(reach).to_have_count(3)
    expect(reach.nth(0)).to_contain_text("zh-Hans")
    assert numbers(reach.nth(0).inner_text(), day) == [30]
    assert numbers(reach.nth(1).inner_text(), day) == [20]
    assert numbers(reach.nth(2).inner_text(), day) == [5]

    page.locator("[name=v0_title]").fill("春季促销")
    page.locator("[name=v0_text]").fill("全场八折")
    page.locator("[name=v1_title]").fill("Spring sale")
    page.locator("[name=v1_text]").fill("Everything 20% off")
    # A third version typed in, not submitted: the cost and the reach follow it...
    page.locator("[name=v2_language]").fill("pt-BR")
    page.locator("[name=v2_text]").fill("Tudo 20% off")
    expect_cost(page, language, day, versions=3)
    expect(reach).to_have_count(4)
    expect(reach.nth(2)).to_contain_text("pt-BR")
    # ...and back when it is taken out again.
    page.locator("[name=v2_language]").fill("")
    page.locator("[name=v2_text]").fill("")
    expect_cost(page, language, day, versions=2)
    expect(reach).to_have_count(3)

    no_sideways_scroll(page)
    # The time is shown whole: beside the attribute, a phone cut it to "12/07/2026, 10:".
    size = page.locator("[name=send_at_local]").evaluate(NATURAL_WIDTH)
    assert size["natural"] <= size["box"] + 1, f"the time is cut: {size}"
    # Its zone in the reader's punctuation (Chinese has full-width brackets).
    time_label = page.locator("label", has=page.locator("[name=send_at_local]"))
    expect(time_label).to_contain_text(
        "(Asia/Shanghai)" if language == "en" else "（Asia/Shanghai）")
    no_serious_axe_violation(page)

    page.get_by_test_id("book-languages").click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/")
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.BY_LANGUAGE
    assert sorted(campaign.buckets.values_list("language", flat=True)) == ["*", "en", "zh-Hans"]
    assert quota_booked(day) == 3  # what the page said, booked
    zh_push = campaign.buckets.get(language="zh-Hans").push
    assert zh_push["OfflinePushInfo"]["Title"] == "春季促销"

    panel = page.get_by_test_id("languages")
    expect(panel).to_be_visible()
    rows = panel.locator("tr[data-language]")
    expect(rows).to_have_count(3)
    assert sorted(row.get_attribute("data-language") for row in rows.all()) == [
        "*", "en", "zh-Hans"]
    if language == "en":
        expect(panel.locator("tr[data-language='*']")).to_contain_text(
            "Everyone else (default version)")
    # Each push says where it stands at every width (beside the name it shows on a phone only).
    for row in rows.all():
        expect(row.locator(".status:visible")).to_have_count(1)
    no_sideways_scroll(page)
    size = panel.evaluate("(e) => ({content: e.scrollWidth, box: e.clientWidth})")
    assert size["content"] <= size["box"] + 1, f"the panel is wider than its card: {size}"
    no_serious_axe_violation(page)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_picture_that_is_not_https_is_refused_under_its_versions_picture_field(
        browser, live_server, tim, language, width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    with_languages()
    campaign = a_draft(user)
    open_the_languages_page(page, live_server, campaign)
    page.locator("[name=v1_text]").fill("Everything 20% off")
    page.locator("[name=v1_image]").fill(NOT_HTTPS_PICTURE)
    page.get_by_test_id("book-languages").click()
    page.wait_for_load_state()

    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/languages/")
    picture = page.get_by_test_id("version-1").locator("[name=v1_image]")
    error = page.get_by_test_id("version-1").locator("#id_v1_image_error")
    expect(error).to_contain_text("https://")
    expect(error).to_contain_text("en")
    # Said of the picture field (read out with it) and below it, in the en version only.
    expect(picture).to_have_attribute("aria-describedby", re.compile(r"\bid_v1_image_error\b"))
    assert error.bounding_box()["y"] >= picture.bounding_box()["y"] + picture.bounding_box()[
        "height"]
    expect(page.get_by_test_id("version-0").locator(".errorlist")).to_have_count(0)
    expect(page.get_by_test_id("form-errors")).to_have_count(0)
    # What the marketer typed is still there, to correct; nothing was booked.
    expect(picture).to_have_value(NOT_HTTPS_PICTURE)
    expect(page.locator("[name=v1_text]")).to_have_value("Everything 20% off")
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
    assert not campaign.buckets.exists()
    no_sideways_scroll(page)
    page.context.close()


def test_the_preview_follows_a_version_typed_in_before_booking(browser, live_server, tim):
    user, page = signed_in(browser, live_server, width=1280, language="en")
    with_languages()
    campaign = a_draft(user)
    open_the_languages_page(page, live_server, campaign)
    page.locator("[name=v0_title]").fill("春季促销")
    page.locator("[name=v2_language]").fill("pt-BR")
    page.locator("[name=v2_text]").fill("Tudo 20% off")
    page.locator("[name=v2_text]").blur()
    previews = page.get_by_test_id("previews")
    try:
        expect(previews.locator("[data-language='zh-Hans']")).to_contain_text("春季促销",
                                                                             timeout=3000)
        expect(previews.locator("[data-language='pt-BR']")).to_contain_text("Tudo 20% off",
                                                                            timeout=3000)
    finally:
        page.context.close()


def test_with_approval_on_the_drafts_languages_panel_previews_each_saved_version(
        browser, live_server, tim, settings):
    settings.CAMPAIGN_APPROVAL = True
    user, page = signed_in(browser, live_server, width=390, language="zh-hans")
    with_languages()
    campaign = a_draft(user)
    open_the_languages_page(page, live_server, campaign)
    page.locator("[name=v0_title]").fill("春季促销")
    page.locator("[name=v0_text]").fill("全场八折")
    page.get_by_test_id("book-languages").click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/")
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT

    # Saved, not booked: the panel shows each version as the approver will judge it.
    panel = page.get_by_test_id("languages")
    expect(panel.get_by_test_id("languages-plan")).to_be_visible()
    zh = panel.locator("[data-language='zh-Hans']")
    expect(zh.get_by_test_id("preview-title")).to_have_text("春季促销")
    expect(zh.get_by_test_id("preview-text")).to_have_text("全场八折")
    for card in panel.locator("[data-language]").all():
        title = card.get_by_test_id("preview-title").bounding_box()
        text = card.get_by_test_id("preview-text").bounding_box()
        assert text["y"] >= title["y"] + title["height"] - 1, (title, text)
        assert abs(text["x"] - title["x"]) <= 1, (title, text)
    no_sideways_scroll(page)
    no_serious_axe_violation(page)
    page.context.close()
