"""Time zones by the names people know, in a real headless browser, in English and Chinese, at
390 and 1280 px: a marketer types "Sydney" (or "悉尼") in the editor's time zone, saves, and the campaign page names
Sydney; the header's switch takes "Paris" typed; the repeat page takes "Sao Paulo"; and the
campaign list names the viewer's zone once, keeping the zone only on a time in another one."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import services
from campaigns.models import Campaign, Series
from core.models import Preference
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.browser.test_lists_and_dates import LANGUAGES, PUSH, WIDTHS

pytestmark = pytest.mark.django_db(transaction=True)

SYDNEY = ZoneInfo("Australia/Sydney")
WORDS = {
    "en": {"sydney": "Sydney", "sydney_option": "Sydney (Australia/Sydney)",
           "paris_option": "Paris (Europe/Paris)",
           "note": "Times are in your time zone, Paris, unless they name another.",
           "series_zone": "Times are in the series’ time zone, São Paulo.",
           "refused": "Time zone: “Sidney” is not a time zone."},
    "zh-hans": {"sydney": "悉尼", "sydney_option": "悉尼（Australia/Sydney）",
                "paris_option": "巴黎（Europe/Paris）",
                "note": "除非另有注明，时间均为您所在的时区：巴黎。",
                "series_zone": "时间均为该系列的时区：圣保罗。",
                "refused": "时区：“Sidney”不是时区。"},
}
# The options the browser's list offers for what is typed (Chromium shows those containing it).
OFFERED = """(typed) => [...document.getElementById('time-zones').options]
    .map((o) => o.value).filter((v) => v.toLowerCase().includes(typed.toLowerCase()))"""


def utc_offset(moment: dt.datetime) -> str:
    hours = int(moment.utcoffset().total_seconds() // 3600)
    return f"UTC+{hours:02d}:00"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_marketer_picks_sydney_by_typing_and_the_campaign_names_it(browser, live_server,
                                                                     language, width):
    words = WORDS[language]
    user, page = signed_in(browser, live_server, width=width, language=language)
    campaign = services.campaign_create(user=user, name="Weekend", push=PUSH)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/edit/")
    page.locator("input[name=schedule][value=at]").check()
    day = (timezone.now() + dt.timedelta(days=3)).date()
    page.locator("#id_send_at_local").fill(f"{day}T09:30")
    zone = page.locator("#id_send_tz")
    expect(zone).to_have_attribute("list", "time-zones")
    assert page.evaluate(OFFERED, words["sydney"]) == [words["sydney_option"]]
    zone.click()  # focusing selects the zone it holds, so typing replaces it
    page.keyboard.type(words["sydney"])
    expect(zone).to_have_value(words["sydney"])
    no_sideways_scroll(page)
    zone.press("Tab")  # as a person leaves the field: the list of suggestions closes
    page.get_by_test_id("save").click()

    # Saving books the campaign under its quota day's lock: seconds on a loaded CI machine.
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/", timeout=20_000)
    assert Campaign.objects.get(pk=campaign.pk).timezone == "Australia/Sydney"
    expect(page.get_by_test_id("campaign-zone")).to_have_text(words["sydney_option"])
    local = dt.datetime.combine(day, dt.time(9, 30), tzinfo=SYDNEY)
    expect(page.get_by_test_id("send-at")).to_contain_text(utc_offset(local))
    no_sideways_scroll(page)

    # The header's switch: "Paris" typed and Enter; then a word for what is not a zone.
    switch = page.get_by_test_id("timezone")
    switch.click()
    page.keyboard.type("Paris")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("timezone")).to_have_value(words["paris_option"])
    assert Preference.objects.get(user=user).timezone == "Europe/Paris"
    page.get_by_test_id("timezone").fill("Sidney")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text(words["refused"])
    assert Preference.objects.get(user=user).timezone == "Europe/Paris"

    # The list names the viewer's zone once; Sydney's time keeps its zone, Paris's do not.
    page.goto(f"{live_server.url}/campaigns/")
    expect(page.get_by_test_id("zone-note")).to_have_text(words["note"])
    expect(page.get_by_test_id("campaign-table")).to_contain_text(
        f"{local:%Y-%m-%d %H:%M} AEDT, {utc_offset(local)}" if local.dst() else
        f"{local:%Y-%m-%d %H:%M} AEST, {utc_offset(local)}")
    expect(page.get_by_test_id("campaign-table")).not_to_contain_text("Europe/Paris")
    expect(page.get_by_test_id("campaign-table")).not_to_contain_text("CET")
    no_sideways_scroll(page)

    # The repeat page: typed without the accent.
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/repeat/")
    page.locator("input[name=name]").fill("Weekly")
    page.locator("#id_timezone").click()
    page.keyboard.type("Sao Paulo")
    page.locator("input[name=freq][value=daily]").check()
    page.get_by_test_id("save-series").click()
    expect(page.get_by_test_id("series-zone")).to_have_text(words["series_zone"])
    assert Series.objects.get().timezone == "America/Sao_Paulo"
    no_sideways_scroll(page)
    page.context.close()
