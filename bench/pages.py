"""Server time and query count of the pages people open most, over years of data (issue 26).

    python -m bench.pages [campaigns] [requests]    # defaults: 100,000 campaigns, 60 requests
    python -m bench.pages [campaigns] [requests] --reuse   # time the pages of a database an
                                                            # earlier run seeded, without seeding

Seeds a fresh database (DATABASE_URL, else SQLite) in proportion to `campaigns`, N:
- N campaigns, 100 a quota day: the last 90 % of the days past (sent, some failed, cancelled or
  needing review), the rest scheduled; 20 waiting for approval and a split into 10 time-zone
  buckets;
- 10 × N attempts among the past ones (retries refused, the last accepted);
- 100 × N counted callback events: each sent campaign's counters (6 vendors × 3 stages and two
  loss reasons, as intake.count_events leaves them) and two poller snapshots;
- N / 100 series, every tenth campaign an occurrence of one;
- three audit rows per campaign (created, scheduled, its outcome);
- a year of test sends, one per 5 campaigns, each with its counted events.
Then VACUUM ANALYZE on PostgreSQL, as autovacuum would have. With approval on, an admin (who
approves) opens each page through Django's test client (URL routing, middleware, session,
queries, template rendering): 5 warm-ups, then `requests` timed; and counts the page's SQL
queries once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time

from bench.harness import setup_django, summary, temp_dir

TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "seed"}}]
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Seed", "Desc": "A seeded push"}}
BATCH = 5000
VENDORS = [1, 2, 3, 4, 6, 8]  # APNs, Xiaomi, Huawei, FCM, OPPO, vivo
ZONES = ["Asia/Tokyo", "Asia/Seoul", "Asia/Singapore", "Asia/Kolkata", "Asia/Jakarta",
         "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "UTC"]


def seed(campaigns: int) -> dict:
    """Rows in proportion to `campaigns` (see the module's docstring); returns who and what the
    pages are opened for."""
    from django.contrib.auth.models import Group, User
    from django.db.models import F
    from django.utils import timezone

    from campaigns.models import Attempt, Campaign, Series, TestSend
    from campaigns.quota import quota_day_of
    from core.models import AuditEvent
    from reports.models import DeliveryCount, ReportSnapshot

    marketer = User.objects.create_user("bench-marketer")
    marketer.groups.add(Group.objects.get_or_create(name="Marketers")[0])
    admin = User.objects.create_user("bench-admin")
    admin.groups.add(Group.objects.get_or_create(name="Admins")[0])
    now = timezone.now()
    rng = random.Random(7)
    statuses = ["sent"] * 90 + ["failed"] * 5 + ["cancelled"] * 3 + ["needs_review"]
    days = max(1, campaigns // 100)
    past_days = max(1, days * 9 // 10)
    attempts = 10 * campaigns
    past = min(campaigns, past_days * 100)
    events_each = 100 * campaigns // max(1, past * 90 // 100)  # per sent campaign

    series = Series.objects.bulk_create([
        Series(name=f"Series {s}", push=PUSH, timezone="Asia/Shanghai",
               starts_on=(now - dt.timedelta(days=past_days)).date(), local_time=dt.time(9),
               rrule="FREQ=WEEKLY;BYDAY=MO,TH", created_by=marketer, updated_by=admin)
        for s in range(max(1, campaigns // 100))])
    sent_ids = []
    for start in range(0, campaigns, BATCH):
        rows = []
        for i in range(start, min(campaigns, start + BATCH)):
            at = now + dt.timedelta(days=(i // 100) - past_days, minutes=(i % 100) * 14)
            status = "scheduled" if at > now else rng.choice(statuses)
            occurrence = series[(i // 10) % len(series)] if i % 10 == 0 else None
            rows.append(Campaign(
                name=f"Campaign {i}", push=PUSH, created_by=marketer, status=status,
                send_at=at, due_at=at, sent_at=at if status == "sent" else None,
                msg_random=i, task_id=f"task-{i}" if status == "sent" else "",
                series=occurrence, series_version=1 if occurrence else None,
                occurrence_at=at if occurrence else None))
        created = Campaign.objects.bulk_create(rows)
        Campaign.objects.filter(pk__in=[c.pk for c in created]).update(
            updated_at=F("send_at"), created_at=F("send_at") - dt.timedelta(days=1))
        rows, counters, snapshots, audit = [], [], [], []
        for c in created:
            audit += [AuditEvent(at=c.send_at - dt.timedelta(days=1), actor=marketer,
                                 verb="campaign.created", subject_type="campaign",
                                 subject_id=c.pk, subject_label=c.name),
                      AuditEvent(at=c.send_at - dt.timedelta(hours=1), actor=marketer,
                                 verb="campaign.status", subject_type="campaign",
                                 subject_id=c.pk, subject_label=c.name,
                                 params={"from_status": "draft", "to_status": "scheduled"})]
            if c.status == "scheduled":
                continue
            audit.append(AuditEvent(at=c.send_at, verb="campaign.status",
                                    subject_type="campaign", subject_id=c.pk,
                                    subject_label=c.name,
                                    params={"from_status": "sending", "to_status": c.status}))
            tries = attempts // past + (1 if c.pk % past < attempts % past else 0)
            rows += [Attempt(campaign=c, msg_random=c.msg_random, started_at=c.send_at,
                             finished_at=c.send_at, quota_day=quota_day_of(c.send_at),
                             outcome="ok" if k == tries - 1 else "refused",
                             error_code=None if k == tries - 1 else 91000,
                             counts_quota=k == tries - 1) for k in range(tries)]
            if c.status != "sent":
                continue
            sent_ids.append(c.pk)
            each = max(1, events_each // (len(VENDORS) * 3 + 2))
            counters += [DeliveryCount(app_id=c.app_id, task_id=c.task_id, platform=p,
                                       stage=stage, event_type=1, count=each,
                                       updated_at=c.send_at)
                         for p in VENDORS for stage in (1, 2, 3)]
            counters += [DeliveryCount(app_id=c.app_id, task_id=c.task_id, platform=p, stage=2,
                                       event_type=1, err_code=code, err_info="lost", count=each,
                                       updated_at=c.send_at)
                         for p, code in ((2, 20003), (3, 20005))]
            snapshots += [ReportSnapshot(campaign=c, kind=kind, fetched_at=c.send_at, data=data)
                          for kind, data in (
                              ("statistics", {"TotalCount": events_each, "SentCount": each}),
                              ("loss", {"LossReasons": [{"PushPlatform": 2, "ErrCode": 20003,
                                                         "ErrInfo": "lost", "Count": each}]}))]
        Attempt.objects.bulk_create(rows, batch_size=BATCH)
        DeliveryCount.objects.bulk_create(counters, batch_size=BATCH)
        ReportSnapshot.objects.bulk_create(snapshots, batch_size=BATCH)
        AuditEvent.objects.bulk_create(audit, batch_size=BATCH)

    # The detail page's campaign: a sent one, with its share of the year's test sends.
    shown = sent_ids[len(sent_ids) // 2] if sent_ids else Campaign.objects.first().pk
    app_id = Campaign.objects.get(pk=shown).app_id  # every campaign here is the default app's
    sends, counters = [], []
    for t in range(max(1, campaigns // 5)):
        campaign = shown if t % 50 == 0 else rng.choice(sent_ids or [shown])
        at = now - dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        sends.append(TestSend(campaign_id=campaign, sent_by=marketer, accounts=["phone1"],
                              push_digest="0" * 64, data_id=f"test:{campaign}", msg_random=t,
                              outcome="ok", reached=1, started_at=at, finished_at=at,
                              quota_day=quota_day_of(at),
                              results=[{"account": "phone1", "code": 0, "info": ""}]))
        counters += [DeliveryCount(app_id=app_id, task_id=f"test-task-{t}",
                                   data_id=f"test:{campaign}",
                                   platform=VENDORS[t % len(VENDORS)], stage=stage,
                                   event_type=1, count=1, updated_at=at) for stage in (1, 2, 3)]
    TestSend.objects.bulk_create(sends, batch_size=BATCH)
    DeliveryCount.objects.bulk_create(counters, batch_size=BATCH)

    # With approval on: campaigns waiting for the admin, and a split into time-zone buckets.
    waiting = Campaign.objects.bulk_create([
        Campaign(name=f"Waiting {w}", push=PUSH, created_by=marketer, status="pending_approval",
                 send_at=now + dt.timedelta(days=3)) for w in range(20)])
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=marketer, verb="campaign.submitted", subject_type="campaign",
                   subject_id=c.pk, subject_label=c.name) for c in waiting])
    parent = Campaign.objects.create(name="Split", push=PUSH, created_by=marketer,
                                     status="split")
    tomorrow = now + dt.timedelta(days=1)
    Campaign.objects.bulk_create([
        Campaign(name=f"Split {zone}", push={**PUSH, "Condition": {"AttrsAnd": {"tz": zone}}},
                 created_by=marketer, status="scheduled", parent=parent, bucket_zone=zone,
                 send_at=tomorrow, due_at=tomorrow) for zone in ZONES])
    return {"viewer": admin, "shown": shown}


def seeded_before() -> dict | None:
    """Who and what `seed` chose, read back from a database an earlier run seeded; None if
    there is none."""
    from django.contrib.auth.models import User

    from campaigns.models import Campaign

    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        return None
    sent = Campaign.objects.filter(status="sent", parent=None).order_by("pk")
    n = sent.count()
    shown = sent.values_list("pk", flat=True)[n // 2] if n else Campaign.objects.first().pk
    return {"viewer": admin, "shown": shown}


def main(campaigns: int = 100_000, requests: int = 60, reuse: bool = False) -> dict:
    tmp = temp_dir()
    os.environ["CAMPAIGN_APPROVAL"] = "1"  # an approver's home lists what waits for them
    setup_django(tmp)
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    from campaigns.models import Attempt, Campaign, Series, TestSend
    from core.models import AuditEvent
    from reports.models import DeliveryCount

    setup_test_environment(debug=False)  # as deployed: DEBUG off, no query log kept
    started = time.monotonic()
    seeded = seeded_before() if reuse else None
    reused = seeded is not None
    if not reused:
        seeded = seed(campaigns)
    if connection.vendor == "postgresql":
        # As autovacuum (on by default) leaves tables that hold years of rows: statistics, and
        # the visibility map an index-only count needs (a freshly seeded table has none).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    seconds = time.monotonic() - started
    client = Client()
    # force_login: django-axes wants a request for a password login, and the time to check a
    # password is not what this measures.
    client.force_login(seeded["viewer"])
    month = f"{timezone.now():%Y-%m}"
    pages = {"home": "/", "list": "/campaigns/", "list filtered": "/campaigns/?status=failed&q=9",
             "calendar": f"/calendar/?month={month}",
             "detail with report": f"/campaigns/{seeded['shown']}/",
             "series list": "/series/", "audit": "/audit/"}
    results = {"campaigns": Campaign.objects.count(), "attempts": Attempt.objects.count(),
               "counted_events": DeliveryCount.objects.aggregate(n=Sum("count"))["n"],
               "series": Series.objects.count(), "audit_rows": AuditEvent.objects.count(),
               "test_sends": TestSend.objects.count(), "seed_seconds": round(seconds, 1),
               "reused_earlier_seed": reused,
               "database": connection.vendor, "load_average": round(os.getloadavg()[0], 1),
               "pages": {}}
    for name, url in pages.items():
        for _ in range(5):
            assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        count = len(queries)  # now: the next request empties the connection's query log
        timings = []
        for _ in range(requests):
            t0 = time.perf_counter()
            assert client.get(url).status_code == 200, url
            timings.append((time.perf_counter() - t0) * 1000)
        results["pages"][name] = {"queries": count,
                                  **{k: round(v, 1) for k, v in summary(timings).items()}}
    results["load_average_after"] = round(os.getloadavg()[0], 1)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:] if a != "--reuse"), reuse="--reuse" in sys.argv[1:])
