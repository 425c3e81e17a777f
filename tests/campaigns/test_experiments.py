"""A/B tests against the emulator over HTTP: each variant reaches only its buckets, the winner
everyone else in the audience exactly once (under both readings of TagsNot), the no-winner
policies, the cost booked up front and refused when the day is full, approval covering it."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from audience import jobs
from audience.rules import bucket_of, bucket_tag
from audience.models import AccountTag, KnownAccount
from campaigns import dispatch, experiments, held, services
from campaigns.models import Campaign, Experiment
from campaigns.quota import quota_booked, quota_day_of
from core.errors import InvalidInput, NotPermitted, TransitionRefused
from core.models import AuditEvent
from reports import poller
from reports.experiments import decide_due_experiments
from pushclient import TencentError
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db
ACCOUNTS = [f"user{n:03d}" for n in range(240)]
STRANGERS = [f"stranger{n}" for n in range(15)]  # on Tencent, never seen by the product


def bucketed(emulator, tim_client, *, vip=()):
    """Every account in the emulator with its bucket tag (as the bucket job leaves it), the
    product's mirror knowing them; strangers only in the emulator, with no tag."""
    emulator.post("accounts", {"accounts": ACCOUNTS + STRANGERS})
    tags = {a: [bucket_tag(bucket_of(a))] + (["vip"] if a in vip else []) for a in ACCOUNTS}
    for start in range(0, len(ACCOUNTS), 100):
        tim_client.members.add_tags({a: tags[a] for a in ACCOUNTS[start:start + 100]})
    for account in ACCOUNTS:
        KnownAccount.objects.create(account=account)
        for tag in tags[account]:
            AccountTag.objects.create(account=account, tag=tag)
    return tags


def in_buckets(*buckets):
    return {a for a in ACCOUNTS if bucket_of(a) in buckets}


def draft(user, push=None, minutes=30):
    return services.campaign_create(
        user=user, name="Winter sale",
        push=push or {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "20% off"}},
        send_at=None, tz="Asia/Shanghai")


def plan(campaign, user, **options):
    send_at = options.pop("send_at", timezone.now() + dt.timedelta(minutes=30))
    arguments = {"variants": [{"buckets": [0], "title": "Sale"},
                              {"buckets": [1], "title": "Last day", "text": "Ends tonight"}],
                 "wait_minutes": 60, "send_at": send_at, **options}
    return experiments.experiment_plan(campaign=campaign, user=user, **arguments)


def send_due(campaigns):
    Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).update(due_at=timezone.now())
    return dispatch.dispatch_due_campaigns(run_seconds=1.2 * len(campaigns) + 1.5)


def recipients(emulator, push_body):
    """Who a push reached, read from the emulator: its reach of the push's Condition."""
    return emulator.post("recipients", {"Condition": push_body.get("Condition") or {}})[
        "accounts"]


def test_the_cost_is_booked_up_front_and_each_variant_goes_only_to_its_buckets(
        marketer, tim, tim_client):
    bucketed(tim, tim_client)
    experiment = plan(draft(marketer), marketer)
    campaign = experiment.campaign
    campaign.refresh_from_db()
    pushes = experiments.pushes_of(experiment)
    assert campaign.status == "ab_test" and experiment.status == "testing"
    assert {k: c.status for k, c in pushes.items()} == {
        "A": "scheduled", "B": "scheduled", "winner": "held"}
    day = quota_day_of(campaign.send_at)
    # Two variants and the winner: three of the day's pushes, before anything is sent.
    assert quota_booked(day) == 3
    assert pushes["winner"].due_at == campaign.send_at + dt.timedelta(minutes=60)
    assert send_due([pushes["A"], pushes["B"]]) == 2
    sent = tim.state()["pushes"]
    assert [p["body"]["Condition"] for p in sent] == [{"TagsAnd": ["ab:0"]},
                                                       {"TagsAnd": ["ab:1"]}]
    assert sent[1]["body"]["OfflinePushInfo"]["Title"] == "Last day"
    assert sent[1]["body"]["MsgBody"][0]["MsgContent"]["Text"] == "Ends tonight"
    assert [p["audience"] for p in sent] == [len(in_buckets(0)), len(in_buckets(1))]
    # The held winner is not sent by the dispatcher before the result.
    assert Campaign.objects.get(pk=pushes["winner"].pk).status == "held"


