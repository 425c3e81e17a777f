"""The health check and production settings (the compose stack: test_compose.py)."""

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def ticked(seconds_ago: float, share: int = 0) -> None:
    from django.utils import timezone

    from campaigns.models import DispatcherRole
    DispatcherRole.objects.update_or_create(
        share=share,
        defaults={"last_tick_at": timezone.now() - dt.timedelta(seconds=seconds_ago)})


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_the_schedulers_last_tick(client):
    ticked(5)
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("status", "database", "broker", "scheduler")} == {
        "status": "ok", "database": "ok", "broker": "ok", "scheduler": "ok"}
    assert body["scheduler_last_tick"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_scheduler_has_not_ticked_for_a_minute(client):
    ticked(61)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["scheduler"] == "down" and answer.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_one_share_of_the_apps_has_no_dispatcher(client, settings):
    settings.DISPATCHERS = 2
    ticked(1, share=0)
    assert client.get("/healthz").json()["scheduler"] == "down"  # share 1 never ticked
    ticked(61, share=1)
    assert client.get("/healthz").json()["scheduler"] == "down"
    ticked(1, share=1)
    assert client.get("/healthz").json()["scheduler"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_redis_is_down(client, settings):
    """Checked by the URL the settings name: without REDIS_URL (a newcomer's `make test`) the
    app's transport is the default run's, which would answer for it."""
    ticked(1)
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:1/0"
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["broker"] == "down" and answer.json()["scheduler"] == "ok"
    assert "hunter2" not in answer.content.decode()


@pytest.mark.django_db
def test_healthz_is_503_when_the_default_runs_broker_file_cannot_be_opened(client, settings,
                                                                          tmp_path):
    ticked(1)
    settings.CELERY_BROKER_URL = f"sqlite:///{tmp_path / 'gone' / 'broker.sqlite3'}"
    assert client.get("/healthz").json()["broker"] == "down"
    (tmp_path / "gone").mkdir()
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["broker"] == "ok"


@pytest.mark.django_db
def test_the_health_command_fails_naming_the_check_that_is_down():
    from django.core.management import CommandError, call_command
    ticked(120)
    call_command("health", "database", "broker")
    with pytest.raises(CommandError, match="down: scheduler"):
        call_command("health", "scheduler")


def test_production_settings_refuse_to_start_without_a_secret_key():
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEVELOPMENT", "SECRET_KEY")}
    result = subprocess.run([sys.executable, "-c", "import django, os; "
                             "os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()"],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert "SECRET_KEY is required unless DJANGO_DEVELOPMENT=1" in result.stderr


def test_a_dot_env_file_is_read_and_the_environment_wins_over_it(tmp_path):
    import os
    import subprocess
    import sys
    (tmp_path / ".env").write_text("TIM_CALLS_PER_SECOND=77\nPUSH_DAILY_QUOTA=55\n")
    env = {**os.environ, "ENV_FILE": str(tmp_path / ".env"), "PUSH_DAILY_QUOTA": "33"}
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
            "django.setup(); from django.conf import settings as s; "
            "print(s.TIM_CALLS_PER_SECOND, s.PUSH_DAILY_QUOTA)")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["77", "33"]
