"""The dashboard's Audiences page, over HTTP: who reaches it, and each thing it does (upload a
segment, tag it, untag it, set a time zone on it, follow the job, look an account up), with
values refused in the reader's words before anything reaches Tencent."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audience import jobs, services
from audience.models import AttributeName, Job, Segment
from core.models import Preference
from tests.audience.test_api import api_client, post
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(client, tim):
    """The test client, logged in as an audience manager (that role only)."""
    client.force_login(make_user("amy", "Audience managers"))
    return client


def text(page) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.content.decode())).split())


def field_errors(page, field: str) -> str:
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>',
                      page.content.decode(), re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[1])).split()) if found else ""


def upload(client, name="spring", content=b"a1\na2\na1\n"):
    return client.post("/audiences/segments/", {
        "name": name, "accounts_file": SimpleUploadedFile("accounts.txt", content)})


def start(client, segment, action="add_tags", **fields):
    return client.post("/audiences/jobs/", {"segment": segment.pk, "action": action,
                                            "tags": "", "attribute": "", "value": "", **fields})


def run(answer) -> Job:
    """The job a form started, run to its end here (the test is the worker)."""
    job = Job.objects.get(pk=int(answer.url.rstrip("/").rsplit("/", 1)[1]))
    jobs.job_run(job.pk)
    job.refresh_from_db()
    return job


PAGES = [("get", "/audiences/"), ("post", "/audiences/segments/"),
         ("post", "/audiences/jobs/"), ("get", "/audiences/jobs/{job}/"),
         ("get", "/audiences/jobs/{job}/progress.json"), ("post", "/audiences/jobs/{job}/cancel/")]


@pytest.mark.parametrize("method, url", PAGES)
def test_it_lets_in_audience_managers_and_admins_only(client, tim, method, url):
    segment = services.segment_import(user=make_user("sam"), name="s", lines=["a1"])
    job = services.job_create(user=segment.created_by, action="add_tags", segment=segment,
                              tags=["vip"])
    url = url.format(job=job.pk)
    assert getattr(client, method)(url).status_code == 302, "anonymous: to the login page"
    for who, group in [("mia", "Marketers"), ("abe", "Approvers")]:
        client.force_login(make_user(who, group))
        assert getattr(client, method)(url).status_code == 403
    for who, group in [("amy", "Audience managers"), ("ada", "Admins")]:
        client.force_login(make_user(who, group))
        assert getattr(client, method)(url).status_code in (200, 302)
    client.force_login(make_user("root", is_superuser=True))
    assert getattr(client, method)(url).status_code in (200, 302)


def test_the_menu_shows_audiences_to_those_who_may_open_it(client, tim):
    client.force_login(make_user("mia", "Marketers"))
    home = client.get("/")
    assert "Campaigns" in text(home) and 'href="/audiences/"' not in home.content.decode()
    client.force_login(make_user("amy", "Audience managers"))
    answer = client.get("/")
    assert answer.status_code == 302 and answer.url == "/audiences/", \
        "an audience manager's home is the Audiences page"
    page = client.get("/audiences/")
    assert 'href="/audiences/"' in page.content.decode()
    assert 'href="/campaigns/"' not in page.content.decode(), "no link to a page they cannot open"
    assert client.post("/preferences/", {"language": "zh-hans", "next": "/audiences/"}).status_code \
        == 302, "they choose their language like anyone"
    assert "受众" in text(client.get("/audiences/"))


@pytest.mark.django_db  # as migrated: a transactional test's flush would drop the group
def test_the_audience_managers_role_group_exists():
    from django.contrib.auth.models import Group
    assert Group.objects.filter(name="Audience managers").exists()


def test_an_upload_stores_the_segment_and_offers_it_for_a_job(manager):
    answer = upload(manager)
    segment = Segment.objects.get()
    assert answer.status_code == 302
    assert answer.url == f"/audiences/?segment={segment.pk}#start-job"
    page = manager.get(answer.url)
    assert "2 accounts stored; 1 duplicate and 0 invalid lines dropped." in text(page)
    assert f'<option value="{segment.pk}" selected>' in page.content.decode()
    assert sorted(segment.accounts.values_list("account", flat=True)) == ["a1", "a2"]


def test_pasted_accounts_make_a_segment_too(manager):
    manager.post("/audiences/segments/", {"name": "typed", "pasted": "b1\nb2\n"})
    assert Segment.objects.get().size == 2


def test_pasted_accounts_typed_with_chinese_separators_are_each_an_account(manager):
    manager.post("/audiences/segments/", {"name": "typed", "pasted": "u50，u51；u52、u53\nu54"})
    segment = Segment.objects.get()
    assert sorted(segment.accounts.values_list("account", flat=True)) == [
        "u50", "u51", "u52", "u53", "u54"]


def test_reloading_a_refused_form_s_address_goes_back_to_the_page(manager):
    refused = manager.post("/audiences/segments/", {"name": "typed", "pasted": ""})
    assert "No valid account in the list" in text(refused)  # shown at /audiences/segments/
    for url in ("/audiences/segments/", "/audiences/jobs/"):
        answer = manager.get(url)
        assert (answer.status_code, answer.url) == (302, "/audiences/")
    assert manager.get("/audiences/attribute-names/").status_code == 403  # admins name them
    manager.force_login(make_user("ada", "Admins"))
    answer = manager.get("/audiences/attribute-names/")
    assert (answer.status_code, answer.url) == (302, "/audiences/")


@pytest.mark.parametrize("language, words", [
    ("en", "No valid account in the list; it is empty"),
    ("zh-hans", "列表中没有有效的账号；它是空的"),
])
def test_an_empty_upload_is_refused_in_words(client, tim, language, words):
    lin = make_user("lin", "Audience managers")
    Preference.objects.create(user=lin, language=language)
    client.force_login(lin)
    page = upload(client, content=b"\n\n")
    assert page.status_code == 200 and words in text(page)
    assert not Segment.objects.exists()


def test_a_segment_is_tagged_untagged_and_followed_to_the_end(manager, tim, tim_client):
    tim.post("accounts", {"accounts": ["a1", "a2"]})
    upload(manager)
    segment = Segment.objects.get()
    answer = start(manager, segment, tags="tz:Asia/Tokyo, vip")
    job = run(answer)
    assert answer.url == f"/audiences/jobs/{job.pk}/"
    page = manager.get(answer.url)
    assert "Finished · 2 done · 0 failed · of 2 accounts" in text(page)
    assert "tz:Asia/Tokyo, vip" in text(page)
    progress = manager.get(f"/audiences/jobs/{job.pk}/progress.json").json()
    assert (progress["status"], progress["done"], progress["failed"]) == ("done", 2, 0)
    assert sorted(tim_client.members.get_tags(["a1"]).values["a1"]) == ["tz:Asia/Tokyo", "vip"]

    run(start(manager, segment, action="remove_tags", tags="vip"))
    assert tim_client.members.get_tags(["a1"]).values["a1"] == ["tz:Asia/Tokyo"]
    listing = text(manager.get("/audiences/"))
    assert "Remove tags on spring" in listing and "Add tags on spring" in listing
    assert "Tag Accounts tz:Asia/Tokyo 2" in listing, "the tag's size, from the mirror"
    Preference.objects.create(user=page.wsgi_request.user, language="zh-hans")
    manager.force_login(page.wsgi_request.user)  # the preference is read at sign-in
    assert "已完成 · 2 个已完成 · 0 个失败" in text(manager.get(answer.url))


def test_a_time_zone_attribute_is_set_and_seen_in_the_lookup(manager, tim, tim_client):
    tim.post("accounts", {"accounts": ["a1", "a2"]})
    services.attribute_names_update(user=make_user("ada", "Admins"), names={"0": "tz"})
    upload(manager)
    job = run(start(manager, Segment.objects.get(), action="set_attrs", attribute="tz",
                    value="Asia/Tokyo"))
    assert (job.status, job.done) == ("done", 2)
    assert tim_client.members.get_attrs(["a2"]).values["a2"] == {"tz": "Asia/Tokyo"}
    profile = text(manager.get("/audiences/?account=a2"))
    assert "Attributes: tz = Asia/Tokyo" in profile
    unknown = text(manager.get("/audiences/?account=nobody"))
    assert "This product has never tagged this account or set an attribute on it." in unknown


def test_the_lookup_shows_an_accounts_tags(manager, tim):
    tim.post("accounts", {"accounts": ["a1", "a2"]})
    upload(manager)
    run(start(manager, Segment.objects.get(), tags="vip, tz:Europe/Berlin"))
    assert "Tags: tz:Europe/Berlin, vip" in text(manager.get("/audiences/?account=a1"))


REFUSED = {
    "en": {"tag": "Tags: “tz:Berlin” starts with “tz:”, so what follows must be an IANA time "
                  "zone, such as tz:Asia/Tokyo or tz:Europe/Berlin; “Berlin” is not one.",
           "attr": "Attributes: “tz” holds a time zone, so its value must be an IANA time zone "
                   "such as Asia/Tokyo or Europe/Berlin; “UTC+9” is not one."},
    "zh-hans": {"tag": "标签：“tz:Berlin”以“tz:”开头，其后必须是 IANA 时区名，例如 tz:Asia/Tokyo 或 "
                       "tz:Europe/Berlin；“Berlin”不是时区名。",
                "attr": "属性：“tz”保存的是时区，其值必须是 IANA 时区名，例如 Asia/Tokyo 或 "
                        "Europe/Berlin；“UTC+9”不是时区名。"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_zone_that_is_no_zone_is_refused_before_any_call(client, tim, language):
    amy = make_user("amy", "Audience managers")
    Preference.objects.create(user=amy, language=language)
    client.force_login(amy)
    AttributeName.objects.create(index=0, name="tz")  # named here: no call to Tencent
    segment = services.segment_import(user=amy, name="s", lines=["a1"])
    page = start(client, segment, tags="vip, tz:Berlin")
    assert page.status_code == 200
    assert field_errors(page, "tags") == REFUSED[language]["tag"]
    assert 'value="vip, tz:Berlin"' in page.content.decode(), "what was typed is kept"
    page = start(client, segment, action="set_attrs", attribute="tz", value="UTC+9")
    assert field_errors(page, "value") == REFUSED[language]["attr"]
    assert not Job.objects.exists()
    assert tim.calls() == []


def test_the_api_refuses_the_same_zones_and_a_bad_zone_tag_can_still_be_removed(client,
                                                                                admin_user,
                                                                                tim):
    api = api_client(client, admin_user)
    refused = post(api, "/api/audience/jobs/", {"action": "add_tags", "accounts": ["a1"],
                                                "tags": ["tz:Berlin"]})
    assert refused.status_code == 400
    assert refused.json()["errors"]["tags"] == [REFUSED["en"]["tag"]]
    assert not Job.objects.exists() and tim.calls() == []
    removed = post(api, "/api/audience/jobs/", {"action": "remove_tags", "accounts": ["a1"],
                                                "tags": ["tz:Berlin"]})
    assert removed.status_code == 202, "cleaning up a mistyped zone tag is allowed"


def test_the_job_form_explains_each_format_with_examples(manager):
    page = manager.get("/audiences/").content.decode()
    for example in ["<code>tz:Asia/Tokyo</code>", "<code>Asia/Tokyo</code>",
                    "<code>Europe/Berlin</code>", "<code>zh-Hans</code>",
                    "<code>user1001</code>", "<code>vip, spring-sale</code>"]:
        assert example in page
    assert 'aria-describedby="id_tags_helptext"' in page


def test_marketers_see_known_tags_and_segments_with_sizes_in_the_editor(client, manager, tim):
    tim.post("accounts", {"accounts": ["a1", "a2"]})
    upload(manager, name="Tokyo members")
    run(start(manager, Segment.objects.get(), tags="tz:Asia/Tokyo"))
    client.force_login(make_user("mia", "Marketers"))
    page = client.get("/campaigns/new/")
    html_text = page.content.decode()
    assert 'list="known-tags"' in html_text
    assert '<option value="tz:Asia/Tokyo">2 accounts</option>' in html_text
    assert "Segment Accounts Tags added Tokyo members 2 tz:Asia/Tokyo" in text(page)


def test_an_admin_names_a_time_zone_attribute_on_the_page_and_sets_it(client, tim, tim_client):
    """No trip to Django admin or the API: the page names the next free index, then a job sets
    the attribute on a segment."""
    tim.post("accounts", {"accounts": ["a1", "a2"]})
    client.force_login(make_user("ada", "Admins"))
    page = text(client.get("/audiences/"))
    assert "Name an attribute" in page and "The app has 0 attribute names of Tencent's ten" in page
    answer = client.post("/audiences/attribute-names/", {"name": "tz"}, follow=True)
    assert "The app now has the attribute tz: set it on a segment below." in text(answer)
    assert tim_client.members.get_attr_names() == {"0": "tz"}
    assert list(AttributeName.objects.values_list("index", "name")) == [(0, "tz")]
    answer = client.post("/audiences/attribute-names/", {"name": "tz"})
    assert answer.status_code == 400
    assert "Index 1: index 0 already has the name “tz”" in field_errors(answer, "attribute_name")
    upload(client)
    job = run(start(client, Segment.objects.get(), action="set_attrs", attribute="tz",
                    value="Asia/Tokyo"))
    assert (job.status, job.done) == ("done", 2)


def test_only_admins_may_name_attributes(manager):
    assert "Name an attribute" not in text(manager.get("/audiences/"))
    assert manager.post("/audiences/attribute-names/", {"name": "tz"}).status_code == 403
    assert not AttributeName.objects.exists()


def test_pasted_accounts_with_ascii_commas_are_each_an_account_too(manager):
    """A list typed with plain commas, on one line or after a line of one account, is a list:
    never a CSV prompt, never one account "acc2, acc3"."""
    answer = manager.post("/audiences/segments/", {"name": "commas",
                                                   "pasted": "acc1\nacc2, acc3\nacc4,acc5"},
                          follow=True)
    assert "several columns" not in answer.content.decode()
    segment = Segment.objects.get(name="commas")
    assert sorted(segment.accounts.values_list("account", flat=True)) == [
        "acc1", "acc2", "acc3", "acc4", "acc5"]


def test_the_audiences_page_has_each_id_once(client, admin_user):
    """Two forms with a "name" field: each label must lead to its own field."""
    import collections
    import re
    client.force_login(admin_user)
    html = client.get("/audiences/").content.decode()
    ids = collections.Counter(re.findall(r'\bid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'for="id_attribute_name"' in html and 'id="id_attribute_name"' in html
