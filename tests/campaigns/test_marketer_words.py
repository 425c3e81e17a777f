"""The marketer's screens in words, as a marketer (or a script calling the API) meets them:
payload rules beside their field in the reader's language, the detail page's summary, timeline
and confirmations, the list, calendar and home, no inline script, and no English on Chinese
pages. The browser half is tests/browser/test_marketer_flow.py."""

import datetime as dt
import html
import re
import zoneinfo

import pytest
from django.utils import timezone, translation

from audience import rules as rules_module
from campaigns import push_rules, services
from campaigns.models import Attempt, Campaign
from campaigns.quota import quota_day_of
from campaigns.states import campaign_transition
from core.payload_words import PRODUCT_RULES, violation_words
from core.times import zone_label
from pushclient import payload
from tests.campaigns.test_pages import editor_post
from tests.conftest import TEXT

pytestmark = pytest.mark.django_db
SOON = dt.date.today() + dt.timedelta(days=10)
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture
def campaign(marketer):
    return services.campaign_create(user=marketer, name="Sale", push={
        "MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}})


def text_of(answer) -> str:
    """The page's text without tags and without the developer view."""
    body = answer.content.decode()
    body = re.sub(r'<details class="card developer".*?</details>', "", body, flags=re.S)
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


# --- payload-rule messages ------------------------------------------------------------------

def test_every_payload_rule_has_a_stable_id_and_words_in_both_languages():
    """Every Violation pushclient or the product can make names a rule with one wording (the
    English in pushclient, or the product's in core); each rule's words exist in Chinese."""
    source = "".join(open(module.__file__, encoding="utf-8").read()
                     for module in (payload, push_rules, services, rules_module))
    rules = set(re.findall(r'Violation\([^)]*?"([a-z_]+\.[a-z_]+)"', source, flags=re.S))
    assert not set(payload.RULES) & set(PRODUCT_RULES), "one wording for each rule"
    assert rules and rules <= set(payload.RULES) | set(PRODUCT_RULES), (
        rules - set(payload.RULES) - set(PRODUCT_RULES))
    with translation.override("en"):
        english = {rule: str(words) for rule, words in {**payload.RULES, **PRODUCT_RULES}.items()}
    with translation.override("zh-hans"):
        for rule, words in english.items():
            assert translation.gettext(words) != words, f"{rule} has no Chinese"


def test_a_rule_names_the_field_a_person_sees_in_their_language():
    [violation] = payload.condition_violations({"TagsOr": [f"t{i}" for i in range(11)]})
    assert (violation.rule, violation.params) == ("tags.too_many", {"count": 11, "max": 10})
    assert violation.message == "Condition.TagsOr: 11 given, at most 10."
    assert violation_words(violation) == "Any of these tags: 11 given, at most 10."
    with translation.override("zh-hans"):
        assert violation_words(violation) == "其中任一标签：给了 11 个，最多 10 个。"


def test_an_element_rule_names_the_element_in_words():
    body = [TEXT[0], {"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]
    [violation] = payload.msg_body_violations(body)
    assert violation_words(violation, {"MsgBody": body}) == "Element 2 (Text): Text must be text."


def test_the_editor_page_shows_each_rule_once_beside_its_field_and_once_in_the_summary(
        client, marketer):
    """Each error once beside its field, and once in a summary after Save, not twice."""
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", editor_post(
        tags_all=", ".join(f"t{i}" for i in range(11))))
    body = answer.content.decode()
    assert body.count("All of these tags: 11 given, at most 10.") == 2
    summary = body[body.index('data-testid="error-summary"'):body.index("</div>", body.index(
        'data-testid="error-summary"'))]
    assert 'href="#id_tags_all"' in summary and "Fix this problem to save:" in summary
    assert 'aria-invalid="true"' in body[body.index('id="id_tags_all"') - 200:
                                         body.index('id="id_tags_all"') + 200]
    assert "Condition.TagsAnd" not in text_of(answer)


def test_the_element_picker_and_labels_speak_words_not_wire_names(client, marketer):
    client.force_login(marketer)
    answer = client.get("/campaigns/new/")
    options = re.findall(r'<option value="TIM\w+">([^<]+)</option>', answer.content.decode())
    assert options == ["Text", "Location", "Sticker", "Custom data", "Voice message", "Image",
                       "File", "Video"]
    visible = text_of(answer)
    assert not re.search(r"TIM\w+Elem|UUID|ImageFormat|Image 1 Type|\(Ext\)", visible)
    client.post("/preferences/", {"language": "zh-hans", "next": "/"})
    chinese = re.findall(r'<option value="TIM\w+">([^<]+)</option>',
                         client.get("/campaigns/new/").content.decode())
    assert "图片" in chinese and "自定义数据" in chinese


def test_everyone_has_no_count_to_show(client, marketer):
    """"Everyone" shows no count, not "About 0 of 0"."""
    client.force_login(marketer)
    answer = client.post("/campaigns/preview/", editor_post(audience="everyone")).json()
    assert answer["everyone"] is True and answer["reach"] is None


def test_the_script_strings_come_from_the_catalogue_in_chinese(client, marketer):
    client.force_login(marketer)
    client.post("/preferences/", {"language": "zh-hans", "next": "/"})
    catalogue = client.get("/jsi18n/").content.decode()
    assert "\\u5df2\\u77e5" in catalogue or "已知" in catalogue  # "About N of M known accounts"
    script = open("campaigns/static/campaigns/editor.js", encoding="utf-8").read()
    assert "About \" +" not in script and "\"(offline push off)\"" not in script
    assert '"[Image]"' not in script.replace('gettext("[Image]")', "")


# --- detail page ---------------------------------------------------------------------------

def test_the_detail_page_summarises_message_audience_push_and_schedule(client, marketer):
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    when = dt.datetime.combine((timezone.now() + dt.timedelta(days=5)).date(), dt.time(9, 0),
                               tzinfo=berlin)
    campaign = services.campaign_create(user=marketer, name="Sale", send_at=when,
                                        tz="Europe/Berlin", push={
        "MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}, "MsgLifeTime": 86400,
        "OfflinePushInfo": {"Title": "Hi", "ApnsInfo": {"Sound": "a.caf"},
                            "AndroidInfo": {"HuaWeiChannelID": "promo"}}})
    client.force_login(marketer)
    answer = client.get(f"/campaigns/{campaign.pk}/")
    summary = text_of(answer)
    for words in ("hello", "Any of these tags: vip", "Offline push, iOS", "Hi — hello",
                  "sound a.caf", "channels for Huawei", "Kept 1 day for people who are offline",
                  "(CET, UTC+01:00)", "Your time:"):
        assert words in summary, words
    # The viewer's own time is plain: the page names the viewer's zone once, at its top.
    assert "UTC+08:00" not in summary and summary.count("Times are in your time zone") == 1
    assert "No accounts are known here yet" in summary


def test_request_sent_to_tencent_is_said_only_after_a_send(client, marketer, campaign):
    """Not before anything was sent."""
    client.force_login(marketer)
    body = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Request sent to Tencent" not in body and "Request to be sent to Tencent" in body
    Attempt.objects.create(campaign=campaign, msg_random=1, started_at=timezone.now(),
                           quota_day=timezone.now().date(), outcome="ok")
    assert "Request sent to Tencent" in client.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_the_timeline_prints_local_times_in_words_not_iso(client, marketer, campaign):
    """Local times in words, not 2026-11-23T07:58:06.926174+00:00."""
    services.campaign_schedule(campaign=campaign, user=marketer,
                               send_at=timezone.now() + dt.timedelta(days=1))
    client.force_login(marketer)
    answer = client.get(f"/campaigns/{campaign.pk}/")
    timeline = answer.content.decode().split('data-testid="timeline"')[1].split("</ul>")[0]
    assert not ISO_TIME.search(html.unescape(re.sub(r'datetime="[^"]*"', "", timeline)))
    # The page names the viewer's zone once; its lines are plain local times.
    assert "UTC+08:00" not in timeline and "CST" not in timeline
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d</time>", timeline)
    assert "Times are in your time zone, Beijing, Shanghai" in text_of(answer)
    assert not ISO_TIME.search(text_of(answer))


def test_send_now_cancel_and_reschedule_ask_first_naming_audience_and_quota_day(
        client, marketer, campaign):
    """Send now, Cancel and Reschedule act only once confirmed."""
    due = timezone.now() + dt.timedelta(days=3)
    services.campaign_schedule(campaign=campaign, user=marketer, send_at=due)
    client.force_login(marketer)
    body = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    today, booked = quota_day_of(timezone.now()).isoformat(), quota_day_of(due).isoformat()
    send_now = body.split('data-testid="confirm-send-now">')[1].split("</p>")[0]
    assert "Any of these tags: vip" in html.unescape(send_now) and today in send_now
    cancel = body.split('data-testid="confirm-cancel">')[1].split("</p>")[0]
    assert "Any of these tags: vip" in html.unescape(cancel) and booked in cancel
    reschedule = body.split('data-testid="confirm-reschedule">')[1].split("</p>")[0]
    assert booked in reschedule
    for action in ("send-now", "cancel", "reschedule"):  # each button sits in its confirmation
        form_at = body.index(f"/{action}/")
        assert body.rfind("<details", 0, form_at) > body.rfind("</details>", 0, form_at)


@pytest.mark.parametrize("action, data, words", [
    ("cancel", {}, "“Sale” is cancelled: it will not be sent, and its push on the quota day "),
    ("send-now", {}, "“Sale” is on its way"),
    ("reschedule", {"send_at_local": f"{SOON}T09:30"},
     f"“Sale” is rescheduled to {SOON} 09:30."),
])
def test_each_action_says_what_happened(client, marketer, campaign, action, data, words):
    """Each action's own words, not "Done." for every one."""
    services.campaign_schedule(campaign=campaign, user=marketer,
                               send_at=timezone.now() + dt.timedelta(days=3))
    client.force_login(marketer)
    answer = client.post(f"/campaigns/{campaign.pk}/{action}/", data, follow=True)
    flashes = [str(m) for m in answer.context["messages"]]
    assert any(words in m for m in flashes), flashes
    assert "Done." not in flashes


def test_a_rescheduled_campaign_in_another_zone_says_its_zone(client, marketer):
    """The viewer's own zone goes unsaid (the page names it); Berlin's is said."""
    campaign = services.campaign_create(user=marketer, name="Sale", push={"MsgBody": TEXT},
                                        send_at=timezone.now() + dt.timedelta(days=3),
                                        tz="Europe/Berlin")
    client.force_login(marketer)
    answer = client.post(f"/campaigns/{campaign.pk}/reschedule/",
                         {"send_at_local": f"{SOON}T09:30"}, follow=True)
    moment = dt.datetime.combine(SOON, dt.time(9, 30), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    label = zone_label(moment, zoneinfo.ZoneInfo("Europe/Berlin"))
    assert f"“Sale” is rescheduled to {SOON} 09:30 {label}." in [
        str(m) for m in answer.context["messages"]]


def test_a_moved_campaign_shows_the_time_it_was_moved_to(client, marketer, campaign):
    services.campaign_schedule(campaign=campaign, user=marketer,
                               send_at=timezone.now() + dt.timedelta(hours=2))
    moved_to = (timezone.now() + dt.timedelta(days=1)).replace(hour=16, minute=0, second=0,
                                                               microsecond=0)
    campaign_transition(campaign, to="scheduled", reason="moved_full_day", due_at=moved_to,
                        params={"day": "x", "time": "00:00", "zone": "Asia/Shanghai"})
    client.force_login(marketer)
    body = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    moved = body.split('data-testid="moved-to">')[1].split("</dd>")[0]
    assert "midnight" in moved and "UTC" not in moved  # in the viewer's zone, named above


def test_a_campaign_being_sent_refreshes_its_page_and_a_draft_does_not(client, marketer,
                                                                        campaign):
    client.force_login(marketer)
    assert "data-refresh-every" not in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "data-refresh-every" not in client.get("/").content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    assert 'data-refresh-every="3"' in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-refresh-every="5"' in client.get("/").content.decode()


# --- list, calendar, home ------------------------------------------------------------------

def test_the_list_shows_audience_and_outcome_and_sorts(client, marketer):
    later = timezone.now() + dt.timedelta(days=2)
    services.campaign_create(user=marketer, name="Beta", push={"MsgBody": TEXT}, send_at=later)
    services.campaign_create(user=marketer, name="Alpha", push={
        "MsgBody": TEXT, "Condition": {"TagsAnd": ["vip"]}})
    client.force_login(marketer)
    answer = client.get("/campaigns/?sort=name")
    text = text_of(answer)
    assert text.index("Alpha") < text.index("Beta")
    assert "All of these tags: vip" in text and "Everyone who uses the app" in text
    assert "Waiting for its time" in text and "Not scheduled" in text
    assert "Asia/Shanghai" not in text and "Times are in your time zone, Beijing, Shanghai" in text
    descending = text_of(client.get("/campaigns/?sort=-name"))
    assert descending.index("Beta") < descending.index("Alpha")
    assert 'aria-sort="ascending"' in answer.content.decode()


def test_the_calendar_names_campaigns_and_offers_new_on_a_day_with_room(client, marketer):
    day = timezone.now() + dt.timedelta(days=2)
    services.campaign_create(user=marketer, name="Winter sale", push={"MsgBody": TEXT},
                             send_at=day)
    client.force_login(marketer)
    month = quota_day_of(day)
    body = client.get(f"/calendar/?month={month:%Y-%m}").content.decode()
    cell = body.split(f'data-day="{month.isoformat()}"')[1].split("</td>")[0]
    assert "Winter sale" in cell
    assert f"/campaigns/new/?day={month.isoformat()}" in cell
    form = client.get(f"/campaigns/new/?day={month.isoformat()}").content.decode()
    assert f'value="{month.isoformat()}T09:00"' in form


def test_home_leads_a_first_run_to_new_campaign_and_names_failures(client, marketer):
    client.force_login(marketer)
    first = client.get("/").content.decode()
    empty_state = first.split('data-testid="first-run"')[1].split("</section>")[0]
    assert 'href="/campaigns/new/"' in empty_state
    campaign = services.campaign_create(user=marketer, name="Flash sale", push={"MsgBody": TEXT})
    Campaign.objects.filter(pk=campaign.pk).update(status="failed", status_reason="refused",
                                                   status_params={"code": 90047})
    body = client.get("/").content.decode()
    assert 'data-testid="first-run"' not in body
    failures = body.split('data-testid="failures"')[1].split("</ul>")[0]
    assert "Flash sale" in failures and "90047" in failures


def test_asia_shanghai_is_never_labelled_cst():
    """CST is also US Central and Cuba: Asia/Shanghai is named otherwise."""
    moment = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    assert zone_label(moment, zoneinfo.ZoneInfo("Asia/Shanghai")) == "Asia/Shanghai, UTC+08:00"
    assert zone_label(moment, zoneinfo.ZoneInfo("America/Chicago")) == \
        "America/Chicago, UTC−06:00"
    assert zone_label(moment, zoneinfo.ZoneInfo("Europe/Berlin")) == "CET, UTC+01:00"
    assert zone_label(moment, zoneinfo.ZoneInfo("Asia/Tokyo")) == "JST, UTC+09:00"
    assert zone_label(moment, zoneinfo.ZoneInfo("Asia/Kolkata")) == "Asia/Kolkata, UTC+05:30"


def test_the_marketer_pages_run_no_inline_script_so_the_csp_holds(client, marketer, campaign):
    client.force_login(marketer)
    for url in ("/", "/campaigns/", "/campaigns/new/", f"/campaigns/{campaign.pk}/",
                f"/campaigns/{campaign.pk}/edit/", "/calendar/"):
        body = client.get(url).content.decode()
        scripts = re.findall(r"<script([^>]*)>", body)
        assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), url
        assert not re.search(r"\son[a-z]+=", body), url


def test_tencent_error_explanations_are_pushclients_words_in_the_readers_language(
        client, marketer, campaign):
    """Status reasons in the reader's language, not in English on the Chinese pages
    ("Today's push quota is used up…"). The English stays pushclient's, word for word; the dashboard shows it translated."""
    from pushclient.errors import EXPLANATIONS

    from core.payload_words import explain_words
    with translation.override("en"):
        assert {code: explain_words(code) for code in EXPLANATIONS} == EXPLANATIONS
    with translation.override("zh-hans"):
        assert all(explain_words(code) != words for code, words in EXPLANATIONS.items())
    Campaign.objects.filter(pk=campaign.pk).update(status="failed", status_reason="refused",
                                                   status_params={"code": 90047})
    client.force_login(marketer)
    client.post("/preferences/", {"language": "zh-hans", "next": "/"})
    for url in ("/", f"/campaigns/{campaign.pk}/", "/campaigns/"):
        text = text_of(client.get(url))
        assert "90047" in text and "Today's push quota" not in text, url


# Words that stay as they are in Chinese: product and platform names, zone names and labels.
NOT_ENGLISH = {"API", "iOS", "Android", "APNs", "FCM", "OPPO", "Huawei", "Xiaomi", "UTC", "CET",
               "Asia", "Shanghai", "Europe", "Berlin", "America", "Los", "Angeles", "New",
               "York", "London", "Tokyo", "Seoul", "Singapore", "Hong", "Kong", "Kolkata",
               "Jakarta", "JSON", "UserSig", "ID",
               "English"}  # the language menu names each language in its own words


def test_the_marketer_pages_in_chinese_hold_no_english_outside_typed_data(client, marketer):
    """Not half English: rule messages, reasons and script strings are Chinese too."""
    typed = {"Sale", "Flash", "hello", "vip", "Hi", "promo", "mia"}
    later = timezone.now() + dt.timedelta(days=1)
    scheduled = services.campaign_create(user=marketer, name="Sale", send_at=later,
                                         tz="Europe/Berlin", push={
        "MsgBody": TEXT, "Condition": {"TagsOr": ["vip"]}, "MsgLifeTime": 3600,
        "OfflinePushInfo": {"Title": "Hi", "AndroidInfo": {"HuaWeiChannelID": "promo"}}})
    failed = services.campaign_create(user=marketer, name="Flash", push={"MsgBody": TEXT})
    Campaign.objects.filter(pk=failed.pk).update(status="failed", status_reason="refused",
                                                 status_params={"code": 90047})
    Attempt.objects.create(campaign=failed, msg_random=1, started_at=timezone.now(),
                           quota_day=timezone.now().date(), outcome="refused", error_code=90047)
    client.force_login(marketer)
    client.post("/preferences/", {"language": "zh-hans", "next": "/"})
    for url in ("/", "/campaigns/", "/campaigns/new/", f"/campaigns/{scheduled.pk}/",
                f"/campaigns/{failed.pk}/", f"/campaigns/{scheduled.pk}/edit/", "/calendar/"):
        words = set(re.findall(r"[A-Za-z][A-Za-z']+", text_of(client.get(url))))
        assert words <= NOT_ENGLISH | typed, (url, sorted(words - NOT_ENGLISH - typed))
    answer = client.post("/campaigns/new/", editor_post(
        name="Sale", tags_all=", ".join(f"t{i}" for i in range(11)), from_account="shop",
        title="Hi", desc="hello", apns_sound="", huawei_channel="promo"))
    words = set(re.findall(r"[A-Za-z][A-Za-z']+", text_of(answer)))
    assert words <= NOT_ENGLISH | typed | {"shop", "t"}, sorted(words - NOT_ENGLISH - typed)
