"""Server time of the home, list and calendar pages with 100,000 campaigns and 1,000,000 attempts.

Seeds a fresh database (DATABASE_URL, else SQLite) with 100 campaigns per quota day over 1,000
days and 1,000,000 attempts among the past ones, then times full requests through Django's test client (URL routing,
middleware, session, queries, template rendering), 60 requests per page after 5 warm-ups.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time

from bench.harness import setup_django, summary, temp_dir


def seed(campaigns: int, attempts: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.db.models import F
    from django.utils import timezone

    from campaigns.models import Attempt, Campaign
    from campaigns.quota import quota_day_of

    user = User.objects.create_user("bench", password="bench")
    user.groups.add(Group.objects.get_or_create(name="Marketers")[0])
    now = timezone.now()
    statuses = ["sent"] * 90 + ["failed"] * 5 + ["cancelled"] * 3 + ["needs_review"]
    body = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "seed"}}]
    rng = random.Random(7)
    past = 900 * 100  # campaigns whose time has come
    batch = 5000
    for start in range(0, campaigns, batch):
        rows = []
        for i in range(start, min(campaigns, start + batch)):
            # 100 a day: the last 900 days past, the next 100 days still scheduled.
            at = now + dt.timedelta(days=(i // 100) - 900, minutes=(i % 100) * 14)
            status = "scheduled" if at > now else rng.choice(statuses)
            rows.append(Campaign(name=f"Campaign {i}", msg_body=body, created_by=user,
                                 status=status, send_at=at, due_at=at, created_at=at,
                                 sent_at=at if status == "sent" else None))
        created = Campaign.objects.bulk_create(rows)
        Campaign.objects.filter(pk__in=[c.pk for c in created]).update(updated_at=F("send_at"))
        rows = []
        for c in created:
            if c.status == "scheduled":
                continue
            # Spread `attempts` over the past campaigns: retries first, the last one accepted.
            tries = attempts // past + (1 if c.pk % past < attempts % past else 0)
            rows += [Attempt(campaign=c, msg_random=rng.getrandbits(32), started_at=c.send_at,
                             finished_at=c.send_at, quota_day=quota_day_of(c.send_at),
                             outcome="ok" if k == tries - 1 else "refused",
                             error_code=None if k == tries - 1 else 91000,
                             counts_quota=k == tries - 1) for k in range(tries)]
        Attempt.objects.bulk_create(rows, batch_size=5000)


def main(campaigns: int = 100_000, attempts: int = 1_000_000, requests: int = 60) -> dict:
    tmp = temp_dir()
    setup_django(tmp)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from campaigns.models import Attempt, Campaign

    setup_test_environment()
    started = time.monotonic()
    seed(campaigns, attempts)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded = time.monotonic() - started
    client = Client()
    client.login(username="bench", password="bench")
    today = dt.date.today()
    pages = {"home": "/", "list": "/campaigns/", "list filtered": "/campaigns/?status=failed&q=9",
             "calendar": f"/calendar/?month={today:%Y-%m}"}
    results = {"campaigns": Campaign.objects.count(), "attempts": Attempt.objects.count(),
               "seed_seconds": round(seeded, 1), "database": connection.vendor, "pages": {}}
    for name, url in pages.items():
        for _ in range(5):
            client.get(url)
        timings = []
        for _ in range(requests):
            t0 = time.perf_counter()
            assert client.get(url).status_code == 200
            timings.append((time.perf_counter() - t0) * 1000)
        results["pages"][name] = {k: round(v, 1) for k, v in summary(timings).items()}
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
