"""Every URL, as every role, with hostile values in every query parameter the pages and the API
read, and in the dashboard's action forms: never a server error."""

import pytest
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import QueryDict

from campaigns import services
from config.urls import api
from tests.conftest import TEXT, make_user
from tests.project.test_security import concrete, dashboard_routes

pytestmark = pytest.mark.django_db

HOSTILE = [
    "2026-02-30", "9999-12-31", "0001-01-01", "9999-12", "0001-01", "2026-13", "13", "-1", "0",
    "99999999999999999999999", "1e309", "NaN", "<script>alert(1)</script>", "\x00", "a\x00b",
    "Mars/Base", "x" * 300, "2026-11-23T25:99", "2026-11-23T09:30+25:00",
    "9999-12-31T23:59", "0001-01-01T00:00", "2027-03-14T02:30", " ", "",
]
# Query parameters pages and endpoints read, sent all at once with each hostile value; each
# route is also sent, one at a time, every name it was seen asking request.GET for.
PARAMS = ["status", "day", "q", "page", "month", "at", "tz", "actor", "kind", "since", "until",
          "next", "revoke", "account", "sort", "hour", "zones", "op", "segment"]
# Bytes that are not UTF-8, and an encoded lone surrogate, as a raw query string.
RAW_QUERIES = ["&".join(f"{p}=%ED%A0%80" for p in PARAMS),
               "q=%FF%FE&day=%C0&month=%80&at=%F4%90%80%80"]
ONE_AT_A_TIME = ("2026-02-30", "9999-12", "\x00", "Mars/Base", "-1")

NAMES_READ: set[str] = set()


