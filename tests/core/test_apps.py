"""Apps: the default one made from the TIM_* settings, admins adding and changing apps in the
API and the dashboard, secrets written once and never shown or logged, and each app's client
talking to Tencent as that app."""

import json

import pytest
from django.db import connection as db

from config.observability import redact
from core import chat_apps, tencent
from core.audit import audit_words
from core.models import App, AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-key-of-the-international-app-0123456789"
TOKEN = "callback-token-of-the-international-app"
INTERNATIONAL = {"name": "Shop International", "slug": "shop-intl", "sdkappid": 1400000123,
                 "region": "singapore", "admin_identifier": "ops", "daily_limit": 300,
                 "secret_key": SECRET, "callback_token": TOKEN}


def token_client(client, user):
    answer = client.post("/api/token/", {"username": user.username,
                                         "password": f"pw-{user.username}"},
                         content_type="application/json")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {answer.json()['token']}"
    return client


@pytest.fixture
def admin_api(client, admin_user):
    return token_client(client, admin_user)


def post(api, url, body):
    return api.post(url, json.dumps(body), content_type="application/json")


def test_a_one_app_install_has_its_app_from_the_settings(admin_api, settings):
    answer = admin_api.get("/api/apps/")
    assert answer.status_code == 200
    [app] = answer.json()
    assert (app["slug"], app["sdkappid"], app["default"]) == ("main", settings.TIM_SDKAPPID, True)
    assert app["secret_key_set"] is True and "secret_key" not in app
    # Its connection is the settings', read on each use: a changed setting is the app's.
    settings.TIM_SECRET_KEY = "rotated-in-the-environment"
    assert chat_apps.connection(chat_apps.default_app()).secret_key == "rotated-in-the-environment"


def test_an_admin_adds_an_app_whose_secrets_are_sealed_and_never_shown(admin_api):
    answer = post(admin_api, "/api/apps/", INTERNATIONAL)
    assert answer.status_code == 201, answer.content
    shown = answer.json()
    assert shown["slug"] == "shop-intl" and shown["secret_key_set"] and shown["callback_token_set"]
    assert SECRET not in answer.content.decode() and TOKEN not in answer.content.decode()
    # The database holds neither secret in the clear, in any column.
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM core_app WHERE slug = 'shop-intl'")
        row = " ".join(str(v) for v in cursor.fetchone())
    assert SECRET not in row and TOKEN not in row
    # The app's client signs as that app, with its key opened.
    app = App.objects.get(slug="shop-intl")
    client = tencent.client(app)
    assert client.sdkappid == 1400000123 and "adminapisgp" in client.base_url
    assert tencent.client().sdkappid != 1400000123  # the default app's client is another
    # The trail says what changed, not the values.
    event = AuditEvent.objects.get(verb="app.created")
    assert "secret_key" in audit_words(event) and SECRET not in json.dumps(event.params)
    # Once opened, a secret is taken out of whatever is logged or reported.
    assert redact(f"key={SECRET}") == "key=[redacted]"
    listed = admin_api.get("/api/apps/").content.decode()
    assert SECRET not in listed and TOKEN not in listed


def test_bad_app_input_is_refused_naming_each_field(admin_api):
    post(admin_api, "/api/apps/", INTERNATIONAL)
    answer = post(admin_api, "/api/apps/", {**INTERNATIONAL, "slug": "Shop Intl!",
                                            "sdkappid": 1400000123, "region": "mars",
                                            "daily_limit": 0, "quota_timezone": "Mars/Base"})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) >= {"slug", "sdkappid", "region", "daily_limit", "quota_timezone"}
    assert "lower-case" in errors["slug"][0] and "already" in errors["sdkappid"][0]
    assert set(App.objects.values_list("slug", flat=True)) == {"main", "shop-intl"}  # no half
    no_secret = {k: v for k, v in INTERNATIONAL.items() if k != "secret_key"}
    answer = post(admin_api, "/api/apps/", {**no_secret, "slug": "other", "sdkappid": 1400000999})
    assert answer.status_code == 400 and "secret_key" in answer.json()["errors"]


def test_the_default_apps_connection_stays_the_settings(admin_api):
    admin_api.get("/api/apps/")
    answer = admin_api.patch("/api/apps/main/", json.dumps({"sdkappid": 1400000555,
                                                            "name": "China"}),
                             content_type="application/json")
    assert answer.status_code == 400 and "TIM_" in answer.json()["errors"]["sdkappid"][0]
    answer = admin_api.patch("/api/apps/main/", json.dumps({"name": "China", "staging": False,
                                                            "daily_limit": 200}),
                             content_type="application/json")
    assert answer.status_code == 200 and answer.json()["name"] == "China"
    assert answer.json()["daily_limit"] == 200


def test_only_admins_manage_apps(client, marketer):
    api = token_client(client, marketer)
    assert api.get("/api/apps/").status_code == 403
    assert post(api, "/api/apps/", INTERNATIONAL).status_code == 403
    api.defaults.pop("HTTP_AUTHORIZATION")
    client.force_login(marketer)
    assert client.get("/apps/").status_code == 403


