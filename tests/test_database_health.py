"""Persistent PostgreSQL connections: checked before each request, without a round trip while
they sit idle and the server has said nothing (`articles.postgresql`)."""

import time
from unittest import mock

import psycopg
import pytest
from django.db import connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def postgresql():
    db = connections["default"]
    if db.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    db.ensure_connection()
    db.health_check_enabled = True
    yield db
    db.health_check_enabled = db.settings_dict["CONN_HEALTH_CHECKS"]


def ask_health_check(db):
    """What Django does before the first query of a request."""
    db.health_check_done = False
    db.close_if_health_check_failed()


def test_an_idle_connection_is_kept_without_asking_the_server(postgresql):
    kept = postgresql.connection
    with mock.patch.object(type(postgresql), "is_usable", side_effect=AssertionError("asked")):
        ask_health_check(postgresql)
    assert postgresql.connection is kept
    assert postgresql.health_check_done


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(postgresql, client):
    ended = postgresql.connection
    with psycopg.connect(**postgresql.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended.info.backend_pid])
    deadline = time.monotonic() + 5
    while postgresql._quietly_idle() and time.monotonic() < deadline:  # the news arrives
        time.sleep(0.01)

    ask_health_check(postgresql)

    assert postgresql.connection is not ended
    with postgresql.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert client.get("/healthz").status_code == 200


def test_a_connection_inside_a_transaction_is_checked_by_django(postgresql):
    with mock.patch.object(type(postgresql), "is_usable", return_value=True) as is_usable:
        postgresql.connection.execute("BEGIN")
        try:
            ask_health_check(postgresql)
        finally:
            postgresql.connection.execute("ROLLBACK")
    is_usable.assert_called_once()
