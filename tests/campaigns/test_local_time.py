"""Delivery at each user's local time: one push per zone bucket, each booked on its own quota
day, proven against the emulator over HTTP; the cost before saving; quiet hours."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from audience.models import AccountAttr, AccountTag, AttributeName, KnownAccount
from campaigns import dispatch, local_time, selectors, services
from campaigns.models import Attempt, Campaign, Workspace
from campaigns.quota import quota_day_of
from core.errors import InvalidInput
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONES = {"Asia/Tokyo": ["u1", "u2"], "Europe/Berlin": ["u3"], "America/New_York": ["u4"],
         "America/Los_Angeles": ["u5"]}


def mirror(zones=ZONES, *, attribute="tz"):
    """What the product's bulk jobs would have left in the audience mirror."""
    AttributeName.objects.get_or_create(index=0, defaults={"name": attribute})
    for zone, accounts in zones.items():
        for account in accounts:
            KnownAccount.objects.get_or_create(account=account)
            AccountAttr.objects.create(account=account, name=attribute, value=zone)
            AccountTag.objects.create(account=account, tag=f"tz:{zone}")


def a_day_ahead(days=3) -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date() + dt.timedelta(days=days)


def draft(user, push=None):
    return services.campaign_create(user=user, name="Morning news",
                                    push=push or {"MsgBody": TEXT})


def test_it_offers_only_real_zones_that_hold_known_accounts():
    mirror()
    AccountAttr.objects.create(account="ghost", name="tz", value="Asia/Seoul")  # not known
    KnownAccount.objects.create(account="odd")
    AccountAttr.objects.create(account="odd", name="tz", value="Mars/Olympus")
    assert local_time.offered_zones(by="attr", key="tz") == {
        "America/Los_Angeles": 1, "America/New_York": 1, "Asia/Tokyo": 2, "Europe/Berlin": 1}
    assert set(local_time.offered_zones(by="tags", key="")) == set(ZONES)


def test_it_offers_and_charges_only_the_zones_the_campaign_s_audience_is_in(client, marketer):
    """A zone none of the audience is in would cost a push that reaches nobody."""
    mirror()
    AccountTag.objects.create(account="u1", tag="vip")  # in Asia/Tokyo
    AccountTag.objects.create(account="u4", tag="vip")  # in America/New_York
    vip = draft(marketer, {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}})
    assert local_time.offered_zones(by="tags", key="", push=vip.push) == {
        "America/New_York": 1, "Asia/Tokyo": 1}
    client.force_login(marketer)
    page = client.get(f"/campaigns/{vip.pk}/local-time/?by=tags").content.decode()
    assert 'value="Asia/Tokyo"' in page and 'value="Europe/Berlin"' not in page
    assert "2 zones = " in page
    with pytest.raises(InvalidInput) as caught:
        local_time.campaign_split_by_zone(campaign=vip, user=marketer, day=a_day_ahead(),
                                          hour=9, by="tags", zones=["Asia/Tokyo", "Europe/Berlin"])
    assert "audience is in Europe/Berlin" in caught.value.errors["zones"][0]


def test_an_hour_already_passed_names_every_zone_at_once_and_the_cost_line_warns(marketer):
    mirror()
    today = timezone.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    # 00:00 today has passed in every zone whose day began before Kiritimati's ended
    with pytest.raises(InvalidInput) as caught:
        local_time.campaign_split_by_zone(campaign=draft(marketer), user=marketer,
                                          day=today - dt.timedelta(days=1), hour=0, by="attr",
                                          key="tz", zones=list(ZONES))
    day = (today - dt.timedelta(days=1)).isoformat()
    words = (f"{day} 00:00 has already passed in America/Los_Angeles, America/New_York, "
             f"Asia/Tokyo, Europe/Berlin; choose a later day")
    assert caught.value.errors == {"day": [words]}
    assert not Campaign.objects.filter(parent__isnull=False).exists()
    cost = local_time.split_cost(day=today - dt.timedelta(days=1), hour=0, zones=list(ZONES))
    assert local_time.cost_words(cost) == words


