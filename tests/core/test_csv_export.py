"""No CSV injection: every CSV the product lets people download, fetched over
HTTP with hostile values in it, hands a spreadsheet no formula; normal values come back exactly,
and the numbers the product writes stay numbers."""

import ast
import csv
import io
import pathlib

import pytest
from django.utils import timezone

from audience import jobs
from audience.models import Job, Segment
from campaigns import services
from campaigns.models import Campaign
from core.csv_export import csv_lines, safe_cell
from core.tokens import token_create
from pushclient import callbacks
from reports import intake
from tests.conftest import TEXT

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What a spreadsheet would run, as accounts people could upload: OWASP's examples.
HOSTILE = ["=1+1", "+1+1", "-2+3", "@SUM(1+1)", "=cmd|' /C calc'!A0"]
NORMAL = ["a1", "user-1"]  # a dash inside an account is no formula


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def streamed(answer) -> str:
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    return b"".join(answer.streaming_content).decode()


def test_a_cell_starting_like_a_formula_gets_a_quote_and_nothing_else_changes():
    hostile = HOSTILE + ["\t=1+1", "\r=1+1"]
    assert [safe_cell(v) for v in hostile] == ["'" + v for v in hostile]
    assert [safe_cell(v) for v in ["a1", "user-1", "", "1+1", "'quoted", "价格=1"]] == [
        "a1", "user-1", "", "1+1", "'quoted", "价格=1"]
    assert [safe_cell(v) for v in [-2, 0, 70107, -1.5, None]] == [-2, 0, 70107, -1.5, None]
    assert rows_of("".join(csv_lines([["=1+1", -2, "a,b", 'say "hi"']]))) == [
        ["'=1+1", "-2", "a,b", 'say "hi"']]


def test_no_module_of_ours_writes_csv_but_the_one_writer():
    """A new download using csv.writer directly would bring the injection back."""
    writers = []
    for package in ("core", "audience", "campaigns", "reports", "pushclient", "config"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "core" / "csv_export.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter")
                        and isinstance(node.value, ast.Name) and node.value.id == "csv"):
                    writers.append(str(path.relative_to(ROOT)))
    assert writers == []


@pytest.fixture
def hostile_segment(client, admin_user, tim):
    """A segment pasted in the admin by an admin (the client stays logged in): the normal and
    hostile accounts; only `a1` exists in the app."""
    client.force_login(admin_user)
    tim.post("accounts", {"accounts": ["a1"]})
    answer = client.post("/admin/audience/segment/add/", {
        "name": "hostile", "pasted": "\n".join(NORMAL + HOSTILE)})
    assert answer.status_code == 302, answer.content.decode()
    segment = Segment.objects.get()
    assert sorted(segment.accounts.values_list("account", flat=True)) == sorted(NORMAL + HOSTILE)
    return segment


@pytest.mark.django_db
def test_segment_accounts_csv_neutralises_formulas(client, hostile_segment):
    rows = rows_of(streamed(client.get(
        f"/admin/audience/segment/{hostile_segment.pk}/accounts.csv")))
    assert rows[0] == ["account"]
    assert sorted(rows[1:]) == sorted([[v] for v in NORMAL] + [["'" + v] for v in HOSTILE])


@pytest.mark.django_db(transaction=True)  # a job's database thread commits on its own
def test_job_failures_csv_neutralises_formulas(client, hostile_segment):
    client.post("/admin/audience/job/add/", {"segment": hostile_segment.pk,
                                             "action": "add_tags", "tags": "spring",
                                             "api": "timpush"})
    job = Job.objects.get()
    jobs.job_run(job.pk)
    rows = rows_of(streamed(client.get(f"/admin/audience/job/{job.pk}/failures.csv")))
    reason = "No such account: it never logged in to the app and was never imported."
    assert rows[0] == ["account", "code", "reason"]
    assert sorted(rows[1:]) == sorted(
        [["user-1", "70107", reason]] + [["'" + v, "70107", reason] for v in HOSTILE])


@pytest.mark.django_db
def test_report_csvs_keep_tencent_words_and_numbers_as_they_are(client, marketer):
    """Tencent's ErrInfo reaches the report only inside "Tencent says: … (error n)", so no cell
    starts with it; what it says must still come back exactly, and the counts as numbers."""
    campaign = services.campaign_create(user=marketer, name="Sale", push={"MsgBody": TEXT})
    Campaign.objects.filter(pk=campaign.pk).update(status="sent", task_id="T-csv",
                                                   sent_at=timezone.now())
    events = [{"TaskId": "T-csv", "To_Account": f"u{i}", "PushPlatform": 2, "PushStage": 1,
               "EventType": 1, "ErrCode": 900 + i, "ErrInfo": info}
              for i, info in enumerate(HOSTILE)]
    events.append({"TaskId": "T-csv", "To_Account": "ok", "PushPlatform": 2, "PushStage": 1,
                   "EventType": 1})
    parsed, errors = callbacks.parse_events({"Events": events})
    assert errors == {}
    intake.count_events(app=campaign.app, events=parsed)
    words = sorted(f"Tencent says: {info} (error {900 + i})" for i, info in enumerate(HOSTILE))

    client.force_login(marketer)
    page = client.get(f"/campaigns/{campaign.pk}/report.csv")
    assert page.status_code == 200
    _token, raw = token_create(user=marketer)
    api = client.get(f"/api/campaigns/{campaign.pk}/report/csv/",
                     HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.status_code == 200
    for rows in (rows_of(page.content.decode()), rows_of(api.content.decode())):
        assert rows[0] == ["vendor", "audience", "sent", "delivered", "clicked", "lost",
                           "loss_reason"]
        assert rows[1] == ["Xiaomi", "", "1", "0", "0", "", ""]
        assert sorted(row[6] for row in rows[2:2 + len(HOSTILE)]) == words
        assert all(row[:6] == ["Xiaomi", "", "", "", "", "1"]
                   for row in rows[2:2 + len(HOSTILE)])
        assert rows[2 + len(HOSTILE)] == ["total", "", "1", "0", "0", str(len(HOSTILE)), ""]
