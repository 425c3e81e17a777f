"""Recurring series: RFC 5545 rules in the author's zone, booked a horizon ahead through the
quota, full days under each policy, edits that change only the future, and DST."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns import recurring, services, tasks
from campaigns.models import Campaign, Series
from campaigns.quota import quota_day_of, quota_summary
from campaigns.states import campaign_transition
from core.errors import InvalidInput
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}}
NY, BERLIN, SHANGHAI = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")


def a_series(**fields) -> Series:
    defaults = {"name": "Daily", "push": PUSH, "timezone": "Asia/Shanghai",
                "starts_on": dt.date(2026, 10, 29), "local_time": dt.time(9, 0),
                "rrule": "FREQ=DAILY;COUNT=5"}
    return Series(**{**defaults, **fields})


def local(moments, zone):
    return [m.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for m in moments]


def test_a_weekly_rule_keeps_nine_oclock_across_the_end_of_dst_in_new_york():
    series = a_series(timezone="America/New_York", starts_on=dt.date(2026, 10, 20),
                      rrule=recurring.build_rrule(freq="weekly", weekdays=["TU", "SU"], count=4))
    moments = recurring.occurrences(series, after=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                                    before=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert local(moments, NY) == ["2026-10-20 09:00 EDT", "2026-10-25 09:00 EDT",
                                  "2026-10-27 09:00 EDT", "2026-11-01 09:00 EST"]
    assert [m.astimezone(dt.UTC).hour for m in moments] == [13, 13, 13, 14]


def test_a_daily_rule_keeps_nine_oclock_across_the_start_of_dst_in_berlin():
    series = a_series(timezone="Europe/Berlin", starts_on=dt.date(2027, 3, 26),
                      rrule=recurring.build_rrule(freq="daily", until=dt.date(2027, 3, 29)))
    moments = recurring.occurrences(series, after=dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
                                    before=dt.datetime(2027, 4, 30, tzinfo=dt.UTC))
    assert local(moments, BERLIN) == ["2027-03-26 09:00 CET", "2027-03-27 09:00 CET",
                                      "2027-03-28 09:00 CEST", "2027-03-29 09:00 CEST"]
    assert [m.astimezone(dt.UTC).hour for m in moments] == [8, 8, 7, 7]


def test_a_time_the_clocks_skip_goes_out_just_after_the_jump():
    series = a_series(timezone="America/New_York", starts_on=dt.date(2027, 3, 13),
                      local_time=dt.time(2, 30), rrule="FREQ=DAILY;COUNT=2")
    moments = recurring.occurrences(series, after=dt.datetime(2027, 3, 1, tzinfo=dt.UTC),
                                    before=dt.datetime(2027, 4, 1, tzinfo=dt.UTC))
    assert local(moments, NY) == ["2027-03-13 02:30 EST", "2027-03-14 03:30 EDT"]


def test_a_monthly_rule_on_the_31st_goes_out_only_in_months_that_have_one():
    series = a_series(starts_on=dt.date(2027, 1, 1),
                      rrule=recurring.build_rrule(freq="monthly", month_day=31, count=5))
    moments = recurring.occurrences(series, after=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
                                    before=dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
    assert [m.astimezone(SHANGHAI).date().isoformat() for m in moments] == [
        "2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31", "2027-08-31"]


@pytest.mark.parametrize("choices, field", [
    ({"freq": "hourly", "count": 3}, "freq"),
    ({"freq": "weekly", "weekdays": [], "count": 3}, "weekdays"),
    ({"freq": "monthly", "month_day": 32, "count": 3}, "month_day"),
    ({"freq": "daily"}, "ends"),
    ({"freq": "daily", "count": 0}, "count"),
])
def test_a_bad_rule_is_refused_naming_the_field(choices, field):
    with pytest.raises(InvalidInput) as caught:
        recurring.build_rrule(**choices)
    assert field in caught.value.errors


def tomorrow_local() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date() + dt.timedelta(days=1)


def make_series(marketer, *, rule="FREQ=DAILY;COUNT=3", full_day="skip", at=dt.time(10, 0),
                starts_on=None):
    campaign = services.campaign_create(user=marketer, name="Daily tip", push=PUSH)
    return recurring.series_create(campaign=campaign, user=marketer, rrule=rule,
                                   starts_on=starts_on or tomorrow_local(), local_time=at,
                                   tz="Asia/Shanghai", full_day=full_day)


def occurrences_of(series):
    return list(series.occurrences.order_by("occurrence_at", "id"))


def test_occurrences_are_booked_a_horizon_ahead_so_the_quota_sees_them(marketer, settings):
    settings.RECURRING_HORIZON_DAYS = 5
    series = make_series(marketer, rule="FREQ=DAILY;COUNT=60")
    booked = occurrences_of(series)
    assert 4 <= len(booked) <= 5
    assert {c.status for c in booked} == {"scheduled"}
    first = booked[0]
    assert first.due_at.astimezone(SHANGHAI).time() == dt.time(10, 0)
    assert quota_summary(quota_day_of(first.due_at))["booked"] == 1
    # running again books nothing twice
    assert recurring.series_book_ahead(series=series) == []


def fill_day(marketer, day: dt.date):
    """Book the day's only push (the quota is 1 in these tests)."""
    at = dt.datetime.combine(day, dt.time(20, 0), tzinfo=SHANGHAI)
    services.campaign_create(user=marketer, name="Other", push=PUSH, send_at=at)


