"""Two apps' audiences in one dashboard, against two emulated apps over HTTP: a job tags accounts
in its own app on Tencent and in its own app's mirror, each app's jobs wait for that app's
limiter only, each app has Tencent's ten attribute names of its own, pages show the current
app's segments and jobs and nobody else's, and a campaign reads its own app's audience."""

import json
import re
import threading

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audience import jobs, services
from audience.mirror import mirror_apply
from audience.models import AccountTag, Job, Segment
from campaigns import services as campaign_services
from core import tencent
from core.chat_apps import app_save, default_app
from core.models import App
from pushclient import TimClient
from tests.audience.test_api import api_client, post, put
from tests.audience.test_dashboard import run, start, text
from tests.conftest import OTHER_KEY, OTHER_SDKAPPID, TEXT, make_user
from tests.emulator_process import busiest_second

pytestmark = pytest.mark.django_db(transaction=True)  # job threads read committed data


@pytest.fixture
def intl_client(tim):
    """Tencent's own view of the international app, as its console would show it."""
    client = TimClient(sdkappid=OTHER_SDKAPPID, secret_key=OTHER_KEY, base_url=tim.url)
    yield client
    client.close()


def paste(client, name, accounts):
    """A segment pasted on the Audiences page of the client's current app."""
    answer = client.post("/audiences/segments/", {"name": name, "pasted": "\n".join(accounts)})
    assert answer.status_code == 302, text(answer)
    return Segment.objects.get(name=name)


def test_a_job_of_one_app_tags_accounts_in_that_app_only(two_apps, client, tim, tim_client,
                                                         intl_client):
    main, intl = two_apps
    for sdkappid in (None, OTHER_SDKAPPID):  # the same account ids exist in both apps
        tim.post("accounts", {"accounts": ["a1", "a2"]}, sdkappid=sdkappid)
    nadia = make_user("nadia", "Audience managers")
    intl.people.add(nadia)  # she works in the international app only
    client.force_login(nadia)
    segment = paste(client, "Global fans", ["a1", "a2"])
    job = run(start(client, segment, tags="fans"))
    assert (segment.app, job.app, job.status, job.done) == (intl, intl, "done", 2)
    # On Tencent: the international app's accounts got the tag, the main app's did not.
    assert intl_client.members.get_tags(["a1", "a2"]).values == {"a1": ["fans"], "a2": ["fans"]}
    assert not any(tim_client.members.get_tags(["a1", "a2"]).values.values())
    assert [c["command"] for c in tim.calls(sdkappid=OTHER_SDKAPPID)
            if c["command"] != "im_get_tag"] == ["im_add_tag"]
    assert [c for c in tim.calls() if c["command"] == "im_add_tag"] == []
    # In the mirror: the international app's page counts them, the main app's does not.
    assert "Tag Accounts fans 2" in text(client.get("/audiences/"))
    assert "a1 Tags: fans" in text(client.get("/audiences/?account=a1"))
    client.force_login(make_user("amy", "Audience managers"))  # the main app's
    page = text(client.get("/audiences/"))
    assert "No tags yet." in page and "fans" not in page
    assert "This product has never tagged this account" in text(
        client.get("/audiences/?account=a1"))
    assert AccountTag.objects.filter(app=main).count() == 0


def test_an_apps_audiences_page_lists_its_own_segments_and_jobs_only(two_apps, client,
                                                                    admin_user, tim):
    main, intl = two_apps
    amy, nadia = make_user("amy", "Audience managers"), make_user("nadia", "Audience managers")
    intl.people.add(nadia)
    client.force_login(amy)
    spring = paste(client, "Spring buyers", ["a1"])
    start(client, spring, tags="spring")
    client.force_login(nadia)
    glob = paste(client, "Global fans", ["b1"])
    start(client, glob, tags="fans")
    page = text(client.get("/audiences/"))
    assert "Global fans" in page and "Add tags on Global fans" in page
    assert "Spring buyers" not in page
    # Nor can her job form be given the other app's segment.
    refused = start(client, spring, tags="fans")
    assert refused.status_code == 200 and "Select a valid choice" in text(refused)
    assert Job.objects.filter(segment=spring).count() == 1
    client.force_login(amy)
    page = text(client.get("/audiences/"))
    assert "Spring buyers" in page and "Add tags on Spring buyers" in page
    assert "Global fans" not in page
    # An admin works in both: the page follows the header's app.
    client.force_login(admin_user)
    assert "Spring buyers" in text(client.get("/audiences/"))
    client.post("/app/switch/", {"app": "intl", "next": "/audiences/"})
    page = text(client.get("/audiences/"))
    assert "Global fans" in page and "Spring buyers" not in page