def test_the_cost_is_one_push_per_zone_on_the_quota_day_each_lands_on():
    day = dt.date(2026, 12, 8)
    cost = local_time.split_cost(day=day, hour=9, zones=list(ZONES))
    # Tokyo 09:00 = 08:00 Shanghai; Berlin 16:00; New York 22:00; Los Angeles 01:00 the next day
    assert cost["days"] == [{"day": "2026-12-08", "pushes": 3, "remaining": 100},
                            {"day": "2026-12-09", "pushes": 1, "remaining": 100}]
    assert local_time.cost_words(cost) == (
        "4 zones = 3 of 2026-12-08's 100 pushes (100 left); "
        "1 of 2026-12-09's 100 pushes (100 left)")
    with translation.override("zh-hans"):  # was "（剩余 100 次）; 占用": an ASCII semicolon
        assert local_time.cost_words(cost) == (
            "4 个时区 = 占用 2026-12-08 的 100 次推送中的 3 次（剩余 100 次）；"
            "占用 2026-12-09 的 100 次推送中的 1 次（剩余 100 次）")


def test_with_no_zone_chosen_the_cost_says_nothing_would_be_booked():
    """An app with no zone data read "0 zones = 0"."""
    cost = local_time.split_cost(day=dt.date(2026, 12, 8), hour=9, zones=[])
    assert local_time.cost_words(cost) == "No time zone is chosen: nothing would be booked."


def test_a_split_books_one_child_per_zone_at_its_local_hour_and_the_calendar_shows_each(
        marketer):
    mirror()
    parent = draft(marketer)
    day = a_day_ahead()
    children = local_time.campaign_split_by_zone(campaign=parent, user=marketer, day=day,
                                                 hour=9, by="attr", key="tz", zones=list(ZONES))
    parent.refresh_from_db()
    assert parent.status == "split"
    # Not "Sent as …": nothing is sent yet
    assert parent.status_reason_text == ("Split by time zone into 4 pushes, each at 09:00 local "
                                         "time")
    assert len(children) == 4 and {c.status for c in children} == {"scheduled"}
    for child in children:
        assert child.parent_id == parent.pk
        local = child.due_at.astimezone(ZoneInfo(child.bucket_zone))
        assert (local.date(), local.hour, local.minute) == (day, 9, 0)
        assert child.push["Condition"] == {"AttrsAnd": {"tz": child.bucket_zone}}
    month = selectors.calendar_month(day.year, day.month, parent.app)
    booked = {cell["date"]: cell["booked"] for week in month["weeks"] for cell in week}
    assert booked[day] == 3 and booked[day + dt.timedelta(days=1)] == 1


def test_bucketed_delivery_reaches_the_emulator_as_one_push_per_zone(marketer, tim, tim_client):
    tim_client.members.set_attr_names({"0": "tz"})
    mirror()
    parent = draft(marketer)
    zones = ["Asia/Tokyo", "Europe/Berlin", "America/New_York"]
    local_time.campaign_split_by_zone(campaign=parent, user=marketer, day=a_day_ahead(),
                                      hour=9, by="attr", key="tz", zones=zones)
    # The morning has come in every zone: the buckets are due now.
    Campaign.objects.filter(parent=parent).update(due_at=timezone.now())
    sent = dispatch.dispatch_due_campaigns(run_seconds=4.5)
    pushes = tim.state()["pushes"]
    assert sent == 3 and len(pushes) == 3
    assert sorted(p["body"]["Condition"]["AttrsAnd"]["tz"] for p in pushes) == sorted(zones)
    assert {c.status for c in Campaign.objects.filter(parent=parent)} == {"sent"}
    assert sorted(c.task_id for c in Campaign.objects.filter(parent=parent)) == \
        sorted(p["task_id"] for p in pushes)


def test_buckets_by_tags_add_the_zone_tag_to_the_campaigns_tags(marketer):
    mirror()
    AccountTag.objects.create(account="u1", tag="vip")  # in Asia/Tokyo
    parent = draft(marketer, {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}})
    (child,) = local_time.campaign_split_by_zone(campaign=parent, user=marketer,
                                                 day=a_day_ahead(), hour=9, by="tags",
                                                 zones=["Asia/Tokyo"])
    assert child.push["Condition"] == {"TagsOr": ["vip"], "TagsAnd": ["tz:Asia/Tokyo"]}


