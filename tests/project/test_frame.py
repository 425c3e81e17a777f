"""The shared page frame: a skip link, and preferences for language and time zone in the
header, each language named in its own words."""

import pytest

from core.models import Preference

pytestmark = pytest.mark.django_db


def test_languages_are_named_in_their_own_words(client, marketer):
    """Each language is named in its own words: English, not 英语, on the Chinese page."""
    Preference.objects.create(user=marketer, language="zh-hans")
    client.force_login(marketer)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<option value="en" lang="en">English</option>' in html
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in html
    assert "英语" not in html


def test_every_page_has_a_skip_link_to_its_content(client, marketer):
    client.force_login(marketer)
    html = client.get("/tokens/").content.decode()
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main" tabindex="-1">' in html


def test_the_header_sets_the_time_zone_and_pages_show_it(client, admin_user):
    """The header offers a time-zone preference, and pages show times in it."""
    client.force_login(admin_user)
    html = client.get("/audit/").content.decode()
    assert '<label class="visually-hidden" for="pref-timezone">Time zone</label>' in html
    assert 'value="Beijing, Shanghai (Asia/Shanghai)" list="time-zones"' in html
    client.post("/preferences/", {"timezone": "Europe/Berlin", "next": "/audit/"})
    assert Preference.objects.get(user=admin_user).timezone == "Europe/Berlin"
    html = client.get("/audit/").content.decode()
    assert 'value="Berlin (Europe/Berlin)" list="time-zones"' in html
    assert "(Berlin)" in html
