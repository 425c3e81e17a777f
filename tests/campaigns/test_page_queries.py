"""Each page's number of SQL queries does not grow with the data (issue 26): rendered with a
little of every kind of row, then with six times as much, each page asks the same queries."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Attempt, Campaign, Series, TestGroup, TestSend
from core.models import AuditEvent
from reports.models import DeliveryCount, ReportSnapshot
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "Today only"},
        "Condition": {"TagsOr": ["vip"]}}
ZONES = ["Asia/Tokyo", "Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"]


@pytest.fixture(autouse=True)
def approval_on(settings):
    # With approval on, an approver's home lists the campaigns waiting for them.
    settings.CAMPAIGN_APPROVAL = True


@pytest.fixture
def people(db):
    return {"admin": make_user("ada", "Admins", is_staff=True),
            "marketer": make_user("mia", "Marketers"),
            "approver": make_user("abe", "Approvers")}


@pytest.fixture
def shown(people):
    """The two campaigns whose detail pages are counted: a sent one with a report, test sends
    and a long timeline, and a split parent with its time-zone buckets."""
    now = timezone.now()
    sent = Campaign.objects.create(name="Shown", push=PUSH, created_by=people["marketer"],
                                   status="sent", task_id="task-shown", send_at=now,
                                   due_at=now, sent_at=now, msg_random=1)
    split = Campaign.objects.create(name="Split", push=PUSH, created_by=people["marketer"],
                                    status="split")
    return {"sent": sent, "split": split}


def grow(people, shown, n, start):
    """`n` more rows of each kind the pages read."""
    now = timezone.now()
    marketer, admin = people["marketer"], people["admin"]
    sent, split = shown["sent"], shown["split"]
    for i in range(start, start + n):
        for k, status in enumerate(["scheduled", "sent", "failed", "needs_review"]):
            at = now + dt.timedelta(minutes=10 * i + k) * (1 if status == "scheduled" else -1)
            campaign = Campaign.objects.create(
                name=f"c{i}-{status}", push=PUSH, created_by=marketer, status=status, send_at=at,
                due_at=at, task_id=f"task-{i}-{k}" if status == "sent" else "",
                status_reason="moved_full_day" if status == "scheduled" and i % 2 else "",
                content_by=[admin.pk])
            Attempt.objects.create(campaign=campaign, msg_random=i, started_at=at,
                                   finished_at=at, quota_day=at.date(), outcome="ok")
            DeliveryCount.objects.create(task_id=campaign.task_id or f"none-{i}-{k}",
                                         platform=1 + k, stage=1, event_type=1, count=i + 1,
                                         updated_at=now)
        waiting = Campaign.objects.create(name=f"w{i}", push=PUSH, created_by=marketer,
                                          status="pending_approval", send_at=now)
        AuditEvent.objects.create(actor=marketer, verb="campaign.submitted",
                                  subject_type="campaign", subject_id=waiting.pk,
                                  subject_label=waiting.name)
        # The shown campaign: retries, callback counters of every kind, polls, test sends.
        Attempt.objects.create(campaign=sent, msg_random=1, started_at=now, finished_at=now,
                               quota_day=now.date(), outcome="refused", error_code=91000,
                               counts_quota=False)
        for stage in (1, 2, 3):
            DeliveryCount.objects.create(task_id=sent.task_id, platform=1 + i % 8, stage=stage,
                                         event_type=1, err_code=i * 10 + stage,
                                         err_info="lost", count=5, updated_at=now)
            DeliveryCount.objects.create(task_id=f"test-{i}", data_id=f"test:{sent.pk}",
                                         platform=1 + i % 8, stage=stage, event_type=1,
                                         err_code=i * 10 + stage, count=1, updated_at=now)
        for kind in ("statistics", "loss"):
            ReportSnapshot.objects.create(campaign=sent, kind=kind, round=i, fetched_at=now,
                                          data={"TotalCount": 100, "SentCount": 50})
        group = TestGroup.objects.create(owner=admin, name=f"phones {i}", accounts=["a", "b"])
        TestSend.objects.create(campaign=sent, sent_by=marketer, group=group, accounts=["a"],
                                push_digest="0" * 64, data_id=f"test:{sent.pk}", msg_random=i,
                                outcome="ok", reached=1, started_at=now - dt.timedelta(days=i),
                                finished_at=now, quota_day=now.date(),
                                results=[{"account": "a", "code": 0, "info": ""}])
        for verb in ("campaign.created", "campaign.edited", "campaign.status"):
            AuditEvent.objects.create(actor=marketer, verb=verb, subject_type="campaign",
                                      subject_id=sent.pk, subject_label=sent.name,
                                      params={"from_status": "scheduled", "to_status": "sent"})
        AuditEvent.objects.create(actor=admin, verb="job.created", subject_type="job",
                                  subject_id=i, params={"action": "add_tags"})
        series = Series.objects.create(
            name=f"s{i}", push=PUSH, timezone="Asia/Shanghai", starts_on=now.date(),
            local_time=dt.time(9), rrule="FREQ=WEEKLY;BYDAY=MO,TH", created_by=marketer,
            updated_by=admin if i % 2 else marketer)
        AuditEvent.objects.create(actor=marketer, verb="series.created", subject_type="series",
                                  subject_id=series.pk, params={"rule": series.rrule,
                                                                "time": "09:00",
                                                                "zone": "Asia/Shanghai"})
        for day in range(2):
            at = now + dt.timedelta(days=day + 1)
            Campaign.objects.create(name=series.name, push=PUSH, created_by=marketer,
                                    status="scheduled", series=series, series_version=1,
                                    occurrence_at=at, send_at=at, due_at=at)
        zone = ZONES[i % len(ZONES)]
        Campaign.objects.create(name=f"{split.name} {zone} {i}", push=PUSH,
                                created_by=marketer, status="scheduled", parent=split,
                                bucket_zone=zone, bucket_value=f"v{i}",
                                send_at=now + dt.timedelta(hours=i + 1),
                                due_at=now + dt.timedelta(hours=i + 1))


def pages(shown) -> dict[str, str]:
    month = timezone.now().strftime("%Y-%m")
    return {"home": "/", "list": "/campaigns/", "filtered list": "/campaigns/?status=sent&q=c",
            "calendar": f"/calendar/?month={month}",
            "detail with its report": f"/campaigns/{shown['sent'].pk}/",
            "split detail": f"/campaigns/{shown['split'].pk}/",
            "series list": "/series/", "audit": "/audit/"}


def repeated(small: list[str], large: list[str]) -> dict[str, int]:
    """The queries (their shape, numbers left out) asked more often with more data."""
    def shapes(sqls):
        return Counter(re.sub(r"\d+", "N", sql) for sql in sqls)
    return dict(shapes(large) - shapes(small))


def queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("viewer", ["admin", "marketer", "approver"])
def test_no_page_asks_more_queries_for_more_data(client, people, shown, viewer):
    client.force_login(people[viewer])
    urls = {name: url for name, url in pages(shown).items()
            if name != "audit" or viewer == "admin"}  # the audit page is the admins'
    grow(people, shown, 2, 0)
    for url in urls.values():
        client.get(url)  # first-request caches (content types, the workspace row) filled
    small = {name: queries(client, url) for name, url in urls.items()}
    grow(people, shown, 10, 2)
    large = {name: queries(client, url) for name, url in urls.items()}
    grown = {name: repeated(small[name], large[name]) for name in urls
             if len(large[name]) != len(small[name])}
    assert not grown, grown