def test_a_campaign_for_some_zones_tags_splits_into_a_push_per_zone_tag(marketer):
    """A campaign for "any of tz:Asia/Tokyo, tz:Europe/Berlin": each bucket is its zone's tag
    alone, since a tag in both TagsAnd and TagsOr is refused."""
    mirror()
    parent = draft(marketer, {"MsgBody": TEXT, "Condition": {
        "TagsOr": ["tz:Asia/Tokyo", "tz:Europe/Berlin"]}})
    assert set(local_time.offered_zones(by="tags", key="", push=parent.push)) == {
        "Asia/Tokyo", "Europe/Berlin"}
    children = local_time.campaign_split_by_zone(campaign=parent, user=marketer,
                                                 day=a_day_ahead(), hour=9, by="tags",
                                                 zones=["Asia/Tokyo", "Europe/Berlin"])
    assert sorted(c.push["Condition"]["TagsAnd"] for c in children) == [
        ["tz:Asia/Tokyo"], ["tz:Europe/Berlin"]]
    assert all("TagsOr" not in c.push["Condition"] for c in children)


def test_a_zone_without_known_accounts_and_a_tag_campaign_by_attribute_are_refused(marketer):
    mirror()
    with pytest.raises(InvalidInput) as caught:
        local_time.campaign_split_by_zone(campaign=draft(marketer), user=marketer,
                                          day=a_day_ahead(), hour=9, by="attr", key="tz",
                                          zones=["Asia/Seoul"])
    assert caught.value.errors["zones"] == [
        "No known account of the campaign's audience is in Asia/Seoul; choose from the time "
        "zones offered"]
    tagged = draft(marketer, {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}})
    with pytest.raises(InvalidInput) as caught:
        local_time.campaign_split_by_zone(campaign=tagged, user=marketer, day=a_day_ahead(),
                                          hour=9, by="attr", key="tz", zones=["Asia/Tokyo"])
    assert "Tencent refuses tags and attributes together" in caught.value.errors["by"][0]


def test_a_full_quota_day_rolls_the_whole_split_back(marketer, settings):
    settings.PUSH_DAILY_QUOTA = 1
    mirror()
    day = a_day_ahead()
    services.campaign_create(user=marketer, name="Other", push={"MsgBody": TEXT},
                             send_at=dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI))
    parent = draft(marketer)
    with pytest.raises(InvalidInput) as caught:
        local_time.campaign_split_by_zone(campaign=parent, user=marketer, day=day, hour=9,
                                          by="attr", key="tz",
                                          zones=["Asia/Tokyo", "America/Los_Angeles"])
    assert f"Asia/Tokyo: {day.isoformat()} is full" in caught.value.errors["zones"][0]
    parent.refresh_from_db()
    assert parent.status == "draft" and not Campaign.objects.filter(parent=parent).exists()


def quiet(start=dt.time(22), end=dt.time(8)):
    Workspace.objects.update_or_create(pk=1, defaults={"quiet_start": start, "quiet_end": end})


def test_a_bucket_in_quiet_hours_is_refused_with_a_clear_message(marketer):
    quiet()
    mirror()
    day = a_day_ahead()
    with pytest.raises(InvalidInput) as caught:
        local_time.campaign_split_by_zone(campaign=draft(marketer), user=marketer, day=day,
                                          hour=23, by="attr", key="tz", zones=["Asia/Tokyo"])
    assert caught.value.errors["zones"] == [
        f"Asia/Tokyo: {day.isoformat()} 23:00 in Asia/Tokyo is in the workspace's quiet hours "
        "(22:00–08:00); choose another time, or choose to move it to when quiet hours end"]


def test_a_bucket_in_quiet_hours_is_moved_when_the_author_chooses(marketer):
    quiet()
    mirror()
    day = a_day_ahead()
    (child,) = local_time.campaign_split_by_zone(
        campaign=draft(marketer), user=marketer, day=day, hour=23, by="attr", key="tz",
        zones=["Europe/Berlin"], quiet_hours="move")
    local = child.due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.date(), local.hour) == (day + dt.timedelta(days=1), 8)
    assert child.status_reason == "moved_quiet_hours"
    assert "is in the workspace's quiet hours (22:00–08:00)" in child.status_reason_text