def _run_to_the_winner(tim, tim_client, marketer, *, click_rates=None, **options):
    bucketed(tim, tim_client)
    if click_rates:
        tim.post("config", {"clicked_share_by_tag": click_rates,
                            "device_reached_share": 1.0})
    experiment = plan(draft(marketer), marketer, **options)
    pushes = experiments.pushes_of(experiment)
    send_due([pushes["A"], pushes["B"]])
    later = timezone.now() + dt.timedelta(hours=2)
    poller.poll_delivery_reports(now=later)  # the statistics, as the poller reads them
    decide_due_experiments(now=later)
    experiment.refresh_from_db()
    return experiment


@pytest.mark.django_db(transaction=True)  # the marking job's threads read committed rows
@pytest.mark.parametrize("reading", ["none_of", "not_all_of"])
def test_the_winner_reaches_everyone_else_once_and_never_a_test_bucket(
        reading, marketer, tim, tim_client):
    """TagsNot holds one tag, the test accounts' mark: both readings of TagsNot agree."""
    tim.post("config", {"tags_not": reading})
    experiment = _run_to_the_winner(tim, tim_client, marketer,
                                    click_rates={"ab:0": 0.05, "ab:1": 0.9}, min_sample=10,
                                    significance=0.05)
    assert experiment.decision["winner"] == "B" and experiment.status == "winner_booked"
    winner = experiments.pushes_of(experiment)["winner"]
    assert winner.status == "held"  # until the test accounts are marked
    later = experiment.decided_at + dt.timedelta(seconds=1)  # the decision came at its time
    assert held.release_held_pushes(now=later) == 0  # the marking job starts
    winner.refresh_from_db()
    job = winner.marking_job
    assert job.tags == [experiments.exclusion_tag(experiment)]
    assert job.total == len(in_buckets(0, 1))
    assert held.release_held_pushes(now=later) == 0  # nothing goes before the job has finished
    jobs.job_run(job.pk)
    assert held.release_held_pushes(now=later) == 1
    winner.refresh_from_db()
    assert winner.status == "scheduled" and winner.endpoint == "timpush"
    assert "carry the tag ab:test:" in winner.status_reason_text
    dispatch.dispatch_due_campaigns(run_seconds=2.5)
    pushes = tim.state()["pushes"]
    assert len(pushes) == 3
    body = pushes[-1]["body"]
    assert body["Condition"] == {"TagsNot": [experiments.exclusion_tag(experiment)]}
    assert body["OfflinePushInfo"]["Title"] == "Last day"
    reached = set(recipients(tim, body))
    tested = in_buckets(0, 1)
    assert reached == (set(ACCOUNTS) - tested) | set(STRANGERS)
    assert pushes[-1]["audience"] == len(reached)
    # Every account got exactly one push of the test: its variant's or the winner's.
    got = [set(recipients(tim, p["body"])) for p in pushes]
    assert all(sum(a in r for r in got) == 1 for a in ACCOUNTS + STRANGERS)


def test_im_push_refuses_tags_not_so_a_winner_cannot_go_there_by_mistake(tim, tim_client):
    bucketed(tim, tim_client)
    with pytest.raises(TencentError) as caught:
        tim_client.push_request({"MsgBody": TEXT, "MsgRandom": 7,
                                 "Condition": {"TagsNot": ["ab:0"]}}, retries=0)
    assert caught.value.code == 90001
    assert tim.state()["pushes"] == []


def test_without_timpush_the_winner_goes_to_the_other_buckets_and_says_who_is_left_out(
        marketer, tim, tim_client):
    experiment = _run_to_the_winner(tim, tim_client, marketer,
                                    click_rates={"ab:0": 0.9, "ab:1": 0.05}, min_sample=10,
                                    route="buckets")
    assert experiment.status == "winner_booked" and experiment.decision["winner"] == "A"
    dispatch.dispatch_due_campaigns(run_seconds=2.5)
    body = tim.state()["pushes"][-1]["body"]
    assert body["Condition"] == {"TagsOr": [f"ab:{n}" for n in range(2, 10)]}
    assert set(recipients(tim, body)) == set(ACCOUNTS) - in_buckets(0, 1)
    words = " ".join(experiments.reach_words(experiment.campaign,
                                              variants=experiment.variants, route="buckets"))
    assert "Accounts without a bucket" in words and "get no winner" in words
    assert f"Variant A (ab:0): {len(in_buckets(0))} known accounts." in words


