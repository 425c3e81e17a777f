"""Every time zone, searchable by the name people know it by, on the editor, the header's
preferences, the repeat page, the local-time page and the API; anything else refused in words
naming the field; a campaign's times in its own zone; and pages that name the viewer's zone once
instead of on every time."""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from campaigns import services
from campaigns.models import Campaign, Series
from core.models import Preference
from core.tokens import token_create
from tests.campaigns.test_api import post
from tests.campaigns.test_pages import editor_post
from tests.campaigns.test_recurring import PUSH, series_post
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db


def options(page: str) -> list[str]:
    datalist = page.split('<datalist id="time-zones">', 1)[1].split("</datalist>", 1)[0]
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)">', datalist)]


def chinese(client):
    client.post("/preferences/", {"language": "zh-hans", "next": "/"})


def test_it_offers_every_zone_named_as_people_know_it(client, marketer):
    client.force_login(marketer)
    offered = options(client.get("/campaigns/new/").content.decode())
    assert len(offered) > 400
    for option in ("Sydney (Australia/Sydney)", "Paris (Europe/Paris)",
                   "São Paulo (America/Sao_Paulo)", "Beijing, Shanghai (Asia/Shanghai)",
                   "Knox, Indiana (America/Indiana/Knox)", "Coordinated Universal Time (UTC)"):
        assert option in offered, option
    by_name = offered.index("Santiago (America/Santiago)"), offered.index(
        "São Paulo (America/Sao_Paulo)"), offered.index("Sydney (Australia/Sydney)")
    assert list(by_name) == sorted(by_name), "by name, accents aside"


def test_it_names_zones_in_chinese_where_the_product_has_a_chinese_name(client, marketer):
    client.force_login(marketer)
    chinese(client)
    offered = options(client.get("/campaigns/new/").content.decode())
    assert "悉尼（Australia/Sydney）" in offered and "北京、上海（Asia/Shanghai）" in offered


def test_the_editor_searches_the_page_s_list_of_zones(client, marketer):
    client.force_login(marketer)
    page = client.get("/campaigns/new/").content.decode()
    field = re.search(r'<input[^>]*name="send_tz"[^>]*>', page).group(0)
    assert 'list="time-zones"' in field and 'value="Beijing, Shanghai (Asia/Shanghai)"' in field
    assert re.search(r"<label>Time zone <input[^>]*name=\"send_tz\"", page)


@pytest.mark.parametrize("typed", ["Sydney", "sydney", "Sydney (Australia/Sydney)",
                                   "Australia/Sydney", " Australia/Sydney ", "SYDNEY"])
def test_the_editor_accepts_a_zone_picked_or_typed(client, marketer, typed):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(send_tz=typed))
    campaign = Campaign.objects.get()
    assert answer.status_code == 302 and campaign.timezone == "Australia/Sydney"
    page = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'value="Sydney (Australia/Sydney)"' in page


def test_the_editor_accepts_any_real_zone_even_one_the_list_leaves_out(client, marketer):
    client.force_login(marketer)
    client.post("/campaigns/new/", editor_post(send_tz="US/Pacific"))
    assert Campaign.objects.get().timezone == "US/Pacific"


@pytest.mark.parametrize("typed", ["Berlinn", "Mars/Base", "Sydney (Mars/Base)", "", "UTC+8"])
def test_the_editor_refuses_what_is_not_a_zone_naming_the_field(client, marketer, typed):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(send_tz=typed))
    assert answer.status_code == 200 and not Campaign.objects.exists()
    page = html.unescape(answer.content.decode())
    if typed:
        assert f"Time zone: “{typed}” is not a time zone. Type a city and pick it from the " \
               "list (e.g. Sydney)" in page
    else:
        assert "This field is required." in page


def test_the_editor_refuses_in_chinese_for_a_chinese_reader(client, marketer):
    client.force_login(marketer)
    chinese(client)
    answer = client.post("/campaigns/new/", editor_post(send_tz="柏林林"))
    assert "时区：“柏林林”不是时区" in html.unescape(answer.content.decode())
    client.post("/campaigns/new/", editor_post(send_tz="悉尼"))
    assert Campaign.objects.get().timezone == "Australia/Sydney"


def test_the_editor_s_quota_day_reads_the_zone_as_the_field_shows_it(client, marketer):
    client.force_login(marketer)
    at = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT23:30")
    answer = client.get("/campaigns/capacity/", {"at": at, "tz": "Sydney (Australia/Sydney)"})
    assert answer.status_code == 200 and answer.json()["limit"] == 100
    assert client.get("/campaigns/capacity/", {"at": at, "tz": "Sydneyy"}).status_code == 400


def test_the_header_switch_sets_any_zone_typed_or_picked(client, marketer):
    client.force_login(marketer)
    client.post("/preferences/", {"timezone": "Paris (Europe/Paris)", "next": "/"})
    assert Preference.objects.get(user=marketer).timezone == "Europe/Paris"
    client.post("/preferences/", {"timezone": "Sao Paulo", "next": "/"})
    assert Preference.objects.get(user=marketer).timezone == "America/Sao_Paulo"
    page = client.get("/campaigns/").content.decode()
    assert 'value="São Paulo (America/Sao_Paulo)"' in html.unescape(page)