def test_an_ordinary_campaign_in_quiet_hours_is_refused_or_moved_as_its_author_chose(marketer):
    quiet()
    at = dt.datetime.combine(a_day_ahead(), dt.time(23, 30), tzinfo=SHANGHAI)
    with pytest.raises(InvalidInput) as caught:
        services.campaign_create(user=marketer, name="Late", push={"MsgBody": TEXT},
                                 send_at=at, tz="Asia/Shanghai")
    assert "is in the workspace's quiet hours" in caught.value.errors["send_at"][0]
    moved = services.campaign_create(user=marketer, name="Late", push={"MsgBody": TEXT},
                                     send_at=at, tz="Asia/Shanghai", quiet_hours="move")
    assert moved.due_at == dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time(8),
                                               tzinfo=SHANGHAI)
    assert moved.send_at == at and moved.status_reason == "moved_quiet_hours"


def test_the_local_time_page_offers_the_zones_and_shows_the_cost_before_saving(client, marketer):
    mirror()
    parent = draft(marketer)
    client.force_login(marketer)
    page = client.get(f"/campaigns/{parent.pk}/local-time/").content.decode()
    assert "Asia/Tokyo (2)" in page and "Mars" not in page
    assert "4 zones = " in page
    day = a_day_ahead()
    cost = client.get(f"/campaigns/{parent.pk}/local-time/cost/", {
        "by": "attr", "attribute": "tz", "day": day.isoformat(), "hour": "9",
        "zones": ["Asia/Tokyo", "Europe/Berlin"]}).json()
    assert cost["words"].startswith("2 zones = 2 of ")
    bad = client.get(f"/campaigns/{parent.pk}/local-time/cost/", {"day": "soon", "hour": "9"})
    assert bad.status_code == 400 and "day" in bad.json()["errors"]
    answer = client.post(f"/campaigns/{parent.pk}/local-time/", {
        "by": "attr", "attribute": "tz", "day": day.isoformat(), "hour": "9",
        "zones": ["Asia/Tokyo", "Europe/Berlin"], "quiet_hours": "refuse"})
    assert answer.status_code == 302
    detail = client.get(f"/campaigns/{parent.pk}/").content.decode()
    assert "Split by time zone" in detail and "Europe/Berlin" in detail
    unconfirmed = client.post(f"/campaigns/{parent.pk}/local-time/cancel/", follow=True)
    assert "Tick the box to confirm; nothing was cancelled." in unconfirmed.content.decode()
    assert "cancelled" not in set(Campaign.objects.filter(parent=parent)
                                  .values_list("status", flat=True))
    client.post(f"/campaigns/{parent.pk}/local-time/cancel/", {"confirm": "yes"})
    assert set(Campaign.objects.filter(parent=parent).values_list("status", flat=True)) == {
        "cancelled"}


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "\x00", "-1",
                                   "Mars/Base", "x" * 300])
def test_the_local_time_pages_take_hostile_values_without_a_server_error(client, marketer,
                                                                         value):
    mirror()
    parent = draft(marketer)
    client.force_login(marketer)
    hostile = {"by": value, "attribute": value, "day": value, "hour": value, "zones": [value],
               "quiet_hours": value, "default_zone": value}
    assert client.get(f"/campaigns/{parent.pk}/local-time/", hostile).status_code == 200
    assert client.post(f"/campaigns/{parent.pk}/local-time/", hostile).status_code == 200
    assert client.get(f"/campaigns/{parent.pk}/local-time/cost/", hostile).status_code == 400
    parent.refresh_from_db()
    assert parent.status == "draft"


def test_the_editor_offers_the_quiet_hours_choice_only_when_the_workspace_has_them(
        client, marketer):
    client.force_login(marketer)
    assert "quiet hours" not in client.get("/campaigns/new/").content.decode()
    quiet()
    page = client.get("/campaigns/new/").content.decode()
    assert "If the time is in the workspace&#x27;s quiet hours (22:00–08:00)" in page
    assert "Move it to when quiet hours end" in page


