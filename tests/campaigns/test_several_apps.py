"""Two apps (two SDKAppIDs with their own keys) in one dashboard, against two emulated apps over
HTTP: each app's pushes are spaced and counted apart, two apps push in the same second, an app
with a wrong key fails alone, and people see only their apps' campaigns."""

import json
import re
import threading
import time

import pytest
import requests
from django.db import connection

from audience.mirror import mirror_apply
from audience.models import AttributeName
from campaigns import dispatch, services
from campaigns.models import Campaign
from campaigns.quota import quota_summary
from core.chat_apps import app_save
from core.models import App
from tests.campaigns.test_local_time import a_day_ahead
from tests.campaigns.test_local_time_plan import plan_form
from tests.conftest import OTHER_SDKAPPID, TEXT, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the dispatcher's threads read commits

PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}


def due_now(user, app, name) -> Campaign:
    campaign = services.campaign_create(user=user, app=app, name=name, push=PUSH)
    return services.campaign_send_now(campaign=campaign, user=user)


def pushes(tim, sdkappid=None) -> list[float]:
    return sorted(p["received_at"] for p in tim.state(sdkappid=sdkappid)["pushes"])


def test_two_apps_push_in_the_same_second_each_spaced_on_its_own(two_apps, marketer, tim):
    main, intl = two_apps
    for i in range(3):
        due_now(marketer, main, f"main {i}")
        due_now(marketer, intl, f"intl {i}")
    assert dispatch.dispatch_due_campaigns(run_seconds=4.5) == 6
    ours, theirs = pushes(tim), pushes(tim, OTHER_SDKAPPID)
    assert len(ours) == 3 and len(theirs) == 3
    for times in (ours, theirs):  # each app's pushes more than 1 s apart
        assert all(b - a > 1.0 for a, b in zip(times, times[1:])), times
    # ...and the two apps side by side, not one after the other.
    assert abs(ours[0] - theirs[0]) < 1.0 and abs(ours[-1] - theirs[-1]) < 1.0
    assert quota_summary(app=main)["used"] == 3 and quota_summary(app=intl)["used"] == 3