def test_the_header_switch_refuses_what_is_not_a_zone_and_says_so(client, marketer):
    client.force_login(marketer)
    answer = client.post("/preferences/", {"timezone": "Sidney", "next": "/campaigns/"},
                         follow=True)
    assert Preference.objects.get(user=marketer).timezone == "Asia/Shanghai"
    assert "Time zone: “Sidney” is not a time zone." in html.unescape(answer.content.decode())


def test_the_repeat_page_takes_any_zone_and_names_it_on_the_series(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    page = client.get(f"/campaigns/{campaign.pk}/repeat/").content.decode()
    assert re.search(r'<input[^>]*name="timezone"[^>]*list="time-zones"', page)
    refused = client.post(f"/campaigns/{campaign.pk}/repeat/", series_post(timezone="Mars/Base"))
    assert "Time zone: “Mars/Base” is not a time zone." in html.unescape(refused.content.decode())
    assert not Series.objects.exists()
    answer = client.post(f"/campaigns/{campaign.pk}/repeat/", series_post(timezone="Sydney"))
    series = Series.objects.get()
    assert series.timezone == "Australia/Sydney"
    detail = client.get(answer.url).content.decode()
    assert "Times are in the series’ time zone, Sydney." in detail


def test_rows_say_the_viewer_s_zone_once_and_another_zone_on_its_own_times(client, marketer):
    later = timezone.now() + dt.timedelta(days=2)
    services.campaign_create(user=marketer, name="Here", push={"MsgBody": TEXT}, send_at=later,
                             tz="Asia/Shanghai")
    services.campaign_create(user=marketer, name="There", push={"MsgBody": TEXT},
                             send_at=later, tz="Europe/Berlin")
    client.force_login(marketer)
    page = html.unescape(client.get("/campaigns/").content.decode())
    assert page.count("Times are in your time zone, Beijing, Shanghai, unless they name "
                      "another.") == 1
    assert "Asia/Shanghai, UTC+08:00" not in page
    here = later.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"{here:%Y-%m-%d %H:%M}</td>" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CET, UTC\+01:00</td>", page)


def test_the_local_time_page_s_default_zone_is_typed_like_the_others(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    url = f"/campaigns/{campaign.pk}/local-time/cost/"
    query = {"by": "tags", "day": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
             "hour": "9"}
    assert client.get(url, {**query, "default_zone": "Berlin (Europe/Berlin)"}).status_code == 200
    refused = client.get(url, {**query, "default_zone": "Berlinn"})
    assert refused.status_code == 400
    assert refused.json()["errors"]["default_zone"][0].startswith(
        "Send the accounts whose value is not a time zone at the hour of: “Berlinn” is not")


# "Factory" and "localtime" are files zoneinfo reads, not zones.
@pytest.mark.parametrize("zone", ["Mars/Base", "x" * 65, "", "../etc/passwd", "Factory",
                                  "localtime", "posixrules"])
def test_the_api_refuses_a_zone_that_does_not_exist(api, zone):
    answer = post(api, "/api/campaigns/", {"name": "x", "push": {"MsgBody": TEXT},
                                           "timezone": zone})
    assert answer.status_code == 400
    assert "must be an IANA time zone" in answer.json()["errors"]["timezone"][0]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/Argentina/Buenos_Aires",
                                  "Etc/GMT-8"])
def test_the_api_takes_real_zones(api, zone):
    answer = post(api, "/api/campaigns/", {"name": "x", "push": {"MsgBody": TEXT},
                                           "timezone": zone})
    assert answer.status_code == 201 and answer.json()["timezone"] == zone


def test_a_campaign_shows_its_time_in_its_own_zone(client, marketer):
    """08:57 Europe/Berlin reads as 08:57 CET, not as the viewer's 15:57."""
    berlin = ZoneInfo("Europe/Berlin")
    when = dt.datetime.combine((timezone.now() + dt.timedelta(days=3)).date(), dt.time(8, 57),
                               tzinfo=berlin)
    campaign = services.campaign_create(user=marketer, name="x", push={"MsgBody": TEXT},
                                        send_at=when, tz="Europe/Berlin")
    client.force_login(marketer)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"{date_format(when, 'DATETIME_FORMAT')} (CET, UTC+01:00)" in page
    assert "8:57 a.m." in date_format(when, "DATETIME_FORMAT")


def test_in_chinese_a_campaign_s_zone_is_in_full_width_brackets(client, marketer):
    """"2026年12月6日 03:00 (JST, UTC+09:00)" put ASCII brackets in a Chinese sentence."""
    Preference.objects.create(user=marketer, language="zh-hans", timezone="Asia/Shanghai")
    when = dt.datetime.combine((timezone.now() + dt.timedelta(days=3)).date(), dt.time(3),
                               tzinfo=ZoneInfo("Asia/Tokyo"))
    campaign = services.campaign_create(user=marketer, name="x", push={"MsgBody": TEXT},
                                        send_at=when, tz="Asia/Tokyo")
    client.force_login(marketer)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"{when:%Y}年{when.month}月{when.day}日 03:00（JST, UTC+09:00）" in page


def test_times_on_the_tokens_page_carry_their_zone(client, marketer):
    """The tokens page, like every page with times, names the viewer's zone once."""
    token_create(user=marketer, name="ci")
    client.force_login(marketer)
    page = client.get("/tokens/").content.decode()
    assert "Times are in your time zone, Beijing, Shanghai" in page