def test_a_campaign_moved_off_a_full_day_by_the_sender_waits_for_quiet_hours_to_end(
        marketer, settings, tim):
    quiet()
    campaign = services.campaign_create(user=marketer, name="Sale", push={"MsgBody": TEXT},
                                        tz="Asia/Shanghai")
    # booked for now, outside quiet hours whatever the hour this test runs at
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled", due_at=timezone.now(),
                                                   send_at=timezone.now())
    # The day filled up after it was booked (tomorrow has room: a full day moves to the first
    # day with room).
    settings.PUSH_DAILY_QUOTA = 1
    Attempt.objects.create(campaign=services.campaign_create(user=marketer, name="other",
                                                             push={"MsgBody": TEXT}),
                           msg_random=1, started_at=timezone.now(), outcome="ok",
                           quota_day=quota_day_of(timezone.now()))
    dispatch.dispatch_due_campaigns(run_seconds=0.3)
    campaign.refresh_from_db()
    local = campaign.due_at.astimezone(SHANGHAI)
    tomorrow = timezone.now().astimezone(SHANGHAI).date() + dt.timedelta(days=1)
    assert (campaign.status, campaign.status_reason) == ("scheduled", "moved_full_day")
    assert (local.date(), local.time()) == (tomorrow, dt.time(8, 0))
    assert tim.state()["pushes"] == []


# --- what local-time delivery says is what it does ------------------------------------------

WRONG = {"Berlin": ["w1", "w2", "w3"], "GMT+8": ["w4"]}


def mirror_with_wrong_zones(*, attribute="tz"):
    """The four real zones, two values that are not zones, and one known account with none."""
    mirror()
    mirror(WRONG, attribute=attribute)
    KnownAccount.objects.create(account="nozone")


def page_of(client, parent, **query):
    return client.get(f"/campaigns/{parent.pk}/local-time/", query).content.decode()


def test_the_page_names_the_accounts_whose_zone_is_not_a_time_zone_and_does_not_claim_them(
        client, marketer):
    mirror_with_wrong_zones()
    parent = draft(marketer)
    client.force_login(marketer)
    page = page_of(client, parent)
    assert "3 accounts have tz=Berlin, which is not a time zone; they get no push." in page
    assert "1 account has tz=GMT+8, which is not a time zone; it gets no push." in page
    assert ("1 known account has no time zone: a push condition cannot select accounts by a "
            "tag or attribute they lack, so it gets no push.") in page
    # 5 of the 10 known accounts hold a real zone: the page says so, not "10".
    assert ("These pushes reach about 5 of the 10 known accounts in the campaign&#x27;s "
            "audience; 5 get no push.") in page
    by_tags = page_of(client, parent, by="tags")
    assert "3 accounts have the tag tz:Berlin, which is not a time zone; they get no push." \
        in by_tags


def test_the_default_zone_is_offered_only_when_some_value_is_not_a_time_zone(client, marketer):
    """It takes in tz=Berlin and the like, never accounts with no zone: offered beside "1 known
    account has no time zone" alone, it read as a way to reach them (found walking the page)."""
    mirror()
    KnownAccount.objects.create(account="nozone")
    parent = draft(marketer)
    client.force_login(marketer)
    page = page_of(client, parent)
    assert "1 known account has no time zone" in page
    assert 'name="default_zone"' not in page
    mirror(WRONG)
    page = page_of(client, parent)
    assert "3 accounts have tz=Berlin, which is not a time zone" in page
    assert 'name="default_zone"' in page


def test_with_no_zone_known_the_page_says_where_zones_are_set_and_books_nothing(client,
                                                                               marketer):
    """An app without zone data offered "Book one push per time zone" under "0 zones = 0", and
    no word of where a zone comes from (found walking the page on a second app)."""
    KnownAccount.objects.create(account="nozone")
    parent = draft(marketer)
    client.force_login(marketer)
    for source in ("tags", "attr"):
        page = page_of(client, parent, by=source)
        assert "Accounts get a time zone on the Audiences page, where an audience manager tags " \
               "them (tz:Asia/Tokyo) or sets a time-zone attribute." in page
        assert 'data-testid="split"' not in page
        assert "No time zone is chosen: nothing would be booked." in page
    mirror()
    assert 'data-testid="split"' in page_of(client, parent)


