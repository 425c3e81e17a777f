"""Labels as people read them, in a real browser, on the marketer's and the admin's pages (Django
admin's included): in Chinese no ASCII colon after Chinese words ("账号 ID:" is a typo in
Chinese, which writes "：", Django's label suffix included) and, on our pages, no ASCII bracket,
comma or semicolon beside them; and, in English and Chinese at 390 and 1280 px, every checkbox
and radio button beside its label, centred on the label's first line, its words wrapping beside
it rather than under it.

The pages are visited once (a module fixture) and each page's findings are one test, so a
failure names its page. Chinese needs a CJK font to be measured as people see it
(`apt-get install fonts-noto-cjk`, as .ci/run does).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.browser.test_every_page import PAGE_NAMES, log_in, seed
from tests.emulator_process import SDKAPPID, SECRET_KEY
from tests.stack import require_service

# One test worker runs this module (make test: --dist loadgroup), so its module fixture is
# made once, not once on each worker.
pytestmark = pytest.mark.xdist_group("labels_and_boxes")

PHONE, DESKTOP = 390, 1280
# A box's middle may sit this far from the middle of its label's first line. A box on the
# text's baseline rides 1.5 px high: Latin words hide it (their small letters sit low), square
# Chinese characters, which fill the line, show it.
MIDDLE_TOLERANCE = 1
# Its words start this close to its right edge, and a line they wrap onto starts where they do,
# not under the box.
MAX_GAP = 16

# Pages test_every_page does not visit: the marketer's forms with checkboxes and radio buttons,
# and Django admin's.
MORE_PAGES = ["campaign-sent", "campaign-repeat", "local-time", "local-time-split", "series-list",
              "series", "templates", "test-groups", "test-group", "workspace",
              "user-add"]
MARKETER_PAGES = ["home", "campaign-list", "campaign-new", "campaign-detail", "campaign-edit",
                  "calendar", "tokens", "campaign-sent", "campaign-repeat", "local-time",
                  "local-time-split", "series-list", "series", "templates", "test-groups",
                  "test-group"]
# Each person edits only their own test groups.
ADMIN_PAGES = [name for name in PAGE_NAMES + MORE_PAGES
               if name not in ("login", "admin-login", "test-group")]

CJK = "\u3400-\u9fff\uf900-\ufaff"
# An ASCII colon after Chinese words, or after a short Latin word that follows them ("账号 ID:"),
# that is not part of a time (09:00) or an address (https://).
COLON_AFTER_CHINESE = re.compile(rf"[{CJK}](?:\s*[A-Za-z0-9]{{1,6}})?\s*:(?!//|\d)")
# ASCII brackets, commas and semicolons beside Chinese words ("时间 (北京", "已用 3, 已预订"),
# on our own pages: Django admin's templates write some ("1 条结果。 (显示全部)"), and are not
# copied here to change a bracket.
ASCII_BESIDE_CHINESE = re.compile(rf"[{CJK}]\s?[(),;]|[(),;]\s?[{CJK}]")

# JavaScript: the visible text, one entry per block (inline elements joined, so "<b>名称</b>:"
# reads as one), and what people are shown in attributes, outside the developer view.
BLOCK_TEXTS = """() => {
  const skipped = (el) => el.closest(
    'script, style, noscript, template, [hidden], pre.json, code, bdi, [data-developer-view]');
  const blockOf = (el) => {
    while (el && el !== document.body && getComputedStyle(el).display.startsWith('inline')) {
      el = el.parentElement;
    }
    return el;
  };
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || skipped(el) || !el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    const block = blockOf(el);
    blocks.set(block, (blocks.get(block) || '') + walker.currentNode.textContent);
  }
  const texts = [...blocks.values()];
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    if (skipped(el)) continue;
    for (const name of ['aria-label', 'placeholder', 'title']) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts.map((text) => text.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""

# JavaScript: each visible checkbox or radio button with a label (around it or beside it): how
# far the middle of its label's first line is below the box's middle, how far the words start
# right of the box, and how far left of that their leftmost line starts (a line wrapped under
# the box).
BOXES = """() => {
  for (const details of document.querySelectorAll('details')) details.open = true;
  const found = [];
  for (const box of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
    const at = box.getBoundingClientRect();
    const label = box.labels && box.labels[0];
    if (!label || !at.width || !at.height) continue;
    const lines = [];
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const start = node.textContent.search(/\\S/);
      if (start < 0 || !node.parentElement.getClientRects().length) continue;
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, node.textContent.trimEnd().length);
      lines.push(...[...range.getClientRects()].filter((rect) => rect.width > 0));
    }
    if (!lines.length) continue;
    const first = lines[0];
    found.push({
      box: box.name + (box.value && box.value !== 'on' ? '=' + box.value : ''),
      label: label.textContent.replace(/\\s+/g, ' ').trim().slice(0, 30),
      below: Math.round(((first.top + first.bottom) - (at.top + at.bottom)) / 2 * 10) / 10,
      gap: Math.round(first.left - at.right),
      under: Math.round(first.left - Math.min(...lines.map((rect) => rect.left))),
    });
  }
  return found;
}"""


def more_pages(paths: dict[str, str]) -> dict[str, str]:
    """The seed's marketer, and something on each page MORE_PAGES names."""
    from audience.models import AccountTag, KnownAccount
    from campaigns import library, local_time, recurring, services
    from campaigns.models import Campaign, TestGroup
    from core.models import Preference
    from tests.conftest import TEXT, make_user

    mia = make_user("mia", "Marketers")
    Preference.objects.create(user=mia, timezone="Asia/Shanghai")
    sent = Campaign.objects.get(status="sent")
    for zone, accounts in {"Asia/Tokyo": ["member001"], "Europe/Berlin": ["member002"]}.items():
        for account in accounts:
            KnownAccount.objects.get_or_create(account=account)
            AccountTag.objects.create(account=account, tag=f"tz:{zone}")
    draft = services.campaign_create(user=mia, name="早安", push={"MsgBody": TEXT})
    split = services.campaign_create(user=mia, name="晚安", push={"MsgBody": TEXT})
    day = timezone.now().date() + dt.timedelta(days=3)
    local_time.campaign_split_by_zone(campaign=split, user=mia, day=day, hour=9, by="tags",
                                      zones=["Asia/Tokyo", "Europe/Berlin"])
    series = recurring.series_create(
        campaign=draft, user=mia, name="每周提示", local_time=dt.time(9), starts_on=day,
        tz="Asia/Shanghai", full_day="skip",
        rrule=recurring.build_rrule(freq="weekly", weekdays=["MO", "TH"], count=4))
    library.template_save(campaign=draft, user=mia, name="早安模板")
    group = TestGroup.objects.create(owner=mia, name="同事", accounts=["member001"])
    return {**paths, "campaign-sent": f"/campaigns/{sent.pk}/",
            "campaign-repeat": f"/campaigns/{draft.pk}/repeat/",
            "local-time": f"/campaigns/{draft.pk}/local-time/?by=tags",
            "local-time-split": f"/campaigns/{split.pk}/", "series-list": "/series/",
            "series": f"/series/{series.pk}/", "templates": "/templates/",
            "test-groups": "/test-groups/", "test-group": f"/test-groups/{group.pk}/",
            "workspace": "/admin/campaigns/workspace/1/change/",
            "user-add": "/admin/auth/user/add/"}


def _cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True)
    return bool(listed.stdout.strip())