def test_a_person_of_one_app_is_not_found_another_apps_job(two_apps, client, tim):
    main, intl = two_apps
    amy = make_user("amy", "Audience managers")
    segment = services.segment_import(user=amy, name="Spring buyers", lines=["a1"])
    job = services.job_create(user=amy, action="add_tags", segment=segment, tags=["spring"])
    nadia = make_user("nadia", "Audience managers")
    intl.people.add(nadia)
    client.force_login(nadia)
    assert client.get(f"/audiences/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/audiences/jobs/{job.pk}/progress.json").status_code == 404
    assert client.post(f"/audiences/jobs/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == "queued"
    client.force_login(amy)
    assert client.get(f"/audiences/jobs/{job.pk}/").status_code == 200


def test_the_api_takes_the_app_of_a_job_and_of_its_lookups(two_apps, client, admin_user, tim):
    main, intl = two_apps
    api = api_client(client, admin_user)
    made = post(api, "/api/audience/jobs/", {"app": "intl", "action": "add_tags",
                                             "accounts": ["b1"], "tags": ["fans"]})
    assert made.status_code == 202 and made.json()["app"] == "intl"
    job = Job.objects.get(pk=made.json()["id"])
    assert (job.app, job.segment.app) == (intl, intl)
    assert api.get(f"/api/audience/jobs/{job.pk}/").json()["app"] == "intl"
    refused = post(api, "/api/audience/jobs/", {"app": "nope", "action": "add_tags",
                                                "accounts": ["b1"], "tags": ["fans"]})
    assert refused.status_code == 400 and "nope" in refused.json()["errors"]["app"][0]
    assert Job.objects.count() == 1 and Segment.objects.count() == 1
    mirror_apply(action="add_tags", accounts=["b1", "b2"], tags=["fans"], attrs={}, app=intl)
    reach = {"Condition": {"TagsAnd": ["fans"]}}
    assert post(api, "/api/audience/reach/", {**reach, "app": "intl"}).json() == {
        "known": 2, "matching": 2}
    assert post(api, "/api/audience/reach/", reach).json() == {"known": 0, "matching": 0}
    # A marketer of the international app asks about it; the main app is not among hers.
    nadia = make_user("nadia", "Marketers")
    intl.people.add(nadia)
    theirs = api_client(client, nadia)
    assert post(theirs, "/api/audience/reach/", reach).json()["matching"] == 2
    answer = post(theirs, "/api/audience/reach/", {**reach, "app": "main"})
    assert answer.status_code == 400 and "app" in answer.json()["errors"]


def test_two_apps_jobs_each_wait_for_their_own_limiter(two_apps, admin_user, tim, settings):
    """One app's calls never take another app's permits: both apps' calls go out in the same
    seconds, each app under its own ceiling."""
    main, intl = two_apps
    settings.TIM_CALLS_PER_SECOND = 5  # the main app's ceiling (TIM_* settings)
    settings.AUDIENCE_MAX_IN_FLIGHT = 4
    tencent.clear()  # the limiters and clients are made from the settings
    intl = app_save(user=admin_user, app=intl, values={"calls_per_second": 5})
    made = []
    for app in (main, intl):
        segment = services.segment_import(user=admin_user, name=app.slug, app=app,
                                          lines=[f"u{i:04d}" for i in range(1_500)])
        made.append(services.job_create(user=admin_user, action="add_tags", segment=segment,
                                        tags=["vip"]))
    def work(job_id):  # a worker of its own for each job, as two crews would be
        try:
            jobs.job_run(job_id)
        finally:
            connection.close()

    crews = [threading.Thread(target=work, args=(job.pk,)) for job in made]
    for crew in crews:
        crew.start()
    for crew in crews:
        crew.join(timeout=60)
    assert [Job.objects.get(pk=job.pk).status for job in made] == ["done", "done"]
    ours = [c for c in tim.calls() if c["command"] == "im_add_tag"]
    theirs = [c for c in tim.calls(sdkappid=OTHER_SDKAPPID) if c["command"] == "im_add_tag"]
    assert len(ours) == len(theirs) == 15
    assert busiest_second(ours) <= 5 and busiest_second(theirs) <= 5
    # Side by side: with one limiter for both, no second would hold more than 5 calls.
    assert busiest_second(ours + theirs) > 5


def test_each_app_has_ten_attribute_names_of_its_own(two_apps, client, admin_user, tim):
    main, intl = two_apps
    api = api_client(client, admin_user)
    ours = {str(i): f"m{i}" for i in range(9)} | {"9": "tz"}
    theirs = {str(i): f"i{i}" for i in range(8)} | {"8": "tz"}  # 9 of 10: one is free
    assert put(api, "/api/attribute-names/", ours).json() == ours
    assert put(api, "/api/attribute-names/", {**theirs, "app": "intl"}).json() == theirs
    assert api.get("/api/attribute-names/").json() == ours
    assert api.get("/api/attribute-names/?app=intl").json() == theirs
    assert tim.state()["attr_names"] == ours
    assert tim.state(sdkappid=OTHER_SDKAPPID)["attr_names"] == theirs
    # On the Audiences page: the main app has its ten, the international app a free index.
    client.force_login(admin_user)
    assert "Name an attribute" not in text(client.get("/audiences/"))
    client.post("/app/switch/", {"app": "intl", "next": "/audiences/"})
    assert "The app has 9 attribute names of Tencent's ten" in text(client.get("/audiences/"))
    answer = client.post("/audiences/attribute-names/", {"name": "city"}, follow=True)
    assert "The app now has the attribute city" in text(answer)
    assert api.get("/api/attribute-names/?app=intl").json() == theirs | {"9": "city"}
    assert api.get("/api/attribute-names/").json() == ours


def test_a_campaign_reads_its_own_apps_audience(two_apps, client, admin_user, tim):
    main, intl = two_apps
    mirror_apply(action="add_tags", accounts=["u1", "u2"],
                 tags=["gold-members", "tz:Asia/Kolkata"], attrs={}, app=main)
    mirror_apply(action="add_tags", accounts=["w1"], tags=["fans", "tz:America/Lima"],
                 attrs={}, app=intl)
    services.attribute_names_update(user=admin_user, names={"0": "city"})  # the main app's
    nadia = make_user("nadia", "Marketers")
    intl.people.add(nadia)
    client.force_login(nadia)
    push = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}
    campaign = campaign_services.campaign_create(user=nadia, app=intl, name="Global", push=push)
    editor = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert '<option value="fans">1 account</option>' in editor
    assert "gold-members" not in editor and "tz:Asia/Kolkata" not in editor
    local = client.get(f"/campaigns/{campaign.pk}/local-time/?by=tags").content.decode()
    assert re.findall(r'name="zones" value="([^"]+)"', local) == ["America/Lima"]
    # "city" is one of the main app's attribute names, not the international app's.
    api = api_client(client, nadia)
    city = {**push, "Condition": {"AttrsAnd": {"city": "Berlin"}}}
    refused = post(api, "/api/campaigns/", json.dumps({"name": "x", "push": city}))
    assert refused.status_code == 400 and "city" in json.dumps(refused.json()["errors"])
    admin = api_client(client, admin_user)
    made = post(admin, "/api/campaigns/", json.dumps({"name": "y", "push": city, "app": "main"}))
    assert made.status_code == 201, made.json()


