"""Every page, in a real browser: no sideways scroll at 390 × 844, no serious or critical axe-core
violation at 390 × 844 and 1280 × 800, and no English word in the Chinese pages' visible text
outside the developer view and the data people typed.

The site is crawled once (a module fixture, ~100 page loads), and each page's findings are one
test, so a failure names its page. With SCREENSHOTS_DIR set, each page is also photographed
(docs/screenshots.py uses that for docs/development.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.emulator_process import SDKAPPID, SECRET_KEY

PHONE, DESKTOP = (390, 844), (1280, 800)
# (language, viewport, checks): axe at both widths; sideways scroll and English words on a phone.
PASSES = [("en", DESKTOP, {"axe"}), ("en", PHONE, {"axe", "scroll"}),
          ("zh-hans", PHONE, {"scroll", "english"})]
SERIOUS = {"serious", "critical"}

# Words allowed in Chinese pages: names of formats, standards, Tencent's endpoints, the keys
# Django's own Chinese names ("按住 Control 键或 Mac 上的 Command 键"), and English named in
# English in the language menu (each language in its own words).
ALLOWED_WORDS = {"ID", "CSV", "API", "UTC", "UTF", "JSON", "IANA", "iOS", "Android", "MsgRandom",
                 "all_member_push", "im_push", "timpush", "Control", "Command", "Mac", "English",
                 # push services' own names, as their Chinese consoles write them
                 "APNs", "FCM", "OPPO",
                 # Tencent's field names and a picture's scheme, named as the issue does
                 "TagsNot", "https"}
# IANA zone ids ("Asia/Shanghai") are zone names the issue allows where no city name is known.
IANA_ZONE = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|"
                       r"Pacific|Etc)/[A-Za-z_]+(?:/[A-Za-z_]+)?")
# What the seed below typed in, as people would: account ids, tags, names.
# The role groups' names are data too (rows a migration made; admins may rename them).
TYPED = [r"\bmember\d+\b", r"\bghost\b", r"\bada\b", r"\bvip\b", r"\bcity\b", r"\bscript\b",
         r"task-1", r"\bAdmins\b", r"\bMarketers\b", r"\bApprovers\b", r"\bAudience managers\b",
         r"\bShenzhen\b", r"\bsz\b",
         # A/B bucket tags as Tencent holds them ("ab:3", EXPERIMENT_BUCKET_PREFIX), and language
         # tags as people write them (BCP 47): data.
         r"\bab:(test:)?\d+", r"lang:marked:\d+", r"\bzh-Hans\b", r"\bja\b", r"\ben\b",
         r"lang:", r"timpush/push"]
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_’']+")

# The marketer's campaign screens (another branch reworks them): failures found there are
# listed here so the lead can reconcile after merging; each is an xfail(strict=True).
CAMPAIGN_PAGES = {"home", "campaign-list", "campaign-new", "campaign-detail", "campaign-edit",
                  "calendar"}
# {(check, page name): what fails}, check one of axe-desktop, axe-phone, scroll, english.
# ONLY ON THE admin BRANCH: the lead removes these at merge, once the editor branch's screens
# are in (strict: an xfail that starts passing fails, so none is left behind by mistake).
KNOWN_CAMPAIGN_FAILURES: dict[tuple[str, str], str] = {}

# JavaScript: the text a person sees (or hears), outside the developer view.
VISIBLE_TEXT = """() => {
  const skipped = (el) => el.closest(
    'script, style, noscript, template, [hidden], pre.json, code, bdi, [data-developer-view]');
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || skipped(el) || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    parts.push(walker.currentNode.textContent);
  }
  for (const el of document.querySelectorAll(
      '[aria-label], [placeholder], [title], input[type=submit], input[type=button], option')) {
    if (skipped(el)) continue;
    for (const name of ['aria-label', 'placeholder', 'title']) {
      if (el.getAttribute(name)) parts.push(el.getAttribute(name));
    }
    if (el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type)) parts.push(el.value);
    if (el.tagName === 'OPTION') parts.push(el.textContent);
  }
  return parts.join('\\n');
}"""


def seed() -> dict[str, str]:
    """A site with something on every page; returns {page name: path}."""
    from django.contrib.auth.models import User

    from audience import jobs, services
    from campaigns import experiments, languages
    from campaigns import services as campaign_services
    from campaigns.models import Attempt, Campaign
    from core.tokens import token_create

    ada = User.objects.create_superuser("ada", password="pw-ada")
    services.attribute_names_update(user=ada, names={"0": "city"})
    segment = services.segment_import(
        user=ada, name="春季会员", lines=[f"member{i:03d}" for i in range(120)] + ["ghost"])
    job = services.job_create(user=ada, action="add_tags", segment=segment, tags=["vip"],
                              api="timpush")
    jobs.job_run(job.pk)
    later = timezone.now() + dt.timedelta(days=2)
    text = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "五折优惠"}}]
    campaign = campaign_services.campaign_create(
        user=ada, name="周末促销", push={"MsgBody": text, "Condition": {"TagsOr": ["vip"]}},
        send_at=later)
    draft = campaign_services.campaign_create(user=ada, name="新品上市", push={"MsgBody": text})
    tested = campaign_services.campaign_create(user=ada, name="两版对比", push={"MsgBody": text})
    experiments.experiment_plan(campaign=tested, user=ada, send_at=later, variants=[
        {"buckets": [0]}, {"buckets": [1], "title": "第二版", "text": "买一送一"}])
    versions = campaign_services.campaign_create(user=ada, name="多语言", push={"MsgBody": text})
    languages.languages_plan(campaign=versions, user=ada, by="tags", send_at=later, versions=[
        {"language": "zh-Hans", "title": "促销"}, {"language": "ja", "title": "セール"}])
    sent = campaign_services.campaign_create(user=ada, name="会员日", push={"MsgBody": text})
    now = timezone.now()
    Campaign.objects.filter(pk=sent.pk).update(status="sent", sent_at=now, task_id="task-1")
    Attempt.objects.create(campaign=sent, msg_random=1, started_at=now, finished_at=now,
                           outcome="ok", task_id="task-1", quota_day=now.date())
    token = token_create(user=ada, name="script")[0]
    TYPED.append(re.escape(token.prefix))  # random letters, shown to tell tokens apart
    return {
        "login": "/login/", "home": "/", "campaign-list": "/campaigns/",
        "campaign-new": "/campaigns/new/", "campaign-detail": f"/campaigns/{campaign.pk}/",
        "campaign-edit": f"/campaigns/{campaign.pk}/edit/", "calendar": "/calendar/",
        "ab-test": f"/campaigns/{draft.pk}/ab-test/", "ab-test-panel": f"/campaigns/{tested.pk}/",
        "languages": f"/campaigns/{draft.pk}/languages/",
        "languages-panel": f"/campaigns/{versions.pk}/",
        "tokens": "/tokens/", "audit": "/audit/",
        "audiences": "/audiences/?account=member001", "audience-job": f"/audiences/jobs/{job.pk}/",
        "admin-login": "/admin/login/", "admin": "/admin/", "admin-audience": "/admin/audience/",
        "attribute-names": "/admin/audience/attributename/",
        "account-lookup": "/admin/audience/attributename/lookup/?account=member001",
        "segments": "/admin/audience/segment/", "segment-upload": "/admin/audience/segment/add/",
        "segment": f"/admin/audience/segment/{segment.pk}/change/",
        "segment-accounts": f"/admin/audience/segment/{segment.pk}/accounts/",
        "jobs": "/admin/audience/job/", "job-new": "/admin/audience/job/add/",
        "job": f"/admin/audience/job/{job.pk}/change/",
        "known-accounts": "/admin/audience/knownaccount/",
        "admin-campaigns": "/admin/campaigns/campaign/",
        "admin-campaign": f"/admin/campaigns/campaign/{sent.pk}/change/",
        "admin-attempts": "/admin/campaigns/attempt/", "admin-tokens": "/admin/core/apitoken/",
        "users": "/admin/auth/user/", "user": f"/admin/auth/user/{ada.pk}/change/",
        "groups": "/admin/auth/group/", "lockouts": "/admin/axes/accessattempt/",
    }


PAGE_NAMES = [
    "login", "home", "campaign-list", "campaign-new", "campaign-detail", "campaign-edit",
    "ab-test", "ab-test-panel", "languages", "languages-panel", "calendar", "tokens", "audit", "audiences", "audience-job", "admin-login", "admin", "admin-audience", "attribute-names",
    "account-lookup", "segments", "segment-upload", "segment", "segment-accounts", "jobs",
    "job-new", "job", "known-accounts", "admin-campaigns", "admin-campaign", "admin-attempts",
    "admin-tokens", "users", "user", "groups", "lockouts"]
ANONYMOUS = {"login", "admin-login"}


def log_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill("ada")
    page.locator("input[name=password]").fill("pw-ada")
    page.locator("form button").click()
    page.wait_for_url(f"{base}/")


def check(page, checks: set[str], axe: Axe) -> dict:
    found: dict = {}
    if "scroll" in checks:
        wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        found["scroll"] = wider if wider > 0 else 0
    if "axe" in checks:
        started = time.monotonic()
        result = axe.run(page)
        found["axe_seconds"] = round(time.monotonic() - started, 2)
        found["axe"] = sorted(
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}"
            for v in result.response["violations"] if v["impact"] in SERIOUS)
    if "english" in checks:
        text = IANA_ZONE.sub(" ", re.sub("|".join(TYPED), " ", page.evaluate(VISIBLE_TEXT)))
        found["english"] = sorted({w for w in ENGLISH_WORD.findall(text)} - ALLOWED_WORDS)
        found["english_in"] = sorted({text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ")
                                      for m in ENGLISH_WORD.finditer(text)
                                      if m[0] not in ALLOWED_WORDS})[:40]
    return found


@pytest.fixture(scope="module")
def crawl(browser, live_server, emulator_process, django_db_setup, django_db_blocker):
    """{(language, width, page name): findings}. Seeds, crawls, then empties the database."""
    from core.models import Preference
    from core import tencent

    shots = os.environ.get("SCREENSHOTS_DIR")
    passes = PASSES + ([("zh-hans", DESKTOP, set())] if shots else [])
    findings: dict[tuple[str, int, str], dict] = {}
    axe = Axe()
    with django_db_blocker.unblock(), override_settings(
            TIM_API_BASE_URL=emulator_process.url, TIM_REGION="", TIM_SDKAPPID=SDKAPPID,
            TIM_SECRET_KEY=SECRET_KEY):
        emulator_process.post("reset")
        emulator_process.post("accounts", {"accounts": [f"member{i:03d}" for i in range(120)]})
        tencent.clear()
        try:
            paths = seed()
            assert sorted(paths) == sorted(PAGE_NAMES)
            for language, (width, height), checks in passes:
                Preference.objects.update_or_create(user_id=_ada_id(),
                                                    defaults={"language": language})
                context = browser.new_context(viewport={"width": width, "height": height},
                                              locale="zh-CN" if language != "en" else "en-US")
                page = context.new_page()
                page.set_default_timeout(15000)
                for name in sorted(ANONYMOUS):
                    page.goto(live_server.url + paths[name])
                    findings[language, width, name] = check(page, checks, axe)
                    _shoot(page, shots, name, language, width)
                log_in(page, live_server.url)
                for name in PAGE_NAMES:
                    if name in ANONYMOUS:
                        continue
                    answer = page.goto(live_server.url + paths[name])
                    assert answer.status == 200, (name, answer.status)
                    findings[language, width, name] = check(page, checks, axe)
                    _shoot(page, shots, name, language, width)
                context.close()
        finally:
            tencent.clear()
            call_command("flush", interactive=False, verbosity=0)
    if os.environ.get("CRAWL_REPORT"):  # for a person fixing what the crawl found
        Path(os.environ["CRAWL_REPORT"]).write_text(json.dumps(
            [[*key, value] for key, value in findings.items()], ensure_ascii=False, indent=1))
    return findings


def _ada_id() -> int:
    from django.contrib.auth.models import User
    return User.objects.get(username="ada").pk


# The pages docs/development.md shows, at both widths in both languages.
SHOWN = {"home", "audit", "segment-upload", "segment-accounts", "job", "admin"}


def _shoot(page, folder: str | None, name: str, language: str, width: int) -> None:
    if folder and name in SHOWN:
        Path(folder).mkdir(parents=True, exist_ok=True)
        suffix = "" if language == "en" else "-zh"
        page.screenshot(path=str(Path(folder) / f"{name}-{width}{suffix}.png"))


def _cases(check_name: str) -> list:
    cases = []
    for name in PAGE_NAMES:
        reason = KNOWN_CAMPAIGN_FAILURES.get((check_name, name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


# One test worker runs this module (make test: --dist loadgroup), so its module fixture is
# made once, not once on each worker.
pytestmark = [pytest.mark.usefixtures("crawl"), pytest.mark.xdist_group("every_page")]


@pytest.mark.parametrize("name", _cases("axe-desktop"))
def test_axe_finds_nothing_serious_at_desktop_width(crawl, name):
    assert crawl["en", DESKTOP[0], name]["axe"] == []


@pytest.mark.parametrize("name", _cases("axe-phone"))
def test_axe_finds_nothing_serious_on_a_phone(crawl, name):
    assert crawl["en", PHONE[0], name]["axe"] == []


@pytest.mark.parametrize("name", _cases("scroll"))
def test_no_page_scrolls_sideways_on_a_phone(crawl, name):
    assert crawl["en", PHONE[0], name]["scroll"] == 0
    assert crawl["zh-hans", PHONE[0], name]["scroll"] == 0


@pytest.mark.parametrize("name", _cases("english"))
def test_chinese_pages_have_no_english_words(crawl, name):
    assert crawl["zh-hans", PHONE[0], name]["english"] == []