class NotingQueryDict(QueryDict):
    """request.GET that notes every name the product asks it for, present or not."""

    def __getitem__(self, key):
        NAMES_READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        NAMES_READ.add(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        NAMES_READ.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        NAMES_READ.add(key)
        return super().getlist(key, default)


def note_query_reads(get_response):
    """Test middleware, first in the stack: every request's GET notes the names read."""
    def middleware(request):
        raw = get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
        request.GET = NotingQueryDict(raw, encoding=request.encoding)
        return get_response(request)
    return middleware


def api_query_names() -> dict[str, set[str]]:
    """django-ninja reads a query by iterating it: its endpoints' names come from OpenAPI."""
    schema = api.get_openapi_schema(path_prefix="/api/")
    return {path: {p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"}
            for path, operations in schema["paths"].items() if "get" in operations}


def _query(value: str, names) -> dict:
    return dict.fromkeys(names, value)


@pytest.fixture
def crawl_users(db):
    marketer = make_user("mia", "Marketers")
    return {"anonymous": None, "nobody": make_user("nobody"), "marketer": marketer,
            "admin": make_user("ada", "Admins", is_staff=True)}


@pytest.fixture
def noting(settings):
    settings.MIDDLEWARE = ["tests.project.test_crawl.note_query_reads", *settings.MIDDLEWARE]
    NAMES_READ.clear()
    return NAMES_READ


@pytest.mark.parametrize("role", ["anonymous", "nobody", "marketer", "admin"])
def test_no_url_answers_a_hostile_query_with_a_server_error(client, crawl_users, role, noting):
    user = crawl_users[role]
    owner = crawl_users["marketer"]
    campaign = services.campaign_create(user=owner, name="c", push={"MsgBody": TEXT})
    if user is not None:
        client.force_login(user)
        from core.tokens import token_create
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token_create(user=user)[1]}"
    api_names = api_query_names()
    # /healthz answers 503 by design while no scheduler ticks; it reads no query parameter.
    routes = [r for r in dashboard_routes() if not r.startswith("admin/") and r != "healthz"]
    failures = []

    def get(url, note, *args, **kwargs):
        answer = client.get(url, *args, **kwargs)
        if answer.status_code >= 500:
            failures.append((url, note, answer.status_code))

    for route in routes:
        url = concrete(route, campaign.pk)
        noting.clear()
        # Names asked for with no query at all are those whose value alone can change the
        # answer: until the first one is asked for, a request naming one runs the same code.
        get(url, "no query")
        read = noting | api_names.get("/" + route.replace("<int:pk>", "{pk}"), set())
        for value in HOSTILE:
            get(url, repr(value)[:40], _query(value, PARAMS))
        for raw in RAW_QUERIES:
            get(url, raw[:40], QUERY_STRING=raw)
        for name in sorted(read):  # one at a time too: a bad value must not hide behind another
            for value in ONE_AT_A_TIME + (tuple(HOSTILE) if name not in PARAMS else ()):
                get(url, f"{name}={value!r}", {name: value})
    assert failures == []


def test_the_crawl_sees_the_names_a_page_or_endpoint_reads(client, crawl_users, noting):
    """The crawl's one-at-a-time requests go to the names seen read: seeing must work."""
    client.force_login(crawl_users["marketer"])
    client.get("/campaigns/")
    assert {"status", "day", "sort", "page"} <= noting
    noting.clear()
    client.get("/calendar/")
    assert "month" in noting
    assert api_query_names()["/api/campaigns/"] == {"status", "page", "app"}


@pytest.mark.parametrize("value", HOSTILE)
def test_dashboard_forms_take_hostile_values_without_a_server_error(client, crawl_users, value):
    marketer = crawl_users["marketer"]
    client.force_login(marketer)
    campaign = services.campaign_create(user=marketer, name="c", push={"MsgBody": TEXT})
    posts = [
        (f"/campaigns/{campaign.pk}/reschedule/", {"send_at_local": value}),
        ("/tokens/", {"revoke": value}),
        ("/tokens/", {"name": value}),
        ("/preferences/", {"language": value, "timezone": value, "next": value}),
        ("/campaigns/preview/", {"name": value, "msg_body": value, "send_tz": value,
                                 "send_at_local": value, "schedule": "at", "tags_all": value,
                                 "lifetime_value": value}),
        ("/campaigns/new/", {"name": value, "msg_body": value, "send_tz": value,
                             "send_at_local": value, "schedule": "at", "audience": "tags",
                             "tags_all": value, "lifetime_value": value,
                             "lifetime_unit": value}),
        (f"/campaigns/{campaign.pk}/edit/", {"name": value, "msg_body": value,
                                             "send_tz": value, "send_at_local": value,
                                             "schedule": value}),
    ]
    for url, data in posts:
        answer = client.post(url, data)
        assert answer.status_code < 500, (url, data)


def test_a_campaign_stored_with_an_unknown_zone_still_opens_and_can_be_rescheduled(client,
                                                                                   crawl_users):
    """A row holding a zone that does not exist (written before the API refused such zones)
    still opens its edit page and takes its reschedule action."""
    marketer = crawl_users["marketer"]
    campaign = services.campaign_create(user=marketer, name="c", push={"MsgBody": TEXT})
    services.Campaign.objects.filter(pk=campaign.pk).update(timezone="Mars/Base")
    client.force_login(marketer)
    assert client.get(f"/campaigns/{campaign.pk}/edit/").status_code == 200
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    answer = client.post(f"/campaigns/{campaign.pk}/reschedule/",
                         {"send_at_local": "2026-12-01T09:00"}, follow=True)
    assert answer.status_code == 200
    assert "must be an IANA time zone" in answer.content.decode()


@pytest.mark.parametrize("text", ["\\u0000", "\\ud800"])
def test_the_editor_refuses_text_the_database_cannot_store(client, crawl_users, text):
    """A NUL or a lone surrogate (JSON carries them as escapes) is refused in words, not a 500."""
    from tests.campaigns.test_pages import editor_post
    client.force_login(crawl_users["marketer"])
    body = '[{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a%sb"}}]' % text
    answer = client.post("/campaigns/new/", editor_post(msg_body=body))
    assert answer.status_code == 200
    assert "holds a NUL character or an unpaired surrogate" in answer.content.decode()
    assert not services.Campaign.objects.exists()