@pytest.mark.parametrize("policy, sent", [("first", "A"), ("best", "B"), ("stop", "")])
def test_when_nothing_wins_the_policy_chosen_up_front_applies(policy, sent, marketer, tim,
                                                              tim_client):
    # Equal true rates and a tiny sample: nothing can be significant at 0.001.
    experiment = _run_to_the_winner(tim, tim_client, marketer,
                                    click_rates={"ab:0": 0.3, "ab:1": 0.3}, min_sample=10,
                                    significance=0.001, no_winner=policy, route="buckets")
    assert experiment.decision["reason"] == "not_significant"
    assert experiment.decision["winner"] == ""
    winner = experiments.pushes_of(experiment)["winner"]
    if policy == "best":
        rates = {a["label"]: a["rate"] for a in experiment.decision["arms"]}
        sent = max(rates, key=lambda label: (rates[label], label == "A"))
    assert experiment.decision["sent"] == sent
    if sent:
        assert experiment.status == "winner_booked" and winner.status == "scheduled"
    else:
        assert experiment.status == "stopped" and winner.status == "cancelled"
        assert "send nothing more" in winner.status_reason_text
    events = AuditEvent.objects.filter(subject_id=experiment.campaign_id,
                                       verb="experiment.decided")
    assert events.count() == 1


def test_a_full_day_refuses_the_whole_test_and_books_nothing(marketer, tim, tim_client,
                                                            settings):
    bucketed(tim, tim_client)
    settings.PUSH_DAILY_QUOTA = 2  # two variants fit, their winner does not
    campaign = draft(marketer)
    with pytest.raises(InvalidInput) as caught:
        plan(campaign, marketer, wait_minutes=10)
    words = caught.value.errors["send_at"][0]
    assert "has 2 of its 2 pushes left and the test needs 3 there" in words
    assert Campaign.objects.filter(parent=campaign).count() == 0
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert not Experiment.objects.filter(campaign=campaign).exists()


def test_the_cost_is_said_in_words_before_saving(marketer, tim):
    campaign = draft(marketer)
    when = timezone.now() + dt.timedelta(days=2)
    cost = experiments.experiment_cost(campaign, variants=3, send_at=when, wait_minutes=120)
    words = experiments.cost_words(cost)
    day = quota_day_of(when)
    assert words.startswith("3 variants + the winner = ")
    if quota_day_of(when + dt.timedelta(hours=2)) == day:
        assert f"4 of {day:%A} {day.isoformat()}'s 100 pushes (100 left)" in words


@pytest.mark.parametrize("variants, field, words", [
    ([{"buckets": [0]}], "variants", "2 to 4 variants"),
    ([{"buckets": [0]}, {"buckets": [0]}], "variants[1].buckets", "another variant uses"),
    ([{"buckets": [0]}, {"buckets": [12]}], "variants[1].buckets", "from 0 to 9"),
    ([{"buckets": list(range(5))}, {"buckets": list(range(5, 10))}], "variants",
     "leave at least one bucket"),
    ([{"buckets": [0]}, {"buckets": [1], "image": "http://x.test/a.png"}], "variants[1].image",
     "Variant B: "),
])
def test_bad_plans_are_refused_in_words_and_nothing_is_stored(variants, field, words, marketer,
                                                              tim):
    campaign = draft(marketer)
    with pytest.raises(InvalidInput) as caught:
        plan(campaign, marketer, variants=variants)
    assert words in " ".join(caught.value.errors[field])
    assert not Experiment.objects.filter(campaign=campaign).exists()


