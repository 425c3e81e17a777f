"""The words a form shows name the thing in a person's terms, beside its field,
never the field's key ("weekdays: …", "by: …"); a form too large for the server answers with its
page and the size rule in words, not Django's error page. The keys stay in the API's `errors`.
The browser half is tests/browser/test_words_and_chinese_pages.py."""

import datetime as dt
import json
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from audience.models import AccountAttr, AttributeName, KnownAccount
from campaigns import services
from campaigns.models import Campaign
from tests.campaigns.test_pages import editor_post
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db
# A field's key followed by a colon, as the messages began ("weekdays: choose …").
FIELD_KEY = re.compile(r"\b(by|weekdays|ends|zones|freq|month_day|count|until|starts_on|"
                       r"full_day|quiet_hours|hour|day|attribute|template_name)\s*[:：]")
MESSAGES = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)


def shown_errors(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in MESSAGES.findall(page))


def in_chinese(client) -> None:
    client.post("/preferences/", {"language": "zh-hans", "next": "/"})


def tomorrow() -> str:
    return (timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
            + dt.timedelta(days=1)).isoformat()


def series_post(**changes):
    return {"name": "Weekly tip", "starts_on": tomorrow(), "local_time": "09:00",
            "timezone": "Asia/Shanghai", "freq": "weekly", "weekdays": [], "month_day": "",
            "ends": "count", "count": "", "until": "", "full_day": "skip", **changes}


def fieldset(page: str, legend: str) -> str:
    start = page.index(f"<legend>{legend}</legend>")
    return page[start:page.index("</fieldset>", start)]


@pytest.fixture
def draft(marketer):
    return services.campaign_create(user=marketer, name="Tip", push={"MsgBody": TEXT})


def test_the_repeat_page_words_each_rule_beside_its_field_without_the_fields_key(
        client, marketer, draft):
    client.force_login(marketer)
    page = client.post(f"/campaigns/{draft.pk}/repeat/", series_post()).content.decode()
    assert "Choose at least one day of the week" in fieldset(page, "On these days")
    assert "Give either a last day or a number of occurrences" in fieldset(page, "Ends")
    errors = shown_errors(page)
    assert errors and not FIELD_KEY.search(errors), errors


def test_the_repeat_page_words_its_rules_in_chinese(client, marketer, draft):
    client.force_login(marketer)
    in_chinese(client)
    page = client.post(f"/campaigns/{draft.pk}/repeat/", series_post()).content.decode()
    assert "请至少选择一周中的一天" in fieldset(page, "在这些日子")
    errors = shown_errors(page)
    assert not re.search(r"[a-z_]{3,}", errors), errors
    errors = shown_errors(client.post(f"/campaigns/{draft.pk}/repeat/", series_post(
        starts_on="2099-01-01", weekdays=["MO"], count="4")).content.decode())
    assert "首日必须在" in errors  # the field's label, not "starts_on"
    assert not re.search(r"[a-z_]{3,}", errors), errors


def test_the_local_time_page_says_why_in_words_not_by(client, marketer):
    AttributeName.objects.create(index=0, name="tz")
    KnownAccount.objects.create(account="u1")
    AccountAttr.objects.create(account="u1", name="tz", value="Asia/Tokyo")
    tagged = services.campaign_create(user=marketer, name="Tip", push={
        "MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}})
    client.force_login(marketer)
    day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    post = {"by": "attr", "attribute": "tz", "day": day, "hour": "9", "zones": ["Asia/Tokyo"],
            "quiet_hours": "refuse"}
    page = client.post(f"/campaigns/{tagged.pk}/local-time/", post).content.decode()
    errors = shown_errors(page)
    assert "This campaign targets tags, and Tencent refuses tags and attributes together" \
        in errors
    assert not FIELD_KEY.search(errors), errors
    in_chinese(client)
    errors = shown_errors(client.post(f"/campaigns/{tagged.pk}/local-time/", post)
                          .content.decode())
    assert "腾讯不接受同时使用标签和属性" in errors and not FIELD_KEY.search(errors), errors


def test_the_api_still_names_the_field_by_its_key(client, marketer, draft):
    """Where a program reads the answer, the key is in `errors`; the words are a person's."""
    client.force_login(marketer)
    answer = client.get(f"/campaigns/{draft.pk}/local-time/cost/", {"hour": "25"})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"hour": ["The local hour must be a whole hour from 0 to "
                                                "23"]}


# --- a form too large for the server -------------------------------------------------------

TEN_MB = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x" * 10_000_000}}]


def a_browser(user, language="en") -> Client:
    """A client that checks CSRF as the site does for a browser, holding the editor's token."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/campaigns/new/")
    if language != "en":
        browser.post("/preferences/", {"language": language, "next": "/",
                                       "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    return browser


def text(answer) -> str:
    """The page, its sizes' no-break spaces ("2.5\xa0MB") read as spaces."""
    return answer.content.decode().replace("\xa0", " ")


def urlencoded(data: dict) -> str:
    from urllib.parse import urlencode
    return urlencode(data, doseq=True)


def test_a_ten_megabyte_message_gets_the_editor_back_with_the_size_rule(marketer):
    browser = a_browser(marketer)
    token = browser.cookies["csrftoken"].value
    started = time.monotonic()
    answer = browser.post(
        "/campaigns/new/", urlencoded(editor_post(msg_body=json.dumps(TEN_MB),
                                                  csrfmiddlewaretoken=token)),
        content_type="application/x-www-form-urlencoded",
        HTTP_REFERER="http://testserver/campaigns/new/")
    assert time.monotonic() - started < 5
    assert answer.status_code == 303 and answer["Location"] == "http://testserver/campaigns/new/"
    page = text(browser.get(answer["Location"]))
    assert 'id="editor"' in page
    assert "What you sent is 9.5 MB, more than the 2.5 MB a page accepts; nothing was saved." \
        in page
    assert not Campaign.objects.exists()


def test_the_size_rule_is_in_chinese_and_an_edit_keeps_its_campaign(marketer, draft):
    browser = a_browser(marketer, "zh-hans")
    token = browser.cookies["csrftoken"].value
    answer = browser.post(
        f"/campaigns/{draft.pk}/edit/", urlencoded(editor_post(
            msg_body=json.dumps(TEN_MB), csrfmiddlewaretoken=token)),
        content_type="application/x-www-form-urlencoded", follow=True)
    page = text(answer)
    assert answer.status_code == 200 and 'id="editor"' in page and 'value="Tip"' in page
    assert "你发送的内容为 9.5 MB，超过了页面可接受的 2.5 MB；没有保存任何内容。" in page
    draft.refresh_from_db()
    assert draft.push == {"MsgBody": TEXT}


def test_the_editor_knows_the_size_rule_to_check_it_live(client, marketer):
    client.force_login(marketer)
    page = text(client.get("/campaigns/new/"))
    assert 'data-max-bytes="2621440"' in page
    assert ('data-too-big="What you sent is %(size)s, more than the 2.5 MB a page accepts; '
            'nothing was saved. Shorten the longest text and save again."') in page


def test_the_api_keeps_its_own_413_in_words(client, marketer):
    from core.tokens import token_create
    secret = token_create(user=marketer, name="script")[1]
    answer = client.post("/api/campaigns/", json.dumps({"name": "x", "push": {"MsgBody": TEN_MB}}),
                         content_type="application/json", HTTP_AUTHORIZATION=f"Token {secret}")
    assert answer.status_code == 413
    assert answer.json()["error"] == "The request body is larger than the server accepts"