def test_a_full_day_is_skipped_and_says_so_under_the_skip_policy(marketer, settings):
    settings.PUSH_DAILY_QUOTA = 1
    fill_day(marketer, tomorrow_local())
    series = make_series(marketer, rule="FREQ=DAILY;COUNT=2", full_day="skip")
    first, second = occurrences_of(series)
    assert first.status == "cancelled" and first.status_reason == "series_skipped_full_day"
    assert first.status_reason_text == (
        f"Skipped: {tomorrow_local().isoformat()} was full, and the series skips full days")
    assert second.status == "scheduled"


def test_a_full_day_moves_to_the_next_day_that_has_room_under_the_next_day_policy(marketer, settings):
    settings.PUSH_DAILY_QUOTA = 1
    day = tomorrow_local()
    fill_day(marketer, day)
    fill_day(marketer, day + dt.timedelta(days=1))  # the next day is full too: look further
    series = make_series(marketer, rule="FREQ=DAILY;COUNT=1", full_day="next_day")
    (moved,) = occurrences_of(series)
    assert moved.status == "scheduled" and moved.status_reason == "series_moved_full_day"
    assert moved.due_at.astimezone(SHANGHAI) == dt.datetime.combine(
        day + dt.timedelta(days=2), dt.time(10, 0), tzinfo=SHANGHAI)
    assert str(day) in moved.status_reason_text and "next day with room" in moved.status_reason_text
    assert quota_summary(day + dt.timedelta(days=2))["remaining"] == 0


def test_editing_a_series_changes_only_future_occurrences(marketer):
    series = make_series(marketer, rule="FREQ=DAILY;COUNT=3")
    first, second, third = occurrences_of(series)
    # the first one went out
    campaign_transition(first, to="sending")
    campaign_transition(first, to="sent", sent_at=timezone.now())
    recurring.series_update(series=series, user=marketer, rrule="FREQ=DAILY;COUNT=3",
                            starts_on=series.starts_on, local_time=dt.time(18, 0),
                            tz="Asia/Shanghai", full_day="skip", name="Evening tip")
    for old in (second, third):
        old.refresh_from_db()
        assert old.status == "cancelled" and old.status_reason == "series_edited"
    first.refresh_from_db()
    assert first.status == "sent" and first.name == "Daily tip"
    new = list(series.occurrences.filter(series_version=2).order_by("occurrence_at"))
    assert [c.due_at.astimezone(SHANGHAI) for c in new] == [
        dt.datetime.combine(tomorrow_local() + dt.timedelta(days=n), dt.time(18, 0),
                            tzinfo=SHANGHAI) for n in (1, 2)]
    assert {c.name for c in new} == {"Evening tip"}


def test_ending_a_series_cancels_what_is_not_sent(marketer):
    series = make_series(marketer)
    recurring.series_end(series=series, user=marketer)
    assert {c.status_reason for c in occurrences_of(series)} == {"series_ended"}
    assert recurring.series_book_ahead(series=series) == []
    assert Campaign.objects.filter(status="scheduled").count() == 0


def series_post(**changes):
    data = {"name": "Weekly tip", "starts_on": tomorrow_local().isoformat(), "local_time": "09:00",
            "timezone": "Asia/Shanghai", "freq": "weekly", "weekdays": ["MO", "TH"],
            "month_day": "", "ends": "count", "count": "4", "until": "", "full_day": "next_day"}
    return {**data, **changes}


def test_the_repeat_page_saves_a_series_and_shows_its_occurrences(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    form = client.get(f"/campaigns/{campaign.pk}/repeat/")
    assert form.status_code == 200
    assert "RFC 5545" not in form.content.decode()  # a standard's number says nothing to people
    answer = client.post(f"/campaigns/{campaign.pk}/repeat/", series_post())
    series = Series.objects.get()
    assert answer.url == f"/series/{series.pk}/"
    assert series.rrule == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"
    assert series.occurrences.filter(status="scheduled").count() >= 3
    page = client.get(answer.url).content.decode()
    assert "Every week on Mon, Thu at 09:00 (Asia/Shanghai), 4 times" in page
    assert "FREQ=" not in page  # the rule in words only
    assert "Weekly tip" in client.get("/series/").content.decode()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_repeat_page_starts_tomorrow_where_the_series_runs(client, marketer, zone):
    """"Tomorrow" on the series' calendar, not the server's: UTC+14 and UTC-11 are never both
    on the server's date, so one of these fails at any hour if the server's is used."""
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH, tz=zone)
    client.force_login(marketer)
    page = client.get(f"/campaigns/{campaign.pk}/repeat/").content.decode()
    tomorrow = timezone.now().astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=1)
    assert f'name="starts_on" value="{tomorrow.isoformat()}"' in page