def test_an_audience_by_attributes_is_refused(marketer, tim, tim_client):
    tim_client.members.set_attr_names({"0": "city"})
    from audience.models import AttributeName
    AttributeName.objects.create(index=0, name="city")
    campaign = draft(marketer, {"MsgBody": TEXT, "Condition": {"AttrsAnd": {"city": "SZ"}}})
    with pytest.raises(InvalidInput) as caught:
        plan(campaign, marketer)
    assert "Tencent refuses tags and attributes together" in caught.value.errors["audience"][0]


def test_variants_keep_the_campaign_s_own_audience(marketer, tim, tim_client):
    bucketed(tim, tim_client, vip=ACCOUNTS[:120])
    campaign = draft(marketer, {"MsgBody": TEXT, "Condition": {"TagsAnd": ["vip"]}})
    experiment = plan(campaign, marketer, variants=[{"buckets": [0, 1]}, {"buckets": [2]}])
    pushes = experiments.pushes_of(experiment)
    assert pushes["A"].push["Condition"] == {"TagsAnd": ["vip"], "TagsOr": ["ab:0", "ab:1"]}
    assert pushes["B"].push["Condition"] == {"TagsAnd": ["vip", "ab:2"]}
    assert pushes["winner"].push["Condition"] == {
        "TagsAnd": ["vip"], "TagsNot": [experiments.exclusion_tag(experiment)]}


def test_approval_covers_every_variant_and_the_winner_rule(settings, marketer, tim, tim_client):
    from campaigns import approval
    from tests.conftest import make_user
    settings.CAMPAIGN_APPROVAL = True
    bucketed(tim, tim_client)
    approver = make_user("ada", "Approvers")
    campaign = draft(marketer)
    experiment = plan(campaign, marketer)
    assert experiment.status == "planned"
    assert not Campaign.objects.filter(parent=campaign).exists()  # nothing booked yet
    approval.campaign_submit(campaign=campaign, user=marketer)
    # The one who planned the test does not approve it.
    with pytest.raises(NotPermitted):
        approval.campaign_approve(campaign=campaign, user=marketer)
    approval.campaign_approve(campaign=campaign, user=approver)
    experiment.refresh_from_db()
    campaign.refresh_from_db()
    assert experiment.status == "testing" and campaign.status == "ab_test"
    assert {c.variant: c.status for c in Campaign.objects.filter(parent=campaign)} == {
        "A": "scheduled", "B": "scheduled", "winner": "held"}


def test_cancelling_the_test_cancels_its_pushes_not_sent(marketer, tim, tim_client):
    bucketed(tim, tim_client)
    experiment = plan(draft(marketer), marketer)
    experiments.experiment_cancel(experiment=experiment, user=marketer)
    experiment.refresh_from_db()
    assert experiment.status == "cancelled"
    assert {c.status for c in Campaign.objects.filter(parent=experiment.campaign)} == {
        "cancelled"}
    with pytest.raises(TransitionRefused):
        experiments.experiment_cancel(experiment=experiment, user=marketer)


# --- the JSON API and the pages ------------------------------------------------------------

