"""The task worker (`manage.py run_worker`): it waits out database outages instead of dying,
sweeps the outbox by itself, says it is alive, and `/healthz` and the admin home say so."""

import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection
from django.tasks import task_backends
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import caching, tasks
from articles.models import SideEffect, WorkerHeartbeat
from articles.worker import Supervisor, worker_health
from bench.throwaway import Postgres, postgres_unavailable
from tests.factories import make_article, make_user

ROOT = Path(__file__).resolve().parents[2]


# The loop waits out the database ---------------------------------------------------------------


def test_the_worker_waits_out_a_database_outage_logging_it_once(caplog):
    supervisor = Supervisor(interval=1)
    rounds = []

    def step():
        rounds.append("step")
        if len(rounds) <= 4:
            raise OperationalError("the database system is shutting down")
        supervisor.stopping = True

    pauses = []
    with (
        mock.patch.object(supervisor, "step", step),
        mock.patch.object(supervisor, "pause", pauses.append),
        caplog.at_level(logging.WARNING, logger="articles.worker"),
    ):
        supervisor.serve()

    assert len(rounds) == 5  # it never gave up
    # Backing off, never longer than two seconds; then the usual interval.
    assert pauses == [0.5, 1.0, 2.0, 2.0, 1]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("Database unavailable; the worker waits for it")
    assert messages[1].startswith("Database back after")


@pytest.mark.django_db
def test_a_worker_round_beats_and_sweeps_what_no_task_woke_up(settings):
    article = make_article()
    # A side effect whose wake-up task failed or was never queued (the outbox row is the truth).
    row = SideEffect.objects.create(article=article, kind=tasks.PURGE, key="purge:lost")
    supervisor = Supervisor()
    with (
        mock.patch("articles.caching.purge_keys") as purge,
        # It would close the test's transaction: outside tests it only drops a dead connection.
        mock.patch("articles.worker.close_old_connections"),
    ):
        supervisor.step()
    row.refresh_from_db()
    assert row.state == SideEffect.State.DONE
    purge.assert_called_once()
    beat = WorkerHeartbeat.objects.get(worker_id=supervisor.worker_id)
    assert beat.pid == os.getpid()
    assert worker_health()["running"]


@pytest.mark.django_db
def test_tasks_a_stopped_worker_left_running_are_queued_again(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert type(task_backends["default"]).__name__ == "DatabaseBackend"
    live = WorkerHeartbeat.objects.create(worker_id="alive")
    long_ago = timezone.now() - tasks.lease() - timedelta(minutes=1)

    def running_task(worker_id):
        result = tasks.run_side_effect.enqueue(0)
        DBTaskResult.objects.filter(pk=result.id).update(
            status="RUNNING", started_at=long_ago, worker_ids=[worker_id]
        )
        return result.id

    abandoned, busy = running_task("killed"), running_task(live.worker_id)
    Supervisor().requeue_abandoned_tasks(timezone.now())
    assert DBTaskResult.objects.get(pk=abandoned).status == "READY"
    assert DBTaskResult.objects.get(pk=busy).status == "RUNNING"


# /healthz and the admin home -------------------------------------------------------------------


@pytest.fixture
def closed_breaker():
    caching.breaker.reset()
    yield
    caching.breaker.reset()


@pytest.mark.django_db
def test_healthz_reports_each_dependency_and_ok_when_all_are(client, closed_breaker):
    Supervisor().beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert (report["status"], report["database"]) == ("ok", "ok")
    assert report["cache"]["status"] == "ok"
    assert report["worker"]["running"] is True
    assert report["worker"]["heartbeat_age_seconds"] <= 1
    assert report["worker"]["queue_age_seconds"] == 0
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_healthz_says_degraded_when_the_cache_is_down(client, closed_breaker):
    Supervisor().beat()
    with mock.patch("articles.caching.cache.get", side_effect=ConnectionError("redis down")):
        response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded"
    assert report["cache"]["status"] == "degraded"
    assert "redis down" in report["cache"]["error"]


@pytest.mark.django_db
def test_healthz_says_degraded_when_no_worker_beats_or_the_queue_waits(client):
    WorkerHeartbeat.objects.create(worker_id="gone", seen_at=timezone.now() - timedelta(minutes=10))
    report = client.get("/healthz").json()
    assert report["status"] == "degraded"
    assert report["worker"]["running"] is False
    assert report["worker"]["heartbeat_age_seconds"] == 600

    Supervisor().beat()
    SideEffect.objects.create(
        article=make_article(),
        kind=tasks.PURGE,
        key="purge:waiting",
        due_at=timezone.now() - timedelta(minutes=7),
    )
    report = client.get("/healthz").json()
    assert report["status"] == "degraded"
    assert report["worker"]["running"] is True
    assert report["worker"]["queue_age_seconds"] >= 420
    assert report["worker"]["overdue"] == 1


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "OperationalError"


@pytest.mark.django_db
def test_the_admin_home_tells_editors_whether_the_worker_runs():
    client = Client()
    client.force_login(make_user("Editor"))
    WorkerHeartbeat.objects.create(worker_id="gone", seen_at=timezone.now() - timedelta(minutes=12))
    assert "Not running: last seen 12 minutes ago" in client.get("/admin/").text
    Supervisor().beat()
    assert "Running (last seen" in client.get("/admin/").text


# A real PostgreSQL that stops and starts under a running worker --------------------------------


@pytest.fixture
def throwaway_postgres():
    reason = postgres_unavailable()
    if reason:
        pytest.skip(f"no throwaway PostgreSQL cluster: {reason}")
    cluster = Postgres().initialise()
    cluster.start()
    cluster.create_database("nr_worker_outage")
    yield cluster
    cluster.close()


def last_heartbeat(url):
    with psycopg.connect(url, connect_timeout=2) as conn:
        return conn.execute("SELECT max(seen_at) FROM articles_workerheartbeat").fetchone()[0]


@pytest.mark.postgres
def test_the_worker_process_survives_postgresql_stopping_and_works_again_when_it_returns(
    throwaway_postgres,
):
    url = throwaway_postgres.url("nr_worker_outage")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": url,
        "DEBUG": "1",
        "REDIS_URL": "",
        "DB_CONN_MAX_AGE": "600",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    worker = subprocess.Popen(
        [*manage, "run_worker", "--interval", "0.2", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while last_heartbeat(url) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert last_heartbeat(url) is not None

        throwaway_postgres.stop()
        time.sleep(3)
        assert worker.poll() is None, "the worker died with the database"
        throwaway_postgres.start()
        back = timezone.now()

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (last_heartbeat(url) or back) <= back:
            time.sleep(0.2)
        assert worker.poll() is None
        assert last_heartbeat(url) > back  # working again, without a restart
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=10)
    assert errors.count("Database unavailable") == 1, errors
    assert "Database back after" in errors
