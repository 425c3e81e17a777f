"""One campaign, several languages, against the emulator over HTTP: each version reaches the
accounts of its language, the default version everyone else exactly once (under both readings
of TagsNot), the cost booked up front, approval covering every version, the API and the page."""

import datetime as dt

import pytest
from django.utils import timezone

from audience import jobs
from audience.models import AccountAttr, AccountTag, AttributeName, KnownAccount
from campaigns import dispatch, held, languages, services
from campaigns.models import Campaign
from campaigns.quota import quota_booked, quota_day_of
from core.errors import InvalidInput, NotPermitted
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
ZH = [f"zh{n}" for n in range(30)]
EN = [f"en{n}" for n in range(20)]
JA = [f"ja{n}" for n in range(5)]  # a language no version is written in
NONE = [f"plain{n}" for n in range(10)]  # known, no language
STRANGERS = [f"stranger{n}" for n in range(5)]  # on Tencent, never seen by the product
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "20% off today"}}
VERSIONS = [{"language": "zh-Hans", "title": "促销", "text": "今天八折"},
            {"language": "en", "title": "Big sale", "text": "20% off today"}]


def with_languages(emulator, tim_client, *, by="tags"):
    emulator.post("accounts", {"accounts": ZH + EN + JA + NONE + STRANGERS})
    speakers = {**dict.fromkeys(ZH, "zh-Hans"), **dict.fromkeys(EN, "en"),
                **dict.fromkeys(JA, "ja")}
    if by == "attr":
        tim_client.members.set_attr_names({"0": "lang"})
        AttributeName.objects.create(index=0, name="lang")
        tim_client.members.set_attrs({a: {"lang": lang} for a, lang in speakers.items()})
    else:
        tim_client.members.add_tags({a: [f"lang:{lang}"] for a, lang in speakers.items()})
    for account in ZH + EN + JA + NONE:
        KnownAccount.objects.create(account=account)
    for account, lang in speakers.items():
        if by == "attr":
            AccountAttr.objects.create(account=account, name="lang", value=lang)
        else:
            AccountTag.objects.create(account=account, tag=f"lang:{lang}")


def draft(user, push=PUSH):
    return services.campaign_create(user=user, name="Winter sale", push=push)


def soon():
    return timezone.now() + dt.timedelta(minutes=30)


def recipients(emulator, body):
    return set(emulator.post("recipients", {"Condition": body.get("Condition") or {}})[
        "accounts"])


def send_everything(campaign):
    Campaign.objects.filter(parent=campaign).update(due_at=timezone.now())
    while held.release_held_pushes():
        pass
    return dispatch.dispatch_due_campaigns(run_seconds=4.5)


@pytest.mark.django_db(transaction=True)  # the marking job's threads read committed rows
@pytest.mark.parametrize("reading", ["none_of", "not_all_of"])
@pytest.mark.parametrize("by", ["tags", "attr"])
def test_each_language_gets_its_version_and_everyone_else_the_default_once(
        by, reading, marketer, tim, tim_client):
    tim.post("config", {"tags_not": reading})
    with_languages(tim, tim_client, by=by)
    campaign = draft(marketer)
    languages.languages_plan(campaign=campaign, user=marketer, by=by,
                             key="lang" if by == "attr" else "", versions=VERSIONS,
                             send_at=soon())
    campaign.refresh_from_db()
    pushes = {c.language: c for c in Campaign.objects.filter(parent=campaign)}
    assert campaign.status == "by_language"
    assert {k: c.status for k, c in pushes.items()} == {
        "zh-Hans": "scheduled", "en": "scheduled", "*": "held"}
    assert quota_booked(quota_day_of(campaign.send_at)) == 3  # booked before anything is sent
    Campaign.objects.filter(parent=campaign).update(due_at=timezone.now())
    assert held.release_held_pushes() == 0  # the known speakers are marked first
    job = Campaign.objects.get(pk=pushes["*"].pk).marking_job
    assert job.total == len(ZH + EN) and job.tags == [languages.exclusion_tag(campaign)]
    jobs.job_run(job.pk)
    assert send_everything(campaign) == 3
    sent = {p["body"].get("OfflinePushInfo", {}).get("Title"): p for p in tim.state()["pushes"]}
    assert recipients(tim, sent["促销"]["body"]) == set(ZH)
    assert sent["促销"]["body"]["MsgBody"][0]["MsgContent"]["Text"] == "今天八折"
    assert recipients(tim, sent["Big sale"]["body"]) == set(EN)
    default = next(p for p in tim.state()["pushes"] if "TagsNot" in p["body"]["Condition"])
    assert default["body"]["Condition"] == {"TagsNot": [languages.exclusion_tag(campaign)]}
    assert recipients(tim, default["body"]) == set(JA + NONE + STRANGERS)
    got = [recipients(tim, p["body"]) for p in tim.state()["pushes"]]
    assert all(sum(a in r for r in got) == 1 for a in ZH + EN + JA + NONE + STRANGERS)


