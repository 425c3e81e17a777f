"""Date and time inputs show their values in every language: a browser's date, time and
datetime-local inputs read only ISO 8601 and show anything else as blank.

In Simplified Chinese, value="2026/12/06" (Django's Chinese input format) would leave the
repeat and local-time forms' first day blank, to be typed again."""

import datetime as dt
import re

import pytest
from django import forms
from django.urls import get_resolver
from django.utils import translation

from campaigns import recurring, services
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db

SAMPLES = {"date": (dt.date(2026, 12, 6), "2026-12-06"),
           "time": (dt.time(9, 5), "09:05"),
           "datetime-local": (dt.datetime(2026, 12, 6, 9, 5), "2026-12-06T09:05")}
OUR_APPS = {"core", "audience", "campaigns", "reports", "config"}


def product_forms() -> list[type[forms.BaseForm]]:
    get_resolver().url_patterns  # imports every view, and with them every form  # noqa: B018
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in OUR_APPS:
            found.append(cls)
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_date_and_time_input_in_the_product_writes_iso(language):
    written = {}
    for form in product_forms():
        for name, field in form.base_fields.items():
            kind = getattr(field.widget, "input_type", "")
            if kind in SAMPLES:
                with translation.override(language):
                    written[(form.__name__, name)] = (field.widget.format_value(
                        SAMPLES[kind][0]), SAMPLES[kind][1])
    assert {("SeriesForm", "starts_on"), ("SeriesForm", "until"), ("SeriesForm", "local_time"),
            ("LocalTimeForm", "day"), ("CampaignForm", "send_at_local")} <= set(written)
    assert {key: got for key, (got, iso) in written.items() if got != iso} == {}


def field_value(page, name: str) -> str:
    found = re.search(rf'<input type="[a-z-]+" name="{name}" value="([^"]*)"',
                      page.content.decode())
    return found[1] if found else ""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_repeat_and_local_time_forms_come_with_their_dates(client, marketer, language):
    campaign = services.campaign_create(user=marketer, name="Tips", push={"MsgBody": TEXT})
    client.force_login(marketer)
    repeat = client.get(f"/campaigns/{campaign.pk}/repeat/", HTTP_ACCEPT_LANGUAGE=language)
    first_day = repeat.context["form"].initial["starts_on"]
    assert field_value(repeat, "starts_on") == first_day.isoformat()
    assert field_value(repeat, "local_time") == "09:00"
    split = client.get(f"/campaigns/{campaign.pk}/local-time/", HTTP_ACCEPT_LANGUAGE=language)
    assert field_value(split, "day") == split.context["form"].initial["day"].isoformat()


def test_a_series_ending_on_a_date_shows_its_days_in_chinese(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Tips", push={"MsgBody": TEXT})
    first = dt.date.today() + dt.timedelta(days=2)
    last = first + dt.timedelta(days=14)
    series = recurring.series_create(
        campaign=campaign, user=marketer, rrule=recurring.build_rrule(
            freq="daily", weekdays=(), month_day=None, count=None, until=last),
        starts_on=first, local_time=dt.time(8, 30), tz="Asia/Shanghai", full_day="skip")
    client.force_login(marketer)
    page = client.get(f"/series/{series.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (field_value(page, "starts_on"), field_value(page, "until"),
            field_value(page, "local_time")) == (first.isoformat(), last.isoformat(), "08:30")
