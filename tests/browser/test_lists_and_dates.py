"""Typed lists and default dates, in a real headless browser, in English and Chinese, at 390 and
1280 px: a list typed with a Chinese keyboard's "，" and "、" gives three tags or accounts (editor, test
send, test group), and the repeat and local-time forms show their default dates (a date input
given "2026/12/06" shows nothing)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import recurring, services
from campaigns.models import Campaign, TestGroup
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Weekend sale", "Desc": "Half price"}}
WIDTHS = [390, 1280]
LANGUAGES = ["en", "zh-hans"]
WORDS = {"en": {"accepted": "Test sent: Tencent accepted 2 of 3 accounts.",
                "three": "3 accounts"},
         "zh-hans": {"accepted": "测试已发送：腾讯受理了 3 个账号中的 2 个。",
                     "three": "3 个账号"}}
# Date and time inputs whose value the browser could not read: it shows them blank.
BLANK_DATE_INPUTS = """() => [...document.querySelectorAll(
    'input[type=date], input[type=time], input[type=datetime-local]')]
    .filter((input) => input.getAttribute('value') && !input.value)
    .map((input) => `${input.name}=${input.getAttribute('value')}`)"""






@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_lists_typed_with_chinese_commas_give_each_item(browser, live_server, tim, language,
                                                        width):
    words = WORDS[language]
    tim.post("accounts", {"accounts": ["mary", "li"]})
    user, page = signed_in(browser, live_server, width=width, language=language)
    campaign = services.campaign_create(user=user, name="Weekend", push=PUSH)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/edit/")
    page.locator("input[name=audience][value=tags]").check()
    page.locator("#id_tags_all").fill("vip，深圳、new")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/{campaign.pk}/")
    assert Campaign.objects.get(pk=campaign.pk).push["Condition"] == {
        "TagsAnd": ["vip", "深圳", "new"]}
    audience = page.get_by_test_id("summary-audience")
    for tag in ("vip", "深圳", "new"):
        expect(audience).to_contain_text(tag)
    expect(audience).not_to_contain_text("vip，深圳")

    page.get_by_test_id("test-accounts").fill("mary，ghost、li")
    page.get_by_test_id("send-test").click()
    expect(page.get_by_text(words["accepted"])).to_be_visible()
    expect(page.get_by_test_id("test-account-result")).to_have_count(3)
    no_sideways_scroll(page)

    page.goto(f"{live_server.url}/test-groups/")
    page.locator("input[name=name]").fill("Phones")
    page.locator("textarea[name=accounts]").fill("mary；li\nwang")
    page.get_by_test_id("save-group").click()
    expect(page.get_by_test_id("test-groups")).to_contain_text(words["three"])
    assert TestGroup.objects.get().accounts == ["mary", "li", "wang"]
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_repeat_and_local_time_forms_show_their_dates(browser, live_server, language, width):
    user, page = signed_in(browser, live_server, width=width, language=language)
    campaign = services.campaign_create(user=user, name="Tips", push={"MsgBody": TEXT})
    tomorrow = timezone.now().astimezone(SHANGHAI).date() + dt.timedelta(days=1)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/repeat/")
    expect(page.locator("input[name=starts_on]")).to_have_value(tomorrow.isoformat())
    expect(page.locator("input[name=local_time]")).to_have_value("09:00")
    assert page.evaluate(BLANK_DATE_INPUTS) == []

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/local-time/")
    expect(page.locator("input[name=day]")).to_have_value(tomorrow.isoformat())
    assert page.evaluate(BLANK_DATE_INPUTS) == []

    last = tomorrow + dt.timedelta(days=20)
    series = recurring.series_create(
        campaign=campaign, user=user, starts_on=tomorrow, local_time=dt.time(8, 30),
        tz="Asia/Shanghai", full_day="skip", rrule=recurring.build_rrule(
            freq="daily", weekdays=(), month_day=None, count=None, until=last))
    page.goto(f"{live_server.url}/series/{series.pk}/")
    expect(page.locator("input[name=starts_on]")).to_have_value(tomorrow.isoformat())
    expect(page.locator("input[name=until]")).to_have_value(last.isoformat())
    expect(page.locator("input[name=local_time]")).to_have_value("08:30")

    # The list's day filter, written in its template, carries an ISO value too.
    page.goto(f"{live_server.url}/campaigns/?day={tomorrow}")
    expect(page.locator("input[name=day]")).to_have_value(tomorrow.isoformat())
    page.context.close()