def test_the_repeat_page_shows_each_rule_error_on_its_field(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    page = client.post(f"/campaigns/{campaign.pk}/repeat/",
                       series_post(weekdays=[], ends="until")).content.decode()
    assert "Choose at least one day of the week" in page
    assert "Give either a last day or a number of occurrences" in page
    assert not Series.objects.exists()


def test_the_series_page_edits_the_rule_and_ends_the_series(client, marketer):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/repeat/", series_post(freq="daily", count="3"))
    series = Series.objects.get()
    answer = client.post(f"/series/{series.pk}/", series_post(
        freq="monthly", month_day="31", ends="until", count="",
        until=(tomorrow_local() + dt.timedelta(days=200)).isoformat()))
    assert answer.status_code == 302
    series.refresh_from_db()
    assert series.version == 2 and series.rrule.startswith("FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=")
    client.post(f"/series/{series.pk}/end/", {"confirm": "yes"})
    series.refresh_from_db()
    assert not series.active
    assert not series.occurrences.filter(status="scheduled").exists()


def test_ending_a_series_first_says_how_many_booked_occurrences_it_cancels(client, marketer):
    """One click on "End the series" does not cancel every booked occurrence unasked."""
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    client.post(f"/campaigns/{campaign.pk}/repeat/", series_post(freq="daily", count="3"))
    series = Series.objects.get()
    assert series.occurrences.filter(status="scheduled").count() == 3
    page = client.get(f"/series/{series.pk}/").content.decode()
    assert "Ending it cancels its 3 booked occurrences; those already sent stay as they were." \
        in page
    assert ('<input type="checkbox" name="confirm" value="yes" required '
            'data-testid="end-series-confirm"> I understand: its 3 booked occurrences are '
            'cancelled, and it cannot be restarted.') in page

    answer = client.post(f"/series/{series.pk}/end/", follow=True)  # the box left unticked
    assert answer.redirect_chain == [(f"/series/{series.pk}/#end-series", 302)]
    assert "Tick the box to confirm ending the series; nothing was cancelled." in \
        answer.content.decode()
    series.refresh_from_db()
    assert series.active and series.occurrences.filter(status="scheduled").count() == 3

    client.post(f"/series/{series.pk}/end/", {"confirm": "yes"})
    series.refresh_from_db()
    assert not series.active and not series.occurrences.filter(status="scheduled").exists()


def test_a_series_with_nothing_booked_says_so_before_it_ends(client, marketer):
    series = make_series(marketer)
    for occurrence in recurring.series_not_sent(series):
        campaign_transition(occurrence, to="cancelled", actor=marketer)
    client.force_login(marketer)
    page = client.get(f"/series/{series.pk}/").content.decode()
    assert "Nothing is booked: ending it only stops it from booking more." in page
    assert "I understand: it cannot be restarted." in page


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "\x00", "-1",
                                   "x" * 300, "99999999999999999999"])
def test_the_series_pages_take_hostile_values_without_a_server_error(client, marketer, value):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    client.force_login(marketer)
    hostile = series_post(starts_on=value, until=value, count=value, month_day=value,
                          local_time=value, ends="until", freq="monthly")
    answer = client.post(f"/campaigns/{campaign.pk}/repeat/", hostile)
    assert answer.status_code == 200 and not Series.objects.exists()
    series = recurring.series_create(campaign=campaign, user=marketer, rrule="FREQ=DAILY;COUNT=1",
                                     starts_on=tomorrow_local(), local_time=dt.time(9),
                                     tz="Asia/Shanghai", full_day="skip")
    assert client.post(f"/series/{series.pk}/", hostile).status_code == 200


def test_the_beat_task_tops_each_series_up_to_the_horizon(marketer, settings):
    settings.RECURRING_HORIZON_DAYS = 2
    series = make_series(marketer, rule="FREQ=DAILY;COUNT=10")
    before = series.occurrences.count()
    settings.RECURRING_HORIZON_DAYS = 6
    added = tasks.book_recurring_ahead()
    assert added > 0 and series.occurrences.count() == before + added
    assert tasks.book_recurring_ahead() == 0


def test_a_series_name_the_database_cannot_store_is_refused_naming_the_field(marketer):
    campaign = services.campaign_create(user=marketer, name="Tip", push=PUSH)
    with pytest.raises(InvalidInput) as caught:
        recurring.series_create(campaign=campaign, user=marketer, rrule="FREQ=DAILY;COUNT=1",
                                starts_on=tomorrow_local(), local_time=dt.time(9),
                                tz="Asia/Shanghai", full_day="skip", name="Tip \ud800")
    assert list(caught.value.errors) == ["name"]
    assert not Series.objects.exists()
