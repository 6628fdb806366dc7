"""The foundation: settings that refuse bad configuration, the demo newsroom, health."""

import io
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import OperationalError

ROOT = Path(__file__).resolve().parent.parent


def start_with(env_overrides):
    """Run `manage.py check` in a clean process with the given environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "DATABASE_REPLICA_URL",
            "NEWSROOM_TIME_ZONE",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = start_with({})
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Newsroom cannot start: SECRET_KEY is not set. "
        "Set SECRET_KEY (or DEBUG=1 for local development)."
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "postgres//nonsense"),
        ("DATABASE_URL", "mongodb://localhost/db"),
        ("REDIS_URL", "http://localhost:6379"),
        ("DATABASE_REPLICA_URL", "postgres//nonsense"),
        ("DATABASE_REPLICA_URL", "sqlite:///replica.sqlite3"),
        ("NEWSROOM_TIME_ZONE", "Mars/Olympus_Mons"),
    ],
)
def test_malformed_configuration_stops_start_up_with_one_line_naming_the_variable(variable, value):
    result = start_with({"SECRET_KEY": "x", variable: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Newsroom cannot start:")
    assert variable in lines[0]


def test_debug_mode_starts_without_any_configuration():
    result = start_with({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def row_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"articles", "authors", "taggit", "auth"}
    }


@pytest.mark.django_db
def test_loading_the_demo_twice_leaves_the_same_rows():
    call_command("load_demo", quiet_logins=True, stdout=io.StringIO())
    first = row_counts()
    call_command("load_demo", quiet_logins=True, stdout=io.StringIO())
    assert row_counts() == first
    assert first["articles.Article"] >= 15


def test_home_page_shows_the_seed_headline(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    assert "NATO to open first Asian liaison office in Tokyo" in response.text


@pytest.mark.django_db
def test_admin_login_page_renders(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.text


@pytest.mark.django_db
def test_healthz_reports_a_live_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_a_dead_database_as_503(client):
    with mock.patch(
        "articles.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response["Cache-Control"] == "no-store"


def test_each_request_runs_in_the_site_language_and_zone_then_restores_what_was_active(
    client, settings
):
    from django.http import HttpResponse
    from django.urls import path
    from django.utils import timezone, translation

    seen = {}

    def probe(request):
        seen["language"] = translation.get_language()
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse("ok")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("probe/", probe)]})
    settings.LANGUAGE_CODE = "de"
    settings.TIME_ZONE = "Europe/Vienna"

    assert client.get("/probe/").status_code == 200

    assert seen == {"language": "de", "zone": "Europe/Vienna"}
    # Nothing the request activated stays active: the settings' values show through again.
    settings.LANGUAGE_CODE = "en-gb"
    settings.TIME_ZONE = "UTC"
    assert translation.get_language() == "en-gb"
    assert timezone.get_current_timezone_name() == "UTC"
    # And what the thread had active before the request is kept.
    with translation.override("fr"):
        client.get("/probe/")
        assert seen["language"] == "en-gb"
        assert translation.get_language() == "fr"