def test_the_api_books_a_test_and_reads_its_live_figures_and_decision(api, client, marketer,
                                                                       tim, tim_client):
    bucketed(tim, tim_client)
    tim.post("config", {"clicked_share_by_tag": {"ab:0": 0.05, "ab:1": 0.9},
                        "device_reached_share": 1.0})
    campaign = draft(marketer)
    when = (timezone.now() + dt.timedelta(minutes=30)).isoformat()
    answer = api.post(f"/api/campaigns/{campaign.pk}/ab-test/", {
        "variants": [{"buckets": [0]}, {"buckets": [1], "title": "Last day"}],
        "send_at": when, "wait_minutes": 60, "min_sample": 10, "significance": 0.05},
        content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "testing" and [v["label"] for v in body["variants"]] == ["A", "B"]
    assert body["cost"].startswith("2 variants + the winner = 3 of ")
    pushes = experiments.pushes_of(Experiment.objects.get(campaign=campaign))
    send_due([pushes["A"], pushes["B"]])
    poller.poll_delivery_reports(now=timezone.now() + dt.timedelta(hours=2))
    live = api.get(f"/api/campaigns/{campaign.pk}/ab-test/").json()
    figures = {arm["label"]: arm for arm in live["figures"]}
    assert figures["A"]["reached"] == len(in_buckets(0))
    assert figures["B"]["rate"] > figures["A"]["rate"]
    assert figures["B"]["low"] <= figures["B"]["rate"] <= figures["B"]["high"]
    assert live["p_value"] is not None and live["decision"] is None
    decide_due_experiments(now=timezone.now() + dt.timedelta(hours=2))
    decided = api.get(f"/api/campaigns/{campaign.pk}/ab-test/").json()
    assert decided["decision"]["winner"] == "B"
    assert decided["decision_text"].startswith("variant B won (p = ")
    client.force_login(marketer)  # the description is served to signed-in people
    openapi = client.get("/api/openapi.json").json()
    assert "/api/campaigns/{pk}/ab-test/" in openapi["paths"]
    assert {"post", "get"} <= set(openapi["paths"]["/api/campaigns/{pk}/ab-test/"])


def test_the_api_refuses_a_bad_test_naming_the_field(api, marketer, tim):
    campaign = draft(marketer)
    answer = api.post(f"/api/campaigns/{campaign.pk}/ab-test/", {
        "variants": [{"buckets": [0]}, {"buckets": [0]}], "wait_minutes": 5,
        "send_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()},
        content_type="application/json")
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert "another variant uses" in errors["variants[1].buckets"][0]
    assert "from 10 to 10080" in errors["wait_minutes"][0]
    assert not Experiment.objects.exists()


def test_the_page_shows_the_cost_before_saving_and_books_the_test(client, marketer, tim,
                                                                   tim_client):
    bucketed(tim, tim_client)
    campaign = draft(marketer)
    client.force_login(marketer)
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"/campaigns/{campaign.pk}/ab-test/" in detail
    page = client.get(f"/campaigns/{campaign.pk}/ab-test/").content.decode()
    assert "2 variants + the winner = 3 of " in page
    assert f"Variant A (ab:0): {len(in_buckets(0))} known accounts." in page
    when = (timezone.now() + dt.timedelta(days=1)).astimezone(
        dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(f"/campaigns/{campaign.pk}/ab-test/", {
        "send_at_local": when, "buckets_per_variant": "1", "wait_hours": "2",
        "significance": "0.02", "min_sample": "1000", "no_winner": "stop",
        "route": "tags_not", "B_title": "Last day", "C_text": "Third try"})
    assert answer.status_code == 302, re.findall(r'errorlist[^>]*>(.*?)</ul>',
                                                  answer.content.decode(), re.S)
    experiment = Experiment.objects.get(campaign=campaign)
    assert [(v["label"], v["buckets"]) for v in experiment.variants] == [
        ("A", [0]), ("B", [1]), ("C", [2])]
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="ab-test"' in detail and 'data-variant="C"' in detail


def test_a_bad_form_says_what_is_wrong_and_books_nothing(client, marketer, tim):
    campaign = draft(marketer)
    client.force_login(marketer)
    answer = client.post(f"/campaigns/{campaign.pk}/ab-test/", {
        "send_at_local": "2020-01-01T09:00", "buckets_per_variant": "1", "wait_hours": "2",
        "significance": "0.02", "min_sample": "1000", "no_winner": "stop",
        "route": "tags_not", "B_image": "http://example.com/a.png"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Variant B: " in page and "https" in page
    assert not Experiment.objects.exists()


def test_one_variant_is_recalled_on_its_own(marketer, tim, tim_client):
    from campaigns.recall import campaign_recall
    bucketed(tim, tim_client)
    experiment = plan(draft(marketer), marketer)
    pushes = experiments.pushes_of(experiment)
    send_due([pushes["A"], pushes["B"]])
    tim.advance_clock(1.1)  # revoke answers once a second (§3.3)
    campaign_recall(campaign=Campaign.objects.get(pk=pushes["B"].pk), user=marketer,
                    offline_push_info={"Title": "Sorry", "Desc": "Wrong price"})
    assert {v: Campaign.objects.get(pk=c.pk).status for v, c in pushes.items()} == {
        "A": "sent", "B": "recalled", "winner": "held"}
    assert tim.state()["revoked"] == [Campaign.objects.get(pk=pushes["B"].pk).task_id]
