import os
import shutil

import pytest

from tests.stack import require_service

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    require_service("Chromium (/usr/bin/chromium)", bool(shutil.which(CHROMIUM)))
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def signed_in(browser, live_server, *, width=1280, language="en", username="mia",
              role="Marketers", **flags):
    """(user, page): a new person with the role and language, signed in at the width."""
    from playwright.sync_api import expect

    from core.models import Preference
    from tests.conftest import make_user
    user = make_user(username, role, **flags)
    Preference.objects.create(user=user, language=language, timezone="Asia/Shanghai")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"pw-{username}")
    page.locator("form button").click()
    expect(page).to_have_url(f"{live_server.url}/")
    return user, page


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} scrolls sideways: {width}px"