@pytest.fixture(scope="module")
def visits(browser, live_server, emulator_process, django_db_setup, django_db_blocker):
    """{(role, language, width, page name): {"colons": [...], "ascii": [...], "boxes": [...]}}."""
    require_service("a CJK font (fonts-noto-cjk)", _cjk_font())
    from campaigns.models import Workspace
    from core import tencent
    from core.models import Preference

    found: dict[tuple[str, str, int, str], dict] = {}
    with django_db_blocker.unblock(), override_settings(
            TIM_API_BASE_URL=emulator_process.url, TIM_REGION="", TIM_SDKAPPID=SDKAPPID,
            TIM_SECRET_KEY=SECRET_KEY):
        emulator_process.post("reset")
        tencent.clear()
        try:
            paths = more_pages(seed())
            Workspace.objects.update_or_create(pk=1, defaults={"quiet_start": dt.time(22),
                                                               "quiet_end": dt.time(8)})
            passes = [("marketer", "zh-hans", PHONE)] + [
                ("admin", language, width) for language in ("en", "zh-hans")
                for width in (PHONE, DESKTOP)]
            for role, language, width in passes:
                username, pages = ("mia", MARKETER_PAGES) if role == "marketer" else (
                    "ada", ADMIN_PAGES)
                Preference.objects.update_or_create(user_id=_user_id(username),
                                                    defaults={"language": language})
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                page.set_default_timeout(15000)
                _log_in(page, live_server.url, username)
                for name in pages:
                    answer = page.goto(live_server.url + paths[name])
                    assert answer.status == 200, (role, name, answer.status)
                    texts = page.evaluate(BLOCK_TEXTS) if language != "en" else []
                    found[role, language, width, name] = {
                        "colons": sorted({t for t in texts if COLON_AFTER_CHINESE.search(t)}),
                        "ascii": sorted({t for t in texts if ASCII_BESIDE_CHINESE.search(t)
                                         and not paths[name].startswith("/admin/")}),
                        "boxes": page.evaluate(BOXES)}
                context.close()
        finally:
            tencent.clear()
            call_command("flush", interactive=False, verbosity=0)
    return found


def _user_id(username: str) -> int:
    from django.contrib.auth.models import User
    return User.objects.get(username=username).pk


def _log_in(page, base: str, username: str) -> None:
    if username == "ada":
        log_in(page, base)
        return
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"pw-{username}")
    page.locator("form button").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("role, name", [("marketer", n) for n in MARKETER_PAGES]
                         + [("admin", n) for n in ADMIN_PAGES])
def test_chinese_text_has_no_ascii_colon(visits, role, name):
    assert visits[role, "zh-hans", PHONE, name]["colons"] == []


@pytest.mark.parametrize("role, name", [("marketer", n) for n in MARKETER_PAGES]
                         + [("admin", n) for n in ADMIN_PAGES])
def test_chinese_text_has_no_ascii_bracket_comma_or_semicolon(visits, role, name):
    assert visits[role, "zh-hans", PHONE, name]["ascii"] == []


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_every_box_sits_beside_its_label(visits, name):
    askew = {(language, width): [box for box in visits["admin", language, width, name]["boxes"]
                                 if abs(box["below"]) > MIDDLE_TOLERANCE
                                 or not 0 <= box["gap"] <= MAX_GAP or box["under"] > 0]
             for language in ("en", "zh-hans") for width in (PHONE, DESKTOP)}
    assert {key: boxes for key, boxes in askew.items() if boxes} == {}


def test_the_visit_met_boxes_on_the_forms_that_have_them(visits):
    """The check above measured something: the weekdays, the zones and a confirmation."""
    boxes = {box["box"].split("=")[0] for key, value in visits.items()
             if key[1] == "zh-hans" for box in value["boxes"]}
    assert {"weekdays", "zones", "confirm", "freq", "is_active"} <= boxes
