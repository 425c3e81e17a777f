"""Working as a team, in a real headless browser, in English and in Chinese: a campaign goes
through approval (submitted, sent back with a comment, approved and booked) and is repeated
on a weekly rule whose occurrences appear booked."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import approval, services
from campaigns.models import Campaign, Series
from core.models import Preference
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {"submit": "Submit for approval", "waiting": "Waiting for approval", "draft": "Draft",
           "scheduled": "Scheduled", "comment": "What should change", "send_back": "Send back",
           "approve": "Approve", "home_waiting": "1 campaign is waiting for approval:",
           "sent_back": "Sent back by abe: Shorter title, please",
           "repeat": "Repeat on a rule", "weekly": "Weekly", "mon": "Mon", "thu": "Thu",
           "first_day": "First day", "occurrences": "Occurrences", "next_day":
           "Move it to the next day with room", "save": "Save the series",
           "rule": "Every week on Mon, Thu at 09:00 (Asia/Shanghai), 4 times",
           "local_time": "Local time"},
    "zh-hans": {"submit": "提交审批", "waiting": "待审批", "draft": "草稿", "scheduled": "已排期",
                "comment": "需要修改的内容", "send_back": "退回", "approve": "批准",
                "home_waiting": "1 个推送任务等待审批：",
                "sent_back": "被 abe 退回：Shorter title, please",
                "repeat": "按规则重复", "weekly": "每周", "mon": "周一", "thu": "周四",
                "first_day": "首日", "occurrences": "发送次数", "next_day": "顺延到下一个有余量的日子",
                "save": "保存系列", "rule": "每周 周一、周四 的 09:00（Asia/Shanghai），共 4 次",
                "local_time": "当地时间"},
}


def person(username, group, language):
    user = make_user(username, group)
    Preference.objects.create(user=user, language=language, timezone="Asia/Shanghai")
    return user


def log_in(browser, live_server, username, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    return page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_campaign_is_submitted_sent_back_and_approved(browser, live_server, settings,
                                                         language):
    settings.CAMPAIGN_APPROVAL = True
    words = WORDS[language]
    mia = person("mia", "Marketers", language)
    person("abe", "Approvers", language)
    at = timezone.now() + dt.timedelta(days=2)
    campaign = services.campaign_create(user=mia, name="Winter sale", push={"MsgBody": TEXT},
                                        send_at=at)
    detail = f"{live_server.url}/campaigns/{campaign.pk}/"

    marketer = log_in(browser, live_server, "mia")
    marketer.goto(detail)
    marketer.get_by_role("button", name=words["submit"]).click()
    expect(marketer.get_by_test_id("status")).to_have_text(words["waiting"])

    approver = log_in(browser, live_server, "abe")
    expect(approver.get_by_test_id("waiting-for-approval")).to_contain_text(words["home_waiting"])
    approver.get_by_test_id("waiting-for-approval").get_by_role("link", name="Winter sale").click()
    approver.get_by_label(words["comment"]).fill("Shorter title, please")
    approver.get_by_role("button", name=words["send_back"], exact=True).click()
    expect(approver.get_by_test_id("status")).to_have_text(words["draft"])
    expect(approver.get_by_test_id("reason")).to_have_text(words["sent_back"])

    marketer.reload()
    marketer.get_by_role("button", name=words["submit"]).click()
    approver.reload()
    approver.get_by_role("button", name=words["approve"], exact=True).click()
    expect(approver.get_by_test_id("status")).to_have_text(words["scheduled"])
    assert Campaign.objects.get(pk=campaign.pk).due_at == at
    approver.context.close()
    marketer.context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_campaign_is_repeated_on_a_weekly_rule(browser, live_server, language):
    words = WORDS[language]
    mia = person("mia", "Marketers", language)
    campaign = services.campaign_create(user=mia, name="Tip of the week",
                                        push={"MsgBody": TEXT})
    page = log_in(browser, live_server, "mia")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.get_by_role("link", name=words["repeat"]).click()
    first = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date() + \
        dt.timedelta(days=1)
    page.get_by_label(words["first_day"]).fill(first.isoformat())
    page.get_by_label(words["local_time"]).fill("09:00")
    page.get_by_label(words["weekly"]).check()
    page.get_by_label(words["mon"], exact=True).check()
    page.get_by_label(words["thu"], exact=True).check()
    page.get_by_label(words["occurrences"], exact=True).fill("4")
    page.get_by_label(words["next_day"]).check()
    page.get_by_test_id("save-series").click()
    expect(page).to_have_url(re.compile(r"/series/\d+/$"))
    expect(page.get_by_test_id("rule-words")).to_have_text(words["rule"])
    series = Series.objects.get()
    booked = series.occurrences.filter(status="scheduled").count()
    assert booked >= 3
    expect(page.get_by_test_id("occurrences").locator("tbody tr, tr:has(td)")).to_have_count(booked)
    expect(page.get_by_test_id("occurrences")).to_contain_text(words["scheduled"])
    page.context.close()


OFFERS = {"en": {"send_now": "Send now…", "next": "Approval covers its time too"},
          "zh-hans": {"send_now": "立即发送…", "next": "审批也涵盖它的发送时间"}}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_approved_campaign_offers_a_new_time_only_to_a_second_approver(
        browser, live_server, settings, language, width):
    settings.CAMPAIGN_APPROVAL = True
    words = OFFERS[language]
    mia, abe = person("mia", "Marketers", language), person("abe", "Approvers", language)
    person("ann", "Approvers", language)
    campaign = services.campaign_create(user=mia, name="Winter sale", push={"MsgBody": TEXT},
                                        send_at=timezone.now() + dt.timedelta(days=2))
    approval.campaign_submit(campaign=campaign, user=mia)
    approval.campaign_approve(campaign=campaign, user=abe)
    detail = f"{live_server.url}/campaigns/{campaign.pk}/"
    marketer = log_in(browser, live_server, "mia", width)
    marketer.goto(detail)
    expect(marketer.get_by_test_id("next-step")).to_contain_text(words["next"])
    expect(marketer.get_by_text(words["send_now"], exact=True)).to_have_count(0)
    second = log_in(browser, live_server, "ann", width)
    second.goto(detail)
    expect(second.get_by_text(words["send_now"], exact=True)).to_be_visible()
    expect(second.get_by_test_id("next-step")).to_have_count(0)
    marketer.context.close()
    second.context.close()
