"""The README's "Who may do what" table, tried cell by cell over HTTP as the people it names:
the author (a marketer), another marketer, an approver, an admin and a superuser. Each row is a
scenario below; the table is read from README.md, so a row added there without a scenario, or
a cell the product does not keep, fails here."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import approval, services
from campaigns.models import Campaign, TestGroup
from core.tokens import token_create
from tests.campaigns.test_approval_gates import sent_by
from tests.conftest import TEXT, make_user

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[2] / "README.md"
PUSH = {"MsgBody": TEXT, "OfflinePushInfo": {"Title": "Sale", "Desc": "Half price"}}
COLUMNS = {"The author (a marketer)": "author", "Another marketer": "other",
           "An approver": "approver", "An admin": "admin", "A superuser": "superuser"}


def table() -> list[tuple[str, str, str]]:
    """(row, column, cell) for every cell of the table under "### Who may do what"."""
    section = README.read_text().split("### Who may do what", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    cells = []
    for line in lines[2:]:
        row, *values = [c.strip() for c in line.strip("|").split("|")]
        cells += [(row, COLUMNS[column], value) for column, value in zip(header, values)]
    return cells


class Team:
    """The five people, each with an API client, and a second approver for set-ups."""

    def __init__(self):
        self.users = {
            "author": make_user("mia", "Marketers"), "other": make_user("max", "Marketers"),
            "approver": make_user("abe", "Approvers"),
            "admin": make_user("ada", "Admins", is_staff=True),
            "superuser": make_user("sue", is_staff=True, is_superuser=True)}
        self.second_approver = make_user("ann", "Approvers")

    def api(self, who: str) -> Client:
        user = self.users[who] if isinstance(who, str) else who
        return Client(HTTP_AUTHORIZATION=f"Token {token_create(user=user)[1]}")

    def page(self, who: str) -> Client:
        client = Client()
        client.force_login(self.users[who])
        return client

    def written(self, who="author", **extra) -> Campaign:
        return services.campaign_create(user=self.users[who], name="Sale", push=PUSH, **extra)

    def submitted(self, who="author", **extra) -> Campaign:
        campaign = self.written(who, **extra)
        approval.campaign_submit(campaign=campaign, user=self.users[who])
        return campaign

    def approved(self, **extra) -> Campaign:
        campaign = self.submitted(**extra)
        approval.campaign_approve(campaign=campaign, user=self.second_approver)
        campaign.refresh_from_db()
        return campaign


def in_two_days() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)


def ok(answer) -> bool:
    """Allowed: 2xx. Refused: 403 (role or part in it) or 400 (a rule of the input); anything
    else (a 409 for a wrong state, a 500) means the scenario did not test the permission."""
    assert answer.status_code < 300 or answer.status_code in (400, 403), answer.content
    return answer.status_code < 300


def write_edit_submit(team, who, settings, tim) -> bool:
    api = team.api(who)
    created = api.post("/api/campaigns/", {"name": "Own", "push": PUSH},
                       content_type="application/json")
    someone_elses = team.written()
    edited = api.patch(f"/api/campaigns/{someone_elses.pk}/", {"name": "Sale!"},
                       content_type="application/json")
    submitted = api.post(f"/api/campaigns/{someone_elses.pk}/submit/")
    return ok(created) and ok(edited) and ok(submitted)


def approve_without_a_hand(team, who, settings, tim) -> bool:
    campaign = team.submitted("other" if who == "author" else "author")
    return ok(team.api(who).post(f"/api/campaigns/{campaign.pk}/approve/"))


def send_back_without_a_hand(team, who) -> bool:
    campaign = team.submitted("other" if who == "author" else "author")
    return ok(team.api(who).post(f"/api/campaigns/{campaign.pk}/send-back/",
                                 {"comment": "Shorter"}, content_type="application/json"))


def approve_with_a_hand(team, who, settings, tim) -> bool:
    """The person edited a campaign someone else wrote and a third person submitted."""
    campaign = team.written()
    assert ok(team.api(who).patch(f"/api/campaigns/{campaign.pk}/", {"name": "Sale!"},
                                  content_type="application/json"))
    approval.campaign_submit(campaign=campaign, user=team.users["author"] if who != "author"
                             else team.users["other"])
    return ok(team.api(who).post(f"/api/campaigns/{campaign.pk}/approve/"))


def book_at_the_approved_time(team, who, settings, tim) -> bool:
    """Approved while its day was full, so not booked; once there is room, booked at the time
    the approval covered."""
    at = in_two_days()
    settings.CAMPAIGN_APPROVAL = False
    services.campaign_create(user=team.users["other"], name="Filler", push=PUSH, send_at=at)
    settings.CAMPAIGN_APPROVAL, settings.PUSH_DAILY_QUOTA = True, 1
    campaign = team.approved(send_at=at)
    assert campaign.status == "approved"
    settings.PUSH_DAILY_QUOTA = 2
    return ok(team.api(who).post(f"/api/campaigns/{campaign.pk}/schedule/",
                                 {"send_at": at.isoformat()}, content_type="application/json"))


def book_at_another_time(team, who, settings, tim) -> bool:
    at = in_two_days()
    campaign = team.approved(send_at=at)
    assert campaign.status == "scheduled"
    later = team.api(who).post(f"/api/campaigns/{campaign.pk}/schedule/",
                               {"send_at": (at + dt.timedelta(hours=1)).isoformat()},
                               content_type="application/json")
    now = team.api(who).post(f"/api/campaigns/{campaign.pk}/send-now/")
    assert ok(later) == ok(now)
    return ok(later)


def cancel_and_recall(team, who, owner, settings) -> bool:
    draft = team.written(owner)
    cancelled = team.api(who).post(f"/api/campaigns/{draft.pk}/cancel/")
    recalled = team.api(who).post(f"/api/campaigns/{sent_by(team.users[owner], settings).pk}/recall/",
                                  {"OfflinePushInfo": {"Title": "Sorry", "Desc": "Tomorrow"}},
                                  content_type="application/json")
    assert ok(cancelled) == ok(recalled)
    return ok(cancelled)


def cancel_or_recall_own(team, who, settings, tim) -> bool:
    return cancel_and_recall(team, who, who, settings)


def cancel_or_recall_someone_elses(team, who, settings, tim) -> bool:
    return cancel_and_recall(team, who, "author", settings)


def change_test_groups(team, who, settings, tim) -> bool:
    """Add, change and delete through the page (test groups have no API)."""
    page = team.page(who)
    page.post("/test-groups/", {"name": f"{who}'s phones", "accounts": "p1\np2"})
    added = TestGroup.objects.filter(name=f"{who}'s phones").exists()
    group = TestGroup.objects.create(owner=team.users["approver"], name="QA", accounts=["q1"])
    page.post(f"/test-groups/{group.pk}/", {"name": "QA", "accounts": "q1\nq2"})
    changed = TestGroup.objects.get(pk=group.pk).accounts == ["q1", "q2"]
    page.post(f"/test-groups/{group.pk}/", {"delete": "1"})
    deleted = not TestGroup.objects.filter(pk=group.pk).exists()
    assert added == changed == deleted
    return added


def a_test_send(team, who, accounts: int, **target) -> bool:
    campaign = team.written()
    body = target or {"accounts": [f"phone{i}" for i in range(accounts)]}
    return ok(team.api(who).post(f"/api/campaigns/{campaign.pk}/test/", body,
                                 content_type="application/json"))


def send_to_a_group_or_ten(team, who, settings, tim) -> bool:
    group = TestGroup.objects.create(owner=team.users["approver"], name="QA",
                                     accounts=[f"qa{i}" for i in range(50)])
    return a_test_send(team, who, 0, group=group.pk) and a_test_send(team, who, 10)


def send_to_eleven(team, who, settings, tim) -> bool:
    return a_test_send(team, who, 11)


SCENARIOS = {
    "Write, edit or submit a campaign": write_edit_submit,
    "Approve or send back a campaign they had no hand in": approve_without_a_hand,
    "Approve a campaign they had a hand in": approve_with_a_hand,
    "Book an approved campaign at its approved time": book_at_the_approved_time,
    "Send now, or book at another time, an approved campaign they had no hand in":
        book_at_another_time,
    "Cancel or recall their own campaign": cancel_or_recall_own,
    "Cancel or recall someone else's campaign": cancel_or_recall_someone_elses,
    "Add, change or delete a test group": change_test_groups,
    "Test-send to a test group, or to up to 10 typed accounts": send_to_a_group_or_ten,
    "Test-send to 11 typed accounts": send_to_eleven,
}
CELLS = [pytest.param(row, who, cell, id=f"{re.sub(r'[^a-z0-9]+', '-', row.lower())[:40]}-{who}")
         for row, who, cell in table() if cell != "—"]


def test_every_row_of_the_table_has_a_scenario():
    assert {row for row, _, _ in table()} == set(SCENARIOS)


@pytest.mark.parametrize(("row", "who", "cell"), CELLS)
def test_the_table_holds(row, who, cell, settings, tim):
    settings.CAMPAIGN_APPROVAL = True
    settings.CAMPAIGN_APPROVAL_NEEDS_TEST = False
    assert cell in ("yes", "no"), cell
    team = Team()
    allowed = SCENARIOS[row](team, who, settings, tim)
    if row.startswith("Approve or send back"):
        assert send_back_without_a_hand(team, who) == allowed
    assert allowed == (cell == "yes"), f"{row}: {who} {'may' if allowed else 'may not'}"