def test_the_admin_site_lists_the_current_apps_audience(two_apps, client, admin_user, tim):
    main, intl = two_apps
    services.segment_import(user=admin_user, name="Spring buyers", lines=["a1"])
    glob = services.segment_import(user=admin_user, name="Global fans", lines=["b1"], app=intl)
    job = services.job_create(user=admin_user, action="add_tags", segment=glob, tags=["fans"])
    mirror_apply(action="add_tags", accounts=["known-in-intl"], tags=["fans"], attrs={},
                 app=intl)
    client.force_login(admin_user)
    page = text(client.get("/admin/audience/segment/"))
    assert "App: Main app" in page and "Spring buyers" in page and "Global fans" not in page
    assert "known-in-intl" not in text(client.get("/admin/audience/knownaccount/"))
    # Opened by its address, the international app's job makes it the current app.
    assert "App: Shop International" in text(client.get(f"/admin/audience/job/{job.pk}/change/"))
    page = text(client.get("/admin/audience/segment/"))
    assert "Global fans" in page and "Spring buyers" not in page
    assert "known-in-intl" in text(client.get("/admin/audience/knownaccount/"))


def test_todays_audience_moves_to_the_default_app(admin_user):
    executor = MigrationExecutor(connection)
    executor.migrate([("audience", "0010_invalid_lines_store_rules")])
    old = executor.loader.project_state([("audience", "0010_invalid_lines_store_rules")]).apps
    model = lambda name: old.get_model("audience", name).objects  # noqa: E731
    model("AttributeName").create(index=0, name="tz")
    segment = model("Segment").create(name="Spring buyers", created_by_id=admin_user.pk)
    model("Job").create(segment=segment, action="add_tags", tags=["vip"],
                        created_by_id=admin_user.pk)
    model("KnownAccount").create(account="mary")
    model("AccountTag").create(account="mary", tag="vip")
    model("AccountAttr").create(account="mary", name="tz", value="Asia/Tokyo")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from audience.models import AccountAttr, AttributeName, KnownAccount
    main = default_app()
    for rows in (AttributeName, Segment, Job, KnownAccount, AccountTag, AccountAttr):
        assert set(rows.objects.values_list("app", flat=True)) == {main.pk}, rows
    # Unique per app now: the same account id and attribute index in another app.
    intl = App.objects.create(name="Shop International", slug="intl", sdkappid=OTHER_SDKAPPID)
    mirror_apply(action="set_attrs", accounts=["mary"], tags=[], attrs={"tz": "Europe/Berlin"},
                 app=intl)
    AttributeName.objects.create(app=intl, index=0, name="tz")
    assert sorted(AccountAttr.objects.values_list("app__slug", "value")) == [
        ("intl", "Europe/Berlin"), ("main", "Asia/Tokyo")]
