"""Which database a read uses: the replica only for an anonymous reader's public page."""

import pytest
from django.test import RequestFactory

from articles import db_router
from articles.models import Article

factory = RequestFactory()


@pytest.mark.parametrize(
    ("request_", "public"),
    [
        (factory.get("/"), True),
        (factory.head("/world/"), True),
        (factory.get("/", HTTP_COOKIE="sessionid=abc"), False),
        (factory.get("/", HTTP_COOKIE="messages=abc"), False),
        (factory.get("/", HTTP_AUTHORIZATION="Bearer token"), False),
        (factory.get("/admin/articles/article/"), False),
        (factory.get("/preview/abc/"), False),
        (factory.get("/healthz"), False),
        (factory.post("/search/"), False),
        (factory.get("/api/v1/articles/"), True),
        (factory.get("/api/v1/articles/", HTTP_AUTHORIZATION="Bearer nr_secret"), False),
        (factory.get("/api/v1/articles/", HTTP_COOKIE="sessionid=abc"), False),
    ],
    ids=[
        "anonymous",
        "head",
        "session",
        "flash",
        "token",
        "admin",
        "preview",
        "healthz",
        "post",
        "api-anonymous",
        "api-token",
        "api-session",
    ],
)
def test_only_an_anonymous_readers_get_is_a_public_read(request_, public):
    assert db_router.public_read(request_) is public


def route_within(request, settings, *, caught_up, monkeypatch):
    """The alias a read of an article gets inside ``request``, the replica as given."""
    settings.DATABASES = {**settings.DATABASES, "replica": {}}
    monkeypatch.setattr(db_router, "replica_caught_up", lambda: caught_up)
    seen = []

    def view(request):
        seen.append(db_router.ReplicaRouter().db_for_read(Article))
        seen.append(db_router.ReplicaRouter().db_for_write(Article))
        return None

    db_router.PublicReadsMiddleware(view)(request)
    return seen


def test_a_public_read_uses_the_replica_and_writes_the_primary(settings, monkeypatch):
    assert route_within(factory.get("/"), settings, caught_up=True, monkeypatch=monkeypatch) == [
        "replica",
        "default",
    ]


def test_a_replica_down_or_behind_the_last_purge_sends_public_reads_to_the_primary(
    settings, monkeypatch
):
    assert route_within(factory.get("/"), settings, caught_up=False, monkeypatch=monkeypatch) == [
        "default",
        "default",
    ]


def test_an_anonymous_api_read_uses_the_replica_a_token_clients_the_primary(settings, monkeypatch):
    anonymous = factory.get("/api/v1/articles/")
    token = factory.get("/api/v1/articles/", HTTP_AUTHORIZATION="Bearer nr_secret")
    assert route_within(anonymous, settings, caught_up=True, monkeypatch=monkeypatch)[0] == (
        "replica"
    )
    assert route_within(token, settings, caught_up=True, monkeypatch=monkeypatch)[0] == "default"


def test_an_anonymous_api_read_uses_the_primary_while_the_replica_is_behind(settings, monkeypatch):
    anonymous = factory.get("/api/v1/articles/")
    assert route_within(anonymous, settings, caught_up=False, monkeypatch=monkeypatch)[0] == (
        "default"
    )


def test_staff_and_anything_outside_a_request_read_the_primary(settings, monkeypatch):
    signed_in = factory.get("/", HTTP_COOKIE="sessionid=abc")
    assert route_within(signed_in, settings, caught_up=True, monkeypatch=monkeypatch)[0] == (
        "default"
    )
    assert db_router.ReplicaRouter().db_for_read(Article) == "default"  # worker, commands


def test_a_failing_replica_is_skipped_for_a_while_then_tried_again(settings, monkeypatch):
    settings.NEWSROOM_REPLICA_RETRY_SECONDS = 5
    state = db_router.ReplicaState()
    clock = [100.0]
    monkeypatch.setattr(db_router.time, "monotonic", lambda: clock[0])
    state.failed(OSError("connection refused"))
    assert not state.available()
    clock[0] += 5
    assert state.available()


def test_healthz_says_there_is_no_replica_when_none_is_configured(client, db):
    assert client.get("/healthz").json()["replica"] == {"status": "off"}


@pytest.mark.django_db
def test_the_position_noted_at_a_purge_covers_changes_not_yet_written_out(settings):
    # With `synchronous_commit = off` a commit returns before its WAL is written out: the
    # position noted must cover what was inserted, or a replica short of it counts as
    # caught up. (Inside the test's transaction the insert is not written out either.)
    from django.core.cache import cache
    from django.db import connection

    from articles.models import Section

    if connection.vendor != "postgresql":
        pytest.skip("WAL positions are PostgreSQL's")
    settings.DATABASES = {**settings.DATABASES, "replica": {}}
    cache.delete(db_router.PRIMARY_POSITION)
    Section.objects.create(name="Withdrawn", slug="withdrawn")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
        inserted = int(cursor.fetchone()[0])
    db_router.note_primary_position()
    assert cache.get(db_router.PRIMARY_POSITION) >= inserted
