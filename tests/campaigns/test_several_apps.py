"""Two apps (two SDKAppIDs with their own keys) in one dashboard, against two emulated apps over
HTTP: each app's pushes are spaced and counted apart, two apps push in the same second, an app
with a wrong key fails alone, and people see only their apps' campaigns."""

import json
import time

import pytest
import requests

from campaigns import dispatch, services
from campaigns.models import Campaign
from campaigns.quota import quota_summary
from core.chat_apps import app_save, default_app
from core.models import App
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the dispatcher's threads read commits

OTHER_SDKAPPID = 1400000777
OTHER_KEY = "the-international-apps-own-secret-key-0001"
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "50% off"}}


@pytest.fixture
def two_apps(tim, admin_user):
    """The default app (TIM_* settings) and an international one, each emulated on its own."""
    answer = requests.post(f"{tim.url}/emulator/apps", json={
        "sdkappid": OTHER_SDKAPPID, "secret_key": OTHER_KEY}, timeout=10)
    assert answer.status_code in (200, 201, 409), answer.text  # 409: added by an earlier test
    tim.post("reset", sdkappid=OTHER_SDKAPPID)
    other = app_save(user=admin_user, values={
        "name": "Shop International", "slug": "intl", "sdkappid": OTHER_SDKAPPID,
        "base_url": tim.url}, secret_key=OTHER_KEY)
    return default_app(), other


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
    dispatch.dispatch_due_campaigns(run_seconds=1.5)
    firsts = {apps[sdkappid].slug: (pushes(tim, sdkappid) or [None])[0] for sdkappid in apps}
    late = {slug: at and round(at - started, 2) for slug, at in firsts.items()
            if at is None or at - started > 1.0}
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