def test_the_cost_and_reach_count_the_default_zone_s_pushes_for_the_wrong_values(
        client, marketer):
    mirror_with_wrong_zones()
    parent = draft(marketer)
    client.force_login(marketer)
    day = dt.date(2026, 12, 8)
    cost = client.get(f"/campaigns/{parent.pk}/local-time/cost/", {
        "by": "attr", "attribute": "tz", "day": day.isoformat(), "hour": "9",
        "zones": ["Asia/Tokyo"], "default_zone": "Europe/Berlin"}).json()
    # Tokyo 09:00 and Berlin 09:00 (twice: tz=Berlin and tz=GMT+8) all fall on 2026-12-08
    assert cost["words"].startswith(
        "1 zone and 2 values that are not time zones = 3 of 2026-12-08's 100 pushes")
    assert cost["reach_words"] == ("These pushes reach about 6 of the 10 known accounts in the "
                                   "campaign's audience; 4 get no push.")


def test_a_default_zone_sends_each_wrong_value_at_its_hour_and_the_emulator_gets_it(
        client, marketer, tim, tim_client):
    tim_client.members.set_attr_names({"0": "tz"})
    mirror_with_wrong_zones()
    parent = draft(marketer)
    client.force_login(marketer)
    day = a_day_ahead()
    answer = client.post(f"/campaigns/{parent.pk}/local-time/", {
        "by": "attr", "attribute": "tz", "day": day.isoformat(), "hour": "9",
        "zones": ["Asia/Tokyo"], "default_zone": "Europe/Berlin", "quiet_hours": "refuse"})
    assert answer.status_code == 302
    children = Campaign.objects.filter(parent=parent).order_by("id")
    assert [(c.bucket_zone, c.push["Condition"]) for c in children] == [
        ("Asia/Tokyo", {"AttrsAnd": {"tz": "Asia/Tokyo"}}),
        ("Europe/Berlin", {"AttrsAnd": {"tz": "Berlin"}}),
        ("Europe/Berlin", {"AttrsAnd": {"tz": "GMT+8"}})]
    berlin = children[1].due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.date(), berlin.hour) == (day, 9)
    detail = client.get(f"/campaigns/{parent.pk}/").content.decode()
    assert "Europe/Berlin (tz=Berlin)" in detail and "Europe/Berlin (tz=GMT+8)" in detail
    # the parent's reach is its pushes', not its whole audience
    assert "About 6 of 10 known accounts match." in detail
    children.update(due_at=timezone.now())
    assert dispatch.dispatch_due_campaigns(run_seconds=4.5) == 3
    assert sorted(p["body"]["Condition"]["AttrsAnd"]["tz"] for p in tim.state()["pushes"]) == [
        "Asia/Tokyo", "Berlin", "GMT+8"]


def test_the_parent_shows_each_bucket_at_its_own_local_time_and_says_sent_only_once_sent(
        client, marketer):
    mirror()
    parent = draft(marketer)
    client.force_login(marketer)  # the viewer reads times in Asia/Shanghai
    day = a_day_ahead()
    local_time.campaign_split_by_zone(campaign=parent, user=marketer, day=day, hour=9,
                                      by="attr", key="tz", zones=list(ZONES))
    detail = client.get(f"/campaigns/{parent.pk}/").content.decode()
    for zone in ZONES:
        assert f"{day.isoformat()} 09:00 {zone}" in detail
    assert "At each time zone’s local time: see its pushes below." in detail
    # not the author's zone as if it were the campaign's ("Time zone: Beijing, Shanghai")
    assert 'data-testid="campaign-zone"' not in detail
    assert "Not scheduled" not in detail
    assert "Sent as" not in detail
    assert "0 of 4 pushes sent so far; 4 booked." in detail
    assert 'data-testid="cancel-split"' in detail
    Campaign.objects.filter(parent=parent).update(status="sent")
    detail = client.get(f"/campaigns/{parent.pk}/").content.decode()
    assert "Sent as 4 pushes." in detail
    # Nothing left to cancel, and no "not sent yet": each push has its own attempts and report.
    assert 'data-testid="cancel-split"' not in detail
    assert "Not sent yet." not in detail and 'data-testid="report-empty"' not in detail


