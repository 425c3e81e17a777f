"""What a fresh walk through issue 25's loop found cut, in a real headless browser, in English
and Chinese at 390 and 1280 px: the editor's time-zone field beside the date, a split
campaign's table of pushes and the Audiences page's jobs on a phone. Each shows its text whole,
inside its card."""

import pytest
from playwright.sync_api import expect

from audience import services as audience_services
from audience.models import Job
from campaigns import local_time
from tests.browser.conftest import no_sideways_scroll, signed_in
from tests.browser.test_lists_and_dates import LANGUAGES, WIDTHS
from tests.campaigns.test_local_time import ZONES, a_day_ahead, draft, mirror

pytestmark = pytest.mark.django_db(transaction=True)

# Whether an element's content is wider than the element: an input's text beyond its box, a
# table beyond its card (which then scrolls it sideways, the status column out of sight).
CUT = "(e) => ({content: e.scrollWidth, box: e.clientWidth})"


def whole(locator) -> None:
    size = locator.evaluate(CUT)
    assert size["content"] <= size["box"] + 1, f"cut: {size}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_editor_s_time_zone_field_shows_its_zone_whole(browser, live_server, language,
                                                          width):
    """'Beijing, Shanghai (Asia/Shanghai)' was cut to 'Beijing, Shanghai (Asia/Shang' at 1280
    px and '北京、上海（Asia/' at 390 px, half a row beside the date."""
    _, page = signed_in(browser, live_server, width=width, language=language)
    page.goto(f"{live_server.url}/campaigns/new/")
    zone = page.locator("input[name=send_tz]")
    expect(zone).to_have_value("Beijing, Shanghai (Asia/Shanghai)" if language == "en"
                               else "北京、上海（Asia/Shanghai）")
    whole(zone)
    whole(page.locator("input[name=send_at_local]"))
    no_sideways_scroll(page)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_split_s_pushes_show_every_column_inside_their_card(browser, live_server, language,
                                                             width):
    """At 390 px the table of pushes was wider than its card: the status column ('Sched…')
    scrolled out of sight."""
    user, page = signed_in(browser, live_server, width=width, language=language)
    mirror()
    parent = draft(user)
    local_time.campaign_split_by_zone(campaign=parent, user=user, day=a_day_ahead(), hour=9,
                                      by="attr", key="tz", zones=list(ZONES))
    page.goto(f"{live_server.url}/campaigns/{parent.pk}/")
    buckets = page.get_by_test_id("buckets")
    expect(buckets.get_by_text("America/Los_Angeles", exact=True)).to_be_visible()
    expect(buckets.locator(".status:visible")).to_have_count(len(ZONES))
    whole(buckets)
    no_sideways_scroll(page)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_audiences_jobs_show_every_column_inside_their_card(browser, live_server, language,
                                                               width):
    """At 390 px the jobs table was wider than its card: who started a job, and when, scrolled
    out of sight."""
    user, page = signed_in(browser, live_server, width=width, language=language,
                           username="ada", role="Admins", is_staff=True)
    segment = audience_services.segment_import(user=user, name="Berlin fans",
                                               lines=iter(["be1", "be2", "be3"]))
    Job.objects.create(action="add_tags", segment=segment, total=3, done=3,
                       tags=["tz:Europe/Berlin", "vip"], created_by=user,
                       status=Job.Status.DONE)
    page.goto(f"{live_server.url}/audiences/")
    jobs = page.get_by_test_id("jobs")
    expect(jobs.get_by_text("ada", exact=True)).to_be_visible()
    expect(jobs.locator(".status:visible")).to_have_count(1)
    whole(jobs.locator("xpath=.."))
    no_sideways_scroll(page)
    page.context.close()
