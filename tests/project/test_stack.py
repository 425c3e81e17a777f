"""The deployment files and the health check."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_web_worker_and_beat_from_one_image_with_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "." and services[name]["environment"] is \
            services["web"]["environment"], f"{name} shares the app definition"
        assert "REDIS_URL" in services[name]["environment"]
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert "gunicorn config.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:1/0"
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "down", "database": "ok", "broker": "down"}
    assert "hunter2" not in answer.content.decode()


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