def test_one_version_by_tags_leaves_its_own_tag_out_without_marking(marketer, tim, tim_client):
    with_languages(tim, tim_client)
    campaign = draft(marketer)
    languages.languages_plan(campaign=campaign, user=marketer, by="tags",
                             versions=VERSIONS[:1], send_at=soon())
    default = Campaign.objects.get(parent=campaign, language="*")
    assert default.status == "scheduled" and default.endpoint == "timpush"
    assert default.push["Condition"] == {"TagsNot": ["lang:zh-Hans"]}
    assert send_everything(campaign) == 2
    body = tim.state()["pushes"][-1]["body"] if "TagsNot" in tim.state()["pushes"][-1][
        "body"]["Condition"] else tim.state()["pushes"][0]["body"]
    assert recipients(tim, body) == set(EN + JA + NONE + STRANGERS)


def test_without_a_default_version_the_page_says_who_gets_nothing(marketer, tim, tim_client):
    with_languages(tim, tim_client)
    campaign = draft(marketer)
    words = " ".join(languages.reach_words(campaign, by="tags", key="",
                                           languages=["zh-Hans", "en"], default="none"))
    assert "zh-Hans: 30 known accounts." in words
    assert "10 known accounts with no language" in words and "never seen" in words
    languages.languages_plan(campaign=campaign, user=marketer, by="tags", versions=VERSIONS,
                             default="none", send_at=soon())
    assert sorted(Campaign.objects.filter(parent=campaign).values_list("language", flat=True)) \
        == ["en", "zh-Hans"]


def test_the_cost_is_shown_and_a_full_day_refuses_every_version(marketer, tim, settings):
    campaign = draft(marketer)
    when = soon()
    cost = languages.languages_cost(campaign, versions=2, default="tags_not", send_at=when)
    day = quota_day_of(when)
    assert languages.cost_words(cost) == (
        f"2 languages + the default version = 3 of {day:%A} {day.isoformat()}'s 100 pushes "
        "(100 left)")
    settings.PUSH_DAILY_QUOTA = 2
    with pytest.raises(InvalidInput) as caught:
        languages.languages_plan(campaign=campaign, user=marketer, by="tags", versions=VERSIONS,
                                 send_at=when)
    assert "has 2 of its 2 pushes left and these versions need 3" in \
        caught.value.errors["send_at"][0]
    assert not Campaign.objects.filter(parent=campaign).exists()
    campaign.refresh_from_db()
    assert campaign.status == "draft" and campaign.language_plan == {}


