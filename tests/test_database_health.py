"""Persistent PostgreSQL connections are checked before each request (Django's
`CONN_HEALTH_CHECKS`): one the server ended is replaced, and the reader never sees it."""

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


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(postgresql, client):
    ended = postgresql.connection
    with psycopg.connect(**postgresql.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended.info.backend_pid])

    # What Django does before the first query of a request.
    postgresql.health_check_done = False
    postgresql.close_if_health_check_failed()

    assert postgresql.connection is not ended
    with postgresql.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert client.get("/healthz").status_code == 200
