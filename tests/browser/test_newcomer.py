"""What a newcomer meets, in a real headless browser, in English and Chinese, at phone and
desktop width: ending a series asks first, saying how many booked occurrences it cancels (with
JavaScript off); a campaign started from a template keeps the template's audience; an http://
picture is refused in words as it is typed; the site has its icon."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from campaigns import recurring, services
from campaigns.models import Campaign, Series
from core.models import Preference
from tests.browser.test_marketer_flow import png
from tests.browser.conftest import no_sideways_scroll
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
PUSH = {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}}
HTTP_PICTURE = "http://cdn.example.com/sale.png"

WORDS = {
    "en": {"cost": "Ending it cancels its 3 booked occurrences; those already sent stay as they "
                   "were.",
           "confirm": "I understand: its 3 booked occurrences are cancelled, and it cannot be "
                      "restarted.",
           "end": "End the series", "ended": "Ended",
           "flash_ended": "Series ended: occurrences not yet sent are cancelled.",
           "save_template": "Save as template", "start": "Start a campaign",
           "audience": "Any of these tags: vip",
           "flash_template": "A new draft from the template, for its audience: Any of these "
                             "tags: vip. Check it and choose a time.",
           "image": "Image",
           "not_https": "Element 2 (Image): picture 1, Picture URL is not an https:// address. "
                        "Tencent would send it, but phones load pictures only over https, and "
                        "this page shows only https pictures: use the picture's https:// "
                        "address.",
           "pixels": "3 × 2 pixels"},
    "zh-hans": {"cost": "结束后，它已排期的 3 次推送将被取消；已发送的保持不变。",
                "confirm": "我明白：已排期的 3 次推送将被取消，且系列无法重新开始。",
                "end": "结束系列", "ended": "已结束",
                "flash_ended": "系列已结束：尚未发送的推送已取消。",
                "save_template": "保存为模板", "start": "开始新推送任务",
                "audience": "其中任一标签：vip",
                "flash_template": "已从模板创建新草稿，受众沿用模板：其中任一标签：vip。请核对受众并"
                                  "选择时间。",
                "image": "图片",
                "not_https": "第 2 个元素（图片）：第 1 张图片，图片网址不是 https:// 地址。腾讯会照常"
                             "发送，但手机只通过 https 加载图片，本页面也只显示 https 图片：请改用图片"
                             "的 https:// 地址。",
                "pixels": "3 × 2 像素"},
}
CASES = [(language, width) for language in WORDS for width in WIDTHS]


def person(username: str, language: str):
    user = make_user(username, "Marketers")
    Preference.objects.create(user=user, language=language, timezone="Asia/Shanghai")
    return user


def log_in(browser, live_server, username: str, width: str, javascript: bool = True):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h},
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"pw-{username}")
    page.locator("form button").last.click()
    expect(page).to_have_url(f"{live_server.url}/")
    return page




@pytest.mark.parametrize("language, width", CASES)
def test_ending_a_series_asks_first_saying_how_many_it_cancels_without_javascript(
        browser, live_server, language, width):
    words = WORDS[language]
    mia = person("mia", language)
    campaign = services.campaign_create(user=mia, name="Daily tip", push=PUSH)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date() + dt.timedelta(days=1)
    series = recurring.series_create(campaign=campaign, user=mia, rrule="FREQ=DAILY;COUNT=3",
                                     starts_on=tomorrow, local_time=dt.time(10),
                                     tz="Asia/Shanghai", full_day="skip")
    page = log_in(browser, live_server, "mia", width, javascript=False)
    page.goto(f"{live_server.url}/series/{series.pk}/")
    end = page.get_by_test_id("end-series")
    expect(end.get_by_test_id("end-series-cost")).to_have_text(words["cost"])
    expect(end.get_by_label(words["confirm"])).not_to_be_checked()
    no_sideways_scroll(page)

    end.get_by_role("button", name=words["end"]).click()  # not ticked: the browser stops it
    page.wait_for_timeout(300)
    expect(page).to_have_url(f"{live_server.url}/series/{series.pk}/")
    assert Series.objects.get(pk=series.pk).active
    assert series.occurrences.filter(status="scheduled").count() == 3

    end.get_by_label(words["confirm"]).check()
    end.get_by_role("button", name=words["end"]).click()
    expect(page.locator(".flash")).to_have_text(words["flash_ended"])
    expect(page.locator("h1 .status")).to_have_text(words["ended"])
    assert not series.occurrences.filter(status="scheduled").exists()
    page.context.close()


@pytest.mark.parametrize("language, width", CASES)
def test_a_campaign_started_from_a_template_keeps_the_templates_audience(
        browser, live_server, language, width):
    words = WORDS[language]
    mia = person("mia", language)
    campaign = services.campaign_create(user=mia, name="Weekly", push=PUSH)
    page = log_in(browser, live_server, "mia", width)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.get_by_role("button", name=words["save_template"]).click()
    expect(page.get_by_test_id("template-audience")).to_have_text(words["audience"])
    no_sideways_scroll(page)

    page.get_by_role("button", name=words["start"]).click()
    expect(page).to_have_url(re.compile(r"/campaigns/\d+/edit/$"))
    expect(page.locator(".flash")).to_have_text(words["flash_template"])
    expect(page.locator("input[name=audience][value=tags]")).to_be_checked()
    expect(page.locator("#id_tags_any")).to_have_value("vip")
    new = Campaign.objects.exclude(pk=campaign.pk).get()
    assert new.push["Condition"] == {"TagsOr": ["vip"]} and new.status == "draft"
    page.context.close()


@pytest.mark.parametrize("language, width", CASES)
def test_an_http_picture_is_refused_in_words_as_it_is_typed(browser, live_server, language,
                                                            width):
    words = WORDS[language]
    person("mia", language)
    page = log_in(browser, live_server, "mia", width)
    https_picture = "https://cdn.example.com/sale.png"
    page.route(https_picture, lambda route: route.fulfill(status=200, content_type="image/png",
                                                          body=png(3, 2)))
    page.goto(f"{live_server.url}/campaigns/new/")
    page.locator("#id_name").fill("Weekend sale")
    page.locator("#elements input").first.fill("50% off all weekend")
    page.locator("#new-element-type").select_option(label=words["image"])
    page.locator("#add-element").click()
    url = page.locator("#element-1 input[type=url]")
    url.fill(HTTP_PICTURE)
    url.dispatch_event("change")
    errors = page.locator("#element-1 .errorlist li")
    expect(errors).to_have_text([words["not_https"]])
    expect(url).to_have_attribute("aria-invalid", "true")
    no_sideways_scroll(page)

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text(words["not_https"])
    assert not Campaign.objects.exists()

    url = page.locator("#element-1 input[type=url]")  # the page after Save: https is taken
    url.fill(https_picture)
    url.dispatch_event("change")
    expect(page.locator("#element-1")).to_contain_text(words["pixels"])
    expect(page.locator("#element-1 .errorlist li")).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("language, width", CASES)
def test_the_site_has_its_icon(browser, live_server, language, width):
    person("mia", language)
    page = log_in(browser, live_server, "mia", width)
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("href", "/static/core/favicon.svg")
    answer = page.request.get(f"{live_server.url}/static/core/favicon.svg")
    assert answer.ok and answer.headers["content-type"] == "image/svg+xml"
    answer = page.request.get(f"{live_server.url}/favicon.ico")  # follows the redirect
    assert answer.ok and answer.url.endswith("/static/core/favicon.svg")
    page.context.close()