def test_an_admin_adds_an_app_on_the_page_and_its_secret_is_not_shown_back(client, admin_user):
    mia = make_user("mia", "Marketers")
    client.force_login(admin_user)
    page = client.get("/apps/")
    assert page.status_code == 200 and "Main app" in page.content.decode()
    form = {k: v for k, v in INTERNATIONAL.items()} | {"people": [mia.pk], "quota_timezone":
                                                        "Asia/Singapore",
                                                        "calls_per_second": 100,
                                                        "batch_calls_per_second": 30}
    answer = client.post("/apps/", form, follow=True)
    text = answer.content.decode()
    assert "Shop International added" in text and SECRET not in text
    app = App.objects.get(slug="shop-intl")
    assert list(app.people.all()) == [mia] and app.quota_timezone == "Asia/Singapore"
    edit = client.get("/apps/shop-intl/").content.decode()
    assert SECRET not in edit and TOKEN not in edit
    # Saving the edit form without typing the secret keeps the one stored.
    answer = client.post("/apps/shop-intl/", {**form, "secret_key": "", "callback_token": "",
                                              "name": "Shop Global"}, follow=True)
    app.refresh_from_db()
    assert app.name == "Shop Global" and chat_apps.connection(app).secret_key == SECRET
    # A refused form says why beside the field and keeps what was typed.
    answer = client.post("/apps/", {**form, "slug": "shop intl", "sdkappid": 1400000777})
    assert answer.status_code == 200
    assert "lower-case letters" in answer.content.decode()
    assert App.objects.filter(sdkappid=1400000777).count() == 0


def test_a_production_install_without_app_secrets_key_refuses_to_add_an_app_in_words(
        admin_api, settings):
    settings.DEVELOPMENT, settings.APP_SECRETS_KEY = False, ""
    answer = post(admin_api, "/api/apps/", INTERNATIONAL)
    assert answer.status_code == 400
    assert "APP_SECRETS_KEY" in answer.json()["errors"]["secret_key"][-1]
    assert not App.objects.filter(slug="shop-intl").exists()


def test_secrets_sealed_under_an_older_key_open_after_a_new_key_is_put_in_front(admin_api,
                                                                                 settings):
    from cryptography.fernet import Fernet

    from core import encryption
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.APP_SECRETS_KEY = old
    encryption.clear()
    post(admin_api, "/api/apps/", INTERNATIONAL)
    settings.APP_SECRETS_KEY = f"{new},{old}"
    encryption.clear()
    app = App.objects.get(slug="shop-intl")
    assert chat_apps.connection(app).secret_key == SECRET
    settings.APP_SECRETS_KEY = new  # the old key dropped too early: said, not a wrong key used
    encryption.clear()
    with pytest.raises(Exception, match="APP_SECRETS_KEY"):
        chat_apps.connection(app)
    encryption.clear()


def test_a_region_and_an_api_address_together_are_refused(admin_api):
    """Which would be used? Neither is kept: the admin gives one."""
    answer = post(admin_api, "/api/apps/", {**INTERNATIONAL, "region": "singapore",
                                            "base_url": "http://127.0.0.1:9191"})
    assert answer.status_code == 400
    assert "not both" in answer.json()["errors"]["base_url"][0]
    assert not App.objects.filter(slug="shop-intl").exists()


def test_the_trail_names_only_what_changed_on_an_app(admin_user):
    app = chat_apps.app_save(user=admin_user, values={
        "name": "Shop", "slug": "shop", "sdkappid": 1400000321, "region": "singapore"},
        secret_key="k" * 40)
    chat_apps.app_save(user=admin_user, app=app, values={
        "name": "Shop", "slug": "shop", "sdkappid": 1400000321, "region": "singapore",
        "daily_limit": 50})
    chat_apps.app_save(user=admin_user, app=app, values={"name": "Shop"})  # nothing new
    changes = [audit_words(e) for e in AuditEvent.objects.filter(verb="app.changed")]
    assert changes == ["changed the app: daily_limit"]


def test_the_add_app_form_says_every_broken_rule_at_once(client, admin_user):
    """Letters in the SDKAppID used to hide the empty name and the taken short name until
    they were fixed (found by a newcomer)."""
    client.force_login(admin_user)
    answer = client.post("/apps/", {"name": "", "slug": "main", "sdkappid": "abc",
                                    "region": "singapore", "secret_key": "k" * 40,
                                    "quota_timezone": "Asia/Shanghai"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Enter a whole number" in html  # the SDKAppID's own type
    assert "This field is required" in html  # the name
    assert "Another app already has this short name" in html
    assert App.objects.count() == 1


def test_the_audit_page_names_the_app_and_filters_by_apps(client, admin_user):
    chat_apps.app_save(user=admin_user, values={
        "name": "Shop Global", "slug": "shop", "sdkappid": 1400000321, "region": "singapore"},
        secret_key="k" * 40)
    client.force_login(admin_user)
    html = client.get("/audit/?kind=app").content.decode()
    assert "Shop Global" in html and 'value="app" selected' in html
    assert "added the app" in html


def test_giving_someone_an_app_says_it_takes_the_default_one_away(client, admin_user):
    client.force_login(admin_user)
    assert "to keep the default app as well, give them that one too" in client.get(
        "/apps/").content.decode()
