"""The daily limit admins raise: PUT /api/quota/ and the home page's form, audited, and seen at
once by bookings, the calendar and the dispatcher; bookings made at the same moment never
exceed it."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from campaigns import dispatch, services
from campaigns.models import Campaign
from campaigns.quota import quota_booked, quota_day_of, quota_summary
from core.models import AuditEvent
from tests.conftest import TEXT, make_user
from tests.stack import require_service

pytestmark = pytest.mark.django_db


def token_client(client, user):
    from core.tokens import token_create
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token_create(user=user)[1]}"
    return client


def put(client, body, **headers):
    return client.put("/api/quota/", body, content_type="application/json", **headers)


def test_an_admin_sets_the_limit_and_it_is_audited(client, admin_user, settings):
    settings.PUSH_DAILY_QUOTA = 100
    answer = put(token_client(client, admin_user), {"limit": 250})
    assert answer.status_code == 200 and answer.json()["limit"] == 250
    assert client.get("/api/quota/").json()["remaining"] == 250
    event = AuditEvent.objects.get(verb="quota.limit_set")
    assert (event.actor, event.params) == (admin_user, {"before": 100, "after": 250})
    client.force_login(admin_user)
    trail = client.get("/audit/", {"kind": "quota"}).content.decode()
    assert "set the daily push limit: 100 → 250" in trail and "ada" in trail


def test_a_marketer_cannot_set_it(client, marketer):
    assert put(token_client(client, marketer), {"limit": 250}).status_code == 403
    assert quota_summary()["limit"] == 100


@pytest.mark.parametrize("value", [0, -1, 1_000_001, "many", True, 2.5, None])
def test_a_limit_that_is_not_a_whole_number_of_pushes_is_refused_by_name(client, admin_user,
                                                                         value):
    answer = put(token_client(client, admin_user), {"limit": value})
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["limit"], answer.json()
    assert quota_summary()["limit"] == 100


def test_raising_the_limit_opens_a_full_day_to_bookings_at_once(admin_user, marketer, tim):
    from campaigns.quota import quota_limit_set
    from core.errors import InvalidInput
    quota_limit_set(user=admin_user, limit=1)
    services.campaign_create(user=marketer, name="a", push={"MsgBody": TEXT},
                             send_at=timezone.now())
    with pytest.raises(InvalidInput) as full:
        services.campaign_create(user=marketer, name="b", push={"MsgBody": TEXT},
                                 send_at=timezone.now())
    assert "1 pushes are used or booked" in str(full.value)
    quota_limit_set(user=admin_user, limit=2)
    services.campaign_create(user=marketer, name="b", push={"MsgBody": TEXT},
                             send_at=timezone.now())
    assert quota_summary()["booked"] == 2 and quota_summary()["remaining"] == 0


def test_the_dispatcher_reads_the_limit_on_every_push(admin_user, marketer, tim, settings):
    from campaigns.quota import quota_limit_set
    settings.PUSH_MIN_INTERVAL_SECONDS = 0.05
    tim.post("config", {"min_push_interval": 0.0})
    quota_limit_set(user=admin_user, limit=3)
    ids = [services.campaign_create(user=marketer, name=f"c{i}", push={"MsgBody": TEXT},
                                    send_at=timezone.now()).pk for i in range(3)]
    quota_limit_set(user=admin_user, limit=2)  # lowered after booking
    dispatch.dispatch_due_campaigns(run_seconds=1.0)
    statuses = sorted(services.Campaign.objects.filter(pk__in=ids)
                      .values_list("status", "status_reason"))
    assert statuses == [("scheduled", "moved_full_day"), ("sent", ""), ("sent", "")]


def test_home_and_the_calendar_show_the_new_limit_and_admins_set_it_there(client, admin_user,
                                                                        marketer):
    client.force_login(admin_user)
    page = client.post("/quota/limit/", {"limit": "321"}, follow=True).content.decode()
    assert "The daily push limit is now 321." in page and "/ 321" in page
    assert "321" in client.get("/calendar/").content.decode()
    refused = client.post("/quota/limit/", {"limit": "0"}, follow=True).content.decode()
    assert "The daily limit must be a whole number of pushes from 1 to" in refused
    client.force_login(marketer)
    assert 'name="limit"' not in client.get("/").content.decode()
    assert client.post("/quota/limit/", {"limit": "5"}).status_code == 403
    assert quota_summary()["limit"] == 321


@pytest.mark.django_db(transaction=True)
def test_50_concurrent_bookings_into_a_day_with_98_booked_leave_exactly_100(settings):
    """Bookings at the same moment take the day's last places one each: never 101 booked."""
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    user = make_user("mia", "Marketers")
    when = timezone.now() + dt.timedelta(days=3)
    for i in range(98):
        Campaign.objects.create(name=f"b{i}", push={"MsgBody": TEXT}, created_by=user,
                                status="scheduled", send_at=when, due_at=when, msg_random=i)
    drafts = [services.campaign_create(user=user, name=f"d{i}", push={"MsgBody": TEXT})
              for i in range(50)]
    start = threading.Barrier(50)
    outcomes = []

    def book(campaign):
        try:
            start.wait()
            services.campaign_schedule(campaign=campaign, user=user, send_at=when)
            outcomes.append("booked")
        except services.InvalidInput:
            outcomes.append("full")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=book, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("booked") == 2 and outcomes.count("full") == 48
    assert quota_booked(quota_day_of(when)) == 100