def next_skipped_hour(zone: str) -> tuple[dt.date, int]:
    """The next day (after tomorrow) whose clocks in `zone` skip an hour, and that hour."""
    day = a_day_ahead(2)
    tz = ZoneInfo(zone)
    while True:
        for hour in range(24):
            local = dt.datetime.combine(day, dt.time(hour))
            there = local.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)
            if there.replace(tzinfo=None) != local:
                return day, hour
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
def test_an_hour_skipped_by_daylight_saving_is_refused_in_the_editor_s_words(
        client, marketer, zone):
    mirror()
    parent = draft(marketer)
    client.force_login(marketer)
    day, hour = next_skipped_hour(zone)
    words = (f"{day.isoformat()} {hour:02d}:00 does not exist in {zone}: the clocks skip it "
             "for daylight saving; choose another time")
    form = {"by": "attr", "attribute": "tz", "day": day.isoformat(), "hour": str(hour),
            "zones": [zone, "Asia/Tokyo"], "quiet_hours": "refuse"}
    page = client.post(f"/campaigns/{parent.pk}/local-time/", form)
    assert page.status_code == 200 and words in page.content.decode()
    assert not Campaign.objects.filter(parent=parent).exists()
    cost = client.get(f"/campaigns/{parent.pk}/local-time/cost/", form)
    assert cost.status_code == 400 and cost.json()["errors"]["hour"] == [words]


def test_the_page_reads_zones_where_the_audience_can_be_split_and_says_so_up_front(
        client, marketer):
    """A tag audience opens on tags; zones read from an attribute the audience already uses are
    refused before anything is chosen, with no reach claimed."""
    mirror()
    client.force_login(marketer)
    vip = draft(marketer, {"MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}})
    page = client.get(f"/campaigns/{vip.pk}/local-time/").content.decode()
    assert 'value="tags" data-autosubmit-radio checked' in page
    berlin = draft(marketer, {"MsgBody": TEXT, "Condition": {"AttrsAnd": {"tz": "Europe/Berlin"}}})
    page = client.get(f"/campaigns/{berlin.pk}/local-time/?by=attr&attribute=tz").content.decode()
    assert "The campaign&#x27;s audience already uses the attribute tz" in page
    assert "These pushes reach" not in page


UNSEEN_BY_TAGS = ("The campaign is for everyone who uses the app, which includes accounts this "
                  "product has never tagged or given attributes: they are not counted here, and "
                  "get no push unless a chosen zone&#x27;s tag (tz:…) was set on them elsewhere.")


def test_by_tags_everyone_hears_who_has_no_zone_tag_and_that_unseen_accounts_get_nothing(
        client, marketer):
    """Split by tags, a campaign for everyone reaches only accounts with a tz: tag: the page
    counts the known accounts without one (one has a zone attribute, but no tag) and says that
    the accounts it has never seen get no push."""
    mirror()
    KnownAccount.objects.create(account="nozone")
    KnownAccount.objects.create(account="attr-only")
    AccountAttr.objects.create(account="attr-only", name="tz", value="Asia/Tokyo")
    client.force_login(marketer)
    everyone = draft(marketer)
    page = page_of(client, everyone, by="tags")
    assert ("2 known accounts have no time-zone tag (tz:…): a push condition cannot select "
            "accounts by a tag they lack, so they get no push.") in page
    assert UNSEEN_BY_TAGS in page
    by_attribute = page_of(client, everyone, by="attr", attribute="tz")
    assert "1 known account has no time zone" in by_attribute
    assert ("they are not counted here, and get no push unless their tz attribute was set to a "
            "chosen zone elsewhere.") in by_attribute
    # an audience of tags: who gets no push is counted in the reach line, not here
    vip = draft(marketer, {"MsgBody": TEXT, "Condition": {"TagsOr": ["tz:Asia/Tokyo", "vip"]}})
    assert "never tagged" not in page_of(client, vip, by="tags")


def test_a_split_into_one_push_says_push_not_pushes():
    from campaigns.models import Campaign
    from campaigns.selectors import split_progress_words
    one = [Campaign(status=Campaign.Status.SCHEDULED)]
    assert split_progress_words(one) == "0 of 1 push sent so far; 1 booked."