def test_each_share_of_the_apps_has_a_dispatcher_of_its_own(two_apps, marketer, tim, settings):
    main, intl = two_apps
    # The two apps in two shares whatever their ids: a share is the id modulo DISPATCHERS, and
    # ids that differ by less than it differ modulo it.
    settings.DISPATCHERS = abs(intl.pk - main.pk) + 1
    for i in range(2):
        due_now(marketer, main, f"main {i}")
        due_now(marketer, intl, f"intl {i}")
    sent = {}

    def dispatcher(app):
        try:
            sent[app.slug] = dispatch.dispatch_due_campaigns(
                app.pk % settings.DISPATCHERS, run_seconds=2.5)
        finally:
            connection.close()

    # Side by side, as two worker processes take two shares' ticks.
    threads = [threading.Thread(target=dispatcher, args=(app,)) for app in (main, intl)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sent == {main.slug: 2, intl.slug: 2}  # each its own share's campaigns, no other's
    ours, theirs = pushes(tim), pushes(tim, OTHER_SDKAPPID)
    assert len(ours) == 2 and len(theirs) == 2 and abs(ours[0] - theirs[0]) < 1.0
    for times in (ours, theirs):
        assert times[1] - times[0] > 1.0
    # A share's tick sends nothing of another share's, whatever is due there.
    due_now(marketer, intl, "intl later")
    assert dispatch.dispatch_due_campaigns(main.pk % settings.DISPATCHERS, run_seconds=0.3) == 0
    assert Campaign.objects.get(name="intl later").status == Campaign.Status.SCHEDULED


def test_twenty_apps_due_at_once_all_push_in_the_first_second(tim, marketer, admin_user):
    # An app's turn lasts as long as its queue (here 3 pushes, over 2 s): with fewer threads
    # than apps due (16, the old DISPATCH_APPS_AT_ONCE), the apps beyond waited for whole
    # queues, at 09:00 with 100 campaigns each for minutes (bench/several_apps.py).
    apps = {}
    for i in range(20):
        sdkappid, key = 1400000800 + i, f"app-{i}-own-secret-key-0001"
        answer = requests.post(f"{tim.url}/emulator/apps", json={
            "sdkappid": sdkappid, "secret_key": key}, timeout=10)
        assert answer.status_code in (200, 409), answer.text
        tim.post("reset", sdkappid=sdkappid)
        apps[sdkappid] = app_save(user=admin_user, secret_key=key, values={
            "name": f"Shop {i}", "slug": f"shop-{i}", "sdkappid": sdkappid, "base_url": tim.url})
    for app in apps.values():
        for j in range(3):
            due_now(marketer, app, f"{app.slug} {j}")
    started = time.time()
    dispatch.dispatch_due_campaigns(run_seconds=2.5)
    firsts = {apps[sdkappid].slug: (pushes(tim, sdkappid) or [None])[0] for sdkappid in apps}
    # Before any app's queue of 3 (over 2 s) has ended: none waited for another's.
    late = {slug: at and round(at - started, 2) for slug, at in firsts.items()
            if at is None or at - started > 1.9}
    assert not late, f"apps whose first push came late or never: {late}"


def test_an_app_with_a_wrong_key_fails_alone(two_apps, marketer, admin_user, tim):
    main, intl = two_apps
    app_save(user=admin_user, app=intl, values={}, secret_key="not-the-key-tencent-has")
    ours, theirs = due_now(marketer, main, "ours"), due_now(marketer, intl, "theirs")
    dispatch.dispatch_due_campaigns(run_seconds=1.5)
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.status == Campaign.Status.SENT
    assert theirs.status == Campaign.Status.FAILED and "70009" in json.dumps(theirs.status_params)
    assert pushes(tim, OTHER_SDKAPPID) == []


def test_each_app_has_its_own_daily_limit(two_apps, marketer, admin_user, tim):
    main, intl = two_apps
    app_save(user=admin_user, app=intl, values={"daily_limit": 1})
    first, second = due_now(marketer, intl, "one"), None
    with pytest.raises(Exception) as refused:  # the day is full for intl...
        second = due_now(marketer, intl, "two")
    assert "is full" in str(refused.value) and second is None
    due_now(marketer, main, "main one")  # ...not for the default app
    due_now(marketer, main, "main two")
    assert quota_summary(app=intl) | {"resets_at": None} == quota_summary(app=intl) | {
        "resets_at": None, "limit": 1, "booked": 1, "remaining": 0}
    assert quota_summary(app=main)["booked"] == 2 and quota_summary(app=main)["limit"] == 100
    assert first.app == intl


def token_for(client, user):
    raw = client.post("/api/token/", {"username": user.username,
                                      "password": f"pw-{user.username}"},
                      content_type="application/json").json()["token"]
    return {"HTTP_AUTHORIZATION": f"Token {raw}"}


def test_people_see_and_touch_only_their_apps(two_apps, client, marketer):
    main, intl = two_apps
    nadia = make_user("nadia", "Marketers")
    intl.people.add(nadia)  # nadia works in the international app only
    ours = services.campaign_create(user=marketer, app=main, name="China sale", push=PUSH)
    theirs = services.campaign_create(user=nadia, app=intl, name="Global sale", push=PUSH)
    auth = token_for(client, nadia)
    listed = client.get("/api/campaigns/", **auth).json()
    assert [c["name"] for c in listed["results"]] == ["Global sale"]
    assert listed["results"][0]["app"] == "intl"
    assert client.get(f"/api/campaigns/{ours.pk}/", **auth).status_code == 404
    assert client.post(f"/api/campaigns/{ours.pk}/cancel/", **auth).status_code == 404
    assert client.get(f"/api/campaigns/{theirs.pk}/", **auth).status_code == 200
    answer = client.get("/api/quota/?app=main", **auth)
    assert answer.status_code == 400 and "app" in answer.json()["errors"]
    assert client.get("/api/quota/", **auth).json()["app"] == "intl"  # her only app
    made = client.post("/api/campaigns/", json.dumps({"name": "x", "push": PUSH, "app": "main"}),
                       content_type="application/json", **auth)
    assert made.status_code == 400 and "app" in made.json()["errors"]
    assert Campaign.objects.filter(name="x").count() == 0
    # The same on the pages: her list and calendar hold her app's campaigns only.
    client.force_login(nadia)
    page = client.get("/campaigns/").content.decode()
    assert "Global sale" in page and "China sale" not in page
    assert client.get(f"/campaigns/{ours.pk}/").status_code == 404
    # Mia, given no app, works in the default app: she does not see nadia's.
    client.force_login(marketer)
    page = client.get("/campaigns/").content.decode()
    assert "China sale" in page and "Global sale" not in page
    assert client.get(f"/campaigns/{theirs.pk}/").status_code == 404


def test_an_admin_switches_apps_in_the_header(two_apps, client, admin_user, marketer):
    main, intl = two_apps
    App.objects.filter(pk=intl.pk).update(staging=True)
    services.campaign_create(user=marketer, app=main, name="China sale", push=PUSH)
    services.campaign_create(user=marketer, app=intl, name="Staging try", push=PUSH)
    client.force_login(admin_user)
    page = client.get("/campaigns/").content.decode()
    assert "China sale" in page and "Staging try" not in page and 'data-testid="staging-mark"' \
        not in page
    client.post("/app/switch/", {"app": "intl", "next": "/campaigns/"})
    page = client.get("/campaigns/").content.decode()
    assert "Staging try" in page and "China sale" not in page
    assert 'data-testid="staging-mark"' in page  # nobody sends from staging by mistake
    assert client.post("/app/switch/", {"app": "nope"}).status_code == 404


def test_a_campaign_tried_on_staging_is_copied_to_production_as_a_draft(two_apps, client,
                                                                         admin_user, marketer):
    main, intl = two_apps
    tried = services.campaign_create(user=marketer, app=intl, name="Try", push=PUSH)
    auth = token_for(client, admin_user)
    answer = client.post(f"/api/campaigns/{tried.pk}/copy/", json.dumps({"app": "main"}),
                         content_type="application/json", **auth)
    assert answer.status_code == 201, answer.content
    copy = Campaign.objects.get(pk=answer.json()["id"])
    assert (copy.app, copy.status, copy.push) == (main, Campaign.Status.DRAFT, tried.push)
    assert answer.json()["app"] == "main"
    # Copying to its own app, or to an app one does not work in, is refused naming the field.
    same = client.post(f"/api/campaigns/{tried.pk}/copy/", json.dumps({"app": "intl"}),
                       content_type="application/json", **auth)
    assert same.status_code == 400 and "app" in same.json()["errors"]
    nadia = make_user("nadia", "Marketers")
    intl.people.add(nadia)
    theirs = client.post(f"/api/campaigns/{tried.pk}/copy/", json.dumps({"app": "main"}),
                         content_type="application/json", **token_for(client, nadia))
    assert theirs.status_code == 400 and "app" in theirs.json()["errors"]
    # On the page: the detail offers the other apps; the copy opens in its app.
    client.defaults.pop("HTTP_AUTHORIZATION", None)
    client.force_login(admin_user)
    page = client.get(f"/campaigns/{tried.pk}/").content.decode()
    assert 'data-testid="copy-to-app"' in page
    answer = client.post(f"/campaigns/{tried.pk}/copy-to-app/", {"app": "main"}, follow=True)
    assert "Copied to" in answer.content.decode()
    assert Campaign.objects.filter(app=main, name="Try").count() == 2


def test_a_template_is_copied_to_another_app(two_apps, client, admin_user, marketer):
    from campaigns import library
    from campaigns.models import MessageTemplate
    main, intl = two_apps
    campaign = services.campaign_create(user=marketer, app=main, name="Weekly", push=PUSH)
    template = library.template_save(campaign=campaign, user=marketer, name="Weekly")
    client.force_login(admin_user)
    assert 'data-testid="template-copy"' in client.get("/templates/").content.decode()
    answer = client.post(f"/templates/{template.pk}/copy/", {"app": "intl"}, follow=True)
    assert "is now in Shop International too" in answer.content.decode()
    copy = MessageTemplate.objects.get(app=intl, name="Weekly")
    assert copy.push == template.push
    # The international app's template list holds it; the copy starts a campaign there.
    assert "Weekly" in answer.content.decode()  # the list now shows the app it went to
    draft = library.campaign_from_template(template=copy, user=admin_user)
    assert draft.app == intl
    # Nobody copies into an app they do not work in.
    client.force_login(marketer)
    answer = client.post(f"/templates/{template.pk}/copy/", {"app": "intl"}, follow=True)
    assert MessageTemplate.objects.filter(name="Weekly").count() == 2
    assert "among yours" in answer.content.decode()


def test_a_local_time_plan_is_counted_on_its_apps_days_from_its_apps_audience(
        two_apps, client, admin_user, settings):
    """With approval on, the draft's page words its plan's cost with its own app's limit, and
    offers the zones its own app's accounts are in."""
    settings.CAMPAIGN_APPROVAL = True
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = False
    main, intl = two_apps
    app_save(user=admin_user, app=intl, values={"daily_limit": 7})
    AttributeName.objects.create(app=intl, index=0, name="tz")
    mirror_apply(action="set_attrs", accounts=["w1"], tags=[], attrs={"tz": "America/Lima"},
                 app=intl)
    mirror_apply(action="set_attrs", accounts=["u1"], tags=[], attrs={"tz": "Asia/Tokyo"},
                 app=main)
    nadia = make_user("nadia", "Marketers")
    intl.people.add(nadia)
    client.force_login(nadia)
    campaign = services.campaign_create(user=nadia, app=intl, name="Morning", push=PUSH)
    form = client.get(f"/campaigns/{campaign.pk}/local-time/").content.decode()
    assert re.findall(r'name="zones" value="([^"]+)"', form) == ["America/Lima"]
    day = a_day_ahead()
    saved = client.post(f"/campaigns/{campaign.pk}/local-time/", plan_form(
        day, zones=["America/Lima"]))
    assert saved.status_code == 302, saved.content.decode()
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"1 zone = 1 of {day.isoformat()}&#x27;s 7 pushes (7 left)" in detail


def test_django_admin_lists_campaigns_by_app(two_apps, client, marketer):
    main, intl = two_apps
    services.campaign_create(user=marketer, app=main, name="Ours", push=PUSH)
    services.campaign_create(user=marketer, app=intl, name="Theirs", push=PUSH)
    # A superuser: this module's database is emptied between tests, the roles' rights with it.
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/campaigns/campaign/?app__id__exact={intl.pk}").content.decode()
    assert "Theirs" in page and "Ours" not in page
    assert "Shop International" in page  # the app column and the filter name it


def test_a_form_works_in_the_app_its_page_showed_whatever_another_tab_switched_to(
        two_apps, client, marketer):
    """Composed under "Staging" while another tab switched to production: saved in staging,
    not pushed to every production user (found by a newcomer)."""
    from tests.campaigns.test_pages import editor_post
    main, intl = two_apps
    main.people.add(marketer)
    intl.people.add(marketer)
    client.force_login(marketer)
    client.post("/app/switch/", {"app": "intl"})
    assert 'data-app="intl"' in client.get("/campaigns/new/").content.decode()
    client.post("/app/switch/", {"app": main.slug})  # the other tab
    answer = client.post("/campaigns/new/", editor_post(page_app="intl"))
    assert answer.status_code == 302, answer.content.decode()[:500]
    assert Campaign.objects.get(name="Weekend").app == intl
    # A page of an app that is no longer theirs changes nothing.
    intl.people.remove(marketer)
    assert client.post("/campaigns/new/", editor_post(name="Late", page_app="intl")) \
        .status_code == 404
    assert not Campaign.objects.filter(name="Late").exists()
