"""The report a marketer reads: the poller's snapshots, the funnel per vendor with losses in
words (page, list, API, CSV), test sends apart, and one account's trace."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from core.tokens import token_create
from pushclient import TimClient
from reports import intake, poller
from reports.models import ReportSnapshot
from reports.selectors import campaign_report
from tests.conftest import TEXT
from tests.emulator_process import SDKAPPID, SECRET_KEY

pytestmark = pytest.mark.django_db
ACCOUNTS = [f"user{i:03}" for i in range(120)]


@pytest.fixture
def client_tim(tim):
    tim.post("accounts", {"accounts": ACCOUNTS})
    tim.post("config", {"min_push_interval": 0.0})
    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=tim.url)
    yield client
    client.close()


def sent_campaign(user, client, *, ago=dt.timedelta(0), name="Sale") -> Campaign:
    """A campaign whose push the emulator really received; its row marked sent `ago`."""
    campaign = services.campaign_create(user=user, name=name, push={"MsgBody": TEXT})
    task_id = client.push(msg_body=TEXT).task_id
    Campaign.objects.filter(pk=campaign.pk).update(
        status="sent", task_id=task_id, sent_at=timezone.now() - ago)
    return Campaign.objects.get(pk=campaign.pk)


def test_the_poller_takes_each_round_once_and_keeps_what_tencent_said(marketer, client_tim,
                                                                      tim):
    campaign = sent_campaign(marketer, client_tim)
    assert poller.poll_delivery_reports(now=timezone.now()) == 0, "not 5 minutes yet"
    at = campaign.sent_at + dt.timedelta(seconds=301)
    assert poller.poll_delivery_reports(now=at) == 1
    assert poller.poll_delivery_reports(now=at) == 0, "round 0 is taken"
    snapshots = ReportSnapshot.objects.filter(campaign=campaign)
    assert sorted((s.kind, s.round) for s in snapshots) == [("loss", 0), ("statistics", 0)]
    statistics = snapshots.get(kind="statistics").data
    assert statistics["TotalCount"] == 120
    report = campaign_report(campaign)
    assert report["audience"] == 120
    assert (report["sent"], report["delivered"], report["clicked"]) == (
        statistics["SentCount"], statistics["DeliveredCount"], statistics["ClickCount"])
    assert sum(v["delivered"] for v in report["vendors"]) == report["delivered"]
    assert sum(loss["count"] for loss in report["losses"]) == 120 - report["delivered"]
    assert report["last_figure_at"] == snapshots.get(kind="loss").fetched_at
    assert poller.poll_delivery_reports(now=campaign.sent_at + dt.timedelta(hours=25)) == 1
    assert set(snapshots.values_list("round", flat=True)) == {0, 2}, "a missed round is skipped"


def test_the_poller_asks_for_five_tasks_a_call_once_a_second(marketer, client_tim, tim):
    for i in range(7):
        sent_campaign(marketer, client_tim, ago=dt.timedelta(minutes=6), name=f"c{i}")
    started = time.time()
    assert poller.poll_delivery_reports() == 7
    calls = [c for c in tim.calls(since=started) if c["command"].startswith("all_member")]
    statistics = [c for c in calls if c["command"] == "all_member_push_statistics"]
    assert [c["code"] for c in calls] == [0, 0, 0, 0], "no 60007: the limiter spaced them"
    assert statistics[1]["received_at"] - statistics[0]["received_at"] >= 1.0
    assert ReportSnapshot.objects.filter(kind="statistics", data__TotalCount=120).count() == 7


def test_a_report_call_retried_after_a_refusal_waits_for_its_limiter_too(marketer, client_tim,
                                                                        tim):
    # Before, the client's retries went out 0.25 s after the refusal, past the limiter.
    sent_campaign(marketer, client_tim, ago=dt.timedelta(minutes=6))
    started = time.time()
    tim.post("faults", {"script": ["91000"]})
    poller.poll_delivery_reports()
    statistics = [c for c in tim.calls(since=started)
                  if c["command"] == "all_member_push_statistics"]
    assert [c["code"] for c in statistics] == [91000, 0]
    assert statistics[1]["received_at"] - statistics[0]["received_at"] >= 1.0


def test_a_refused_report_leaves_the_campaign_as_it_was(marketer, client_tim, tim):
    campaign = sent_campaign(marketer, client_tim, ago=dt.timedelta(minutes=6))
    tim.post("faults", {"script": ["91000"] * 4})  # the first try and the client's 3 retries
    poller.poll_delivery_reports()
    refused = ReportSnapshot.objects.get(campaign=campaign, kind="statistics")
    assert refused.error_code == 91000 and refused.data == {}
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert campaign_report(campaign)["audience"] is None


def test_test_sends_are_reported_apart(marketer, client_tim, tim):
    campaign = sent_campaign(marketer, client_tim)
    # Callbacks as Tencent sends them for the campaign and for a test send (DataId test:<id>).
    from pushclient import callbacks
    events = [{"TaskId": campaign.task_id, "To_Account": "user001", "PushPlatform": 2,
               "PushStage": 1, "EventType": 1},
              {"TaskId": "batch_1", "DataId": f"test:{campaign.pk}", "To_Account": "mia-phone",
               "PushPlatform": 3, "PushStage": 1, "EventType": 1},
              {"TaskId": "batch_1", "DataId": f"test:{campaign.pk}", "To_Account": "mia-phone",
               "PushPlatform": 3, "PushStage": 2, "EventType": 1}]
    intake.count_events(app=campaign.app, events=callbacks.parse_events({"Events": events})[0])
    report = campaign_report(campaign)
    assert (report["sent"], report["delivered"]) == (1, 0)
    assert (report["test_sends"]["sent"], report["test_sends"]["delivered"]) == (1, 1)
    assert report["test_sends"]["vendors"][0]["vendor"] == "Huawei"


@pytest.fixture
def polled(marketer, client_tim, tim):
    campaign = sent_campaign(marketer, client_tim, ago=dt.timedelta(minutes=6))
    poller.poll_delivery_reports()
    return campaign


def test_the_api_gives_totals_then_vendors_and_a_csv(client, marketer, polled):
    _token, raw = token_create(user=marketer)
    headers = {"HTTP_AUTHORIZATION": f"Token {raw}"}
    answer = client.get(f"/api/campaigns/{polled.pk}/report/", **headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["audience"] == 120 and body["sent"] >= body["delivered"] >= body["clicked"] > 0
    assert list(body)[:6] == ["campaign", "task_id", "audience", "sent", "delivered", "clicked"]
    assert {v["vendor"] for v in body["vendors"]} <= {
        "APNs", "FCM", "Huawei", "Xiaomi", "OPPO", "vivo", "Honor", "Meizu"}
    assert body["losses"] and all(loss["words"] for loss in body["losses"])
    csv = client.get(f"/api/campaigns/{polled.pk}/report/csv/", **headers)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "vendor,audience,sent,delivered,clicked,lost,loss_reason"
    assert lines[-1].startswith(f"total,120,{body['sent']},{body['delivered']}")
    assert client.get("/api/campaigns/999999/report/", **headers).status_code == 404
    assert client.get(f"/api/campaigns/{polled.pk}/report/").status_code == 401


def test_the_detail_page_and_list_show_the_funnel_in_both_languages(client, marketer, polled):
    client.force_login(marketer)
    report = campaign_report(polled)
    page = client.get(f"/campaigns/{polled.pk}/").content.decode()
    assert 'data-testid="funnel"' in page and "Last figure:" in page
    biggest = report["losses"][0]
    assert f"{biggest['count']} {biggest['vendor']} devices: {biggest['words']}" in page
    listing = client.get("/campaigns/").content.decode()
    assert "Sent → delivered → clicked" in listing
    client.post("/preferences/", {"language": "zh-hans", "timezone": "Asia/Shanghai"})
    page = client.get(f"/campaigns/{polled.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "送达报告" in page and f"{biggest['count']} 台" in page and "设备：" in page
    csv = client.get(f"/campaigns/{polled.pk}/report.csv")
    assert csv.status_code == 200 and "attachment" in csv["Content-Disposition"]


def test_a_trace_says_what_happened_on_each_device(client, marketer, polled, tim):
    client.force_login(marketer)
    page = client.get(f"/campaigns/{polled.pk}/trace/", {"account": "user007"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="trace-summary"' in text and "message stored by Tencent Chat" in text
    assert text.count('data-testid="zone-note"') == 1  # its steps' times are the viewer's
    # Tencent answers traces once a second; the report limiter spaces our calls on its own.
    tim.advance_clock(1.05)
    outside = client.get(f"/campaigns/{polled.pk}/trace/", {"account": "stranger"})
    assert "Tencent has no device of this account" in outside.content.decode()
    bad = client.get(f"/campaigns/{polled.pk}/trace/", {"account": " user007"})
    assert "starts or ends with a space" in bad.content.decode()
    _token, raw = token_create(user=marketer)
    api = client.get(f"/api/campaigns/{polled.pk}/trace/", {"account": "user007"},
                     HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.status_code == 200 and api.json()["devices"][0]["steps"][0]["ok"] is True
    draft = services.campaign_create(user=marketer, name="Draft", push={"MsgBody": TEXT})
    refused = client.get(f"/api/campaigns/{draft.pk}/trace/", {"account": "user007"},
                         HTTP_AUTHORIZATION=f"Token {raw}")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"account": ["Only a sent campaign has a trace"]}
    Campaign.objects.filter(pk=polled.pk).update(sent_at=timezone.now() - dt.timedelta(days=8))
    old = client.get(f"/api/campaigns/{polled.pk}/trace/", {"account": "user007"},
                     HTTP_AUTHORIZATION=f"Token {raw}")
    assert "7 days" in old.json()["errors"]["account"][0]
