"""The site's icon: linked from every page (the dashboard's and Django admin's), and answered
at /favicon.ico, where browsers ask for it on their own (else a 404 in every log)."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.conftest import make_user

pytestmark = pytest.mark.django_db
LINK = '<link rel="icon" href="/static/core/favicon.svg" type="image/svg+xml">'


def test_favicon_ico_leads_to_the_icon(client):
    answer = client.get("/favicon.ico")
    assert (answer.status_code, answer["Location"]) == (302, "/static/core/favicon.svg")
    # A static file: collected for production (WhiteNoise serves it), found in development.
    assert Path(finders.find("core/favicon.svg")).read_text().startswith("<svg ")


@pytest.mark.parametrize("url", ["/login/", "/", "/templates/", "/admin/"])
def test_every_page_links_the_icon(client, url):
    client.force_login(make_user("ada", "Admins", is_staff=True))
    if url == "/login/":
        client.logout()
    answer = client.get(url)
    assert answer.status_code == 200 and LINK in answer.content.decode()