@pytest.mark.parametrize("arguments, field, words", [
    ({"versions": []}, "versions", "Give 1 to 10 language versions"),
    ({"versions": [{"language": "Chinese!"}]}, "versions[0].language", "written like zh-Hans"),
    ({"versions": [{"language": "en"}, {"language": "EN"}]}, "versions[1].language",
     "EN has two versions"),
    ({"versions": [{"language": "en", "image": "http://x.test/a.png"}]}, "versions[0].image",
     "en: "),
    ({"by": "attr", "key": "nope", "versions": [{"language": "en"}]}, "attribute",
     "Choose one of the app's attribute names"),
])
def test_bad_versions_are_refused_naming_the_field(arguments, field, words, marketer, tim):
    campaign = draft(marketer)
    arguments = {"by": "tags", "send_at": soon(), **arguments}
    with pytest.raises(InvalidInput) as caught:
        languages.languages_plan(campaign=campaign, user=marketer, **arguments)
    assert words in " ".join(caught.value.errors[field])
    campaign.refresh_from_db()
    assert campaign.language_plan == {}


def test_approval_covers_every_version(settings, marketer, tim, tim_client):
    from campaigns import approval
    settings.CAMPAIGN_APPROVAL = True
    with_languages(tim, tim_client)
    approver = make_user("ada", "Approvers")
    campaign = draft(marketer)
    languages.languages_plan(campaign=campaign, user=marketer, by="tags", versions=VERSIONS,
                             send_at=soon())
    assert not Campaign.objects.filter(parent=campaign).exists()
    approval.campaign_submit(campaign=campaign, user=marketer)
    with pytest.raises(NotPermitted):
        approval.campaign_approve(campaign=campaign, user=marketer)
    approval.campaign_approve(campaign=campaign, user=approver)
    campaign.refresh_from_db()
    assert campaign.status == "by_language"
    assert sorted(Campaign.objects.filter(parent=campaign).values_list("language", "status")) \
        == [("*", "held"), ("en", "scheduled"), ("zh-Hans", "scheduled")]


def test_the_api_books_versions_and_reads_them_back(api, marketer, tim, tim_client):
    with_languages(tim, tim_client)
    campaign = draft(marketer)
    answer = api.post(f"/api/campaigns/{campaign.pk}/languages/", {
        "versions": VERSIONS, "send_at": soon().isoformat()}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert [(p["language"], p["status"]) for p in body["pushes"]] == [
        ("*", "held"), ("en", "scheduled"), ("zh-Hans", "scheduled")]
    assert body["cost"].startswith("2 languages + the default version = 3 of ")
    assert api.get(f"/api/campaigns/{campaign.pk}/languages/").json()["plan"]["versions"][0][
        "language"] == "zh-Hans"
    bad = api.post(f"/api/campaigns/{campaign.pk}/languages/", {
        "versions": [{"language": "en"}]}, content_type="application/json")
    assert bad.status_code == 409 or bad.status_code == 400


def test_the_page_previews_each_language_and_books_them(client, marketer, tim, tim_client):
    with_languages(tim, tim_client)
    campaign = draft(marketer)
    client.force_login(marketer)
    assert f"/campaigns/{campaign.pk}/languages/" in client.get(
        f"/campaigns/{campaign.pk}/").content.decode()
    page = client.get(f"/campaigns/{campaign.pk}/languages/").content.decode()
    assert "zh-Hans (30)" in page and "en (20)" in page
    when = soon().astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    form = {"by": "tags", "attribute": "", "send_at_local": when, "default": "tags_not",
            "v0_language": "zh-Hans", "v0_title": "促销", "v0_image": "http://x.test/a.png",
            "v1_language": "en"}
    refused = client.post(f"/campaigns/{campaign.pk}/languages/", form).content.decode()
    assert 'data-language="zh-Hans"' in refused and "促销" in refused  # the preview
    assert "https" in refused
    form["v0_image"] = ""
    answer = client.post(f"/campaigns/{campaign.pk}/languages/", form)
    assert answer.status_code == 302
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="language-pushes"' in detail and 'data-language="zh-Hans"' in detail
