"""The API example in docs/api.md, copied into a shell as a person would: bash, curl and jq
against the server, with the login `make run` creates from the README's command."""

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Campaign
from tests.stack import require_service

ROOT = Path(__file__).resolve().parents[2]


def api_example() -> str:
    blocks = re.findall(r"^```sh\n(.*?)^```", (ROOT / "docs" / "api.md").read_text(), re.M | re.S)
    return next(block for block in blocks if "/api/campaigns/" in block)


def test_the_example_names_no_fixed_time():
    """A fixed time ("send_at": "2026-11-27T09:00:00+08:00") is refused once that day has
    passed ("send_at is in the past"); a time made from now works whenever it is copied."""
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", api_example())


@pytest.mark.django_db(transaction=True)
def test_the_api_example_books_a_campaign_whenever_it_is_copied(live_server, monkeypatch):
    for tool in ("curl", "jq"):
        require_service(tool, bool(shutil.which(tool)))
    # The README's `DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_PASSWORD=change-me make run`,
    # which the example's login uses.
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "change-me")
    call_command("ensure_login")
    script = api_example().replace("localhost:8000", live_server.url.removeprefix("http://"))
    asked = timezone.now()
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["status"] == "scheduled", answer
    campaign = Campaign.objects.get(pk=answer["id"])
    assert campaign.name == "Black Friday" and campaign.push["Condition"] == {
        "TagsOr": ["vip", "newsletter"]}
    assert asked + dt.timedelta(minutes=59) <= campaign.due_at <= \
        timezone.now() + dt.timedelta(hours=1)


def test_the_readme_starts_the_login_the_example_uses():
    readme = (ROOT / "README.md").read_text()
    assert "DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_PASSWORD=change-me make run" in readme
