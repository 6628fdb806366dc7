"""Copy arrives by files (`manage.py ingest`), by push, and by the worker's polling."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from ingest import polling, tasks
from ingest.models import IncomingItem, IngestSource

from .feedserver import FeedServer
from .samples import as_bytes, ingest_source, newsml, ninjs3_item, rss

Kind, Arrival = IngestSource.Kind, IngestSource.Arrival


# Files -----------------------------------------------------------------------------------------


def test_ingest_command_reads_files_and_folders(db, tmp_path):
    source = ingest_source(Kind.NINJS_3, slug="wire")
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.json").write_bytes(as_bytes(ninjs3_item(uri="urn:x:a")))
    (folder / "b.json").write_bytes(as_bytes(ninjs3_item(uri="urn:x:b")))
    (folder / "notes.txt").write_text("not copy")
    single = tmp_path / "c.json"
    single.write_bytes(as_bytes(ninjs3_item(uri="urn:x:c")))
    out = io.StringIO()
    call_command("ingest", "wire", str(folder), str(single), stdout=out)
    assert set(source.items.values_list("guid", flat=True)) == {"urn:x:a", "urn:x:b", "urn:x:c"}
    assert "3 items stored (3 new" in out.getvalue()


def test_ingest_command_names_an_unknown_source(db, tmp_path):
    ingest_source(Kind.NINJS_3, slug="wire")
    with pytest.raises(CommandError, match="No ingest source “nope” \\(known: wire\\)"):
        call_command("ingest", "nope", str(tmp_path))


# Push ------------------------------------------------------------------------------------------


@pytest.fixture
def pushed(db):
    source = ingest_source(Kind.NINJS_3, slug="agency", arrival=Arrival.PUSH)
    token = source.new_token()
    source.save()
    return source, token


def test_push_with_the_token_answers_202_and_stores_the_items(client, pushed):
    source, token = pushed
    response = client.post(
        "/ingest/agency/",
        as_bytes(ninjs3_item()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202
    assert response.json()["created"] == 1
    assert source.items.count() == 1
    assert len(source.token_hash) == 64 and token not in source.token_hash


@pytest.mark.parametrize("authorization", ["Bearer wrong", "", "Basic abc"])
def test_push_with_a_wrong_or_missing_token_gets_401_and_stores_nothing(
    client, pushed, authorization
):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post(
        "/ingest/agency/", as_bytes(ninjs3_item()), content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not IncomingItem.objects.exists()


def test_push_to_an_unknown_source_looks_like_a_wrong_token(client, pushed):
    _, token = pushed
    response = client.post(
        "/ingest/other/",
        b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401


@override_settings(INGEST_MAX_BYTES=1000)
def test_push_over_the_size_limit_gets_413_and_stores_nothing(client, pushed):
    _, token = pushed
    big = ninjs3_item(bodies=[{"role": "main", "contentType": "text/plain", "value": "x" * 2000}])
    response = client.post(
        "/ingest/agency/",
        as_bytes(big),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413
    assert not IncomingItem.objects.exists()


def test_push_of_malformed_json_gets_400_with_the_reason_on_the_source(client, pushed):
    source, token = pushed
    response = client.post(
        "/ingest/agency/",
        b"{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("malformed JSON")
    source.refresh_from_db()
    assert source.last_error.startswith("push: malformed JSON")


def test_push_refuses_get(client, pushed):
    assert client.get("/ingest/agency/").status_code == 405


# Polling ---------------------------------------------------------------------------------------


def polled_source(url, **extra):
    return ingest_source(Kind.FEED, arrival=Arrival.POLL, url=url, interval_minutes=10, **extra)


FEED = rss({"title": "Polled", "guid": "p1", "body": "<p>Polled text.</p>"})


def test_polling_stores_items_then_costs_nothing_when_the_source_answers_304(db):
    with FeedServer() as server:
        server.routes["/feed"] = (
            200,
            {"ETag": '"v1"', "Content-Type": "application/rss+xml"},
            FEED,
        )
        source = polled_source(server.url("/feed"))
        now = timezone.now()
        polling.poll(source, now=now)
        assert source.items.count() == 1
        source.refresh_from_db()
        assert source.etag == '"v1"'
        assert source.next_poll_at == now + timedelta(minutes=10)

        modified_before = source.items.get().updated_at
        report = polling.poll(source)
        assert not report.failed and report.counts == {}
        assert server.requests[-1][1]["If-None-Match"] == '"v1"'
        assert len(server.requests) == 2
        assert source.items.get().updated_at == modified_before


def test_a_failing_source_backs_off_and_shows_its_last_error(db):
    with FeedServer() as server:
        server.routes["/feed"] = (500, {}, b"oops")
        source = polled_source(server.url("/feed"))
        now = timezone.now()
        polling.poll(source, now=now)
        polling.poll(source, now=now)
        source.refresh_from_db()
        assert source.failures == 2
        assert source.last_error.endswith("HTTP 500 Internal Server Error")
        assert source.next_poll_at == now + timedelta(minutes=40)  # 10 min × 2²

        server.routes["/feed"] = (200, {}, FEED)
        polling.poll(source, now=now)
        source.refresh_from_db()
        assert (source.failures, source.last_error) == (0, "")


def test_only_due_sources_are_polled_and_a_stale_task_does_nothing(db):
    with FeedServer() as server:
        server.routes["/feed"] = (200, {}, FEED)
        now = timezone.now()
        due = polled_source(server.url("/feed"), name="Due", next_poll_at=now)
        polled_source(server.url("/feed"), name="Later", next_poll_at=now + timedelta(hours=1))
        polled_source(server.url("/feed"), name="Off", active=False)
        assert tasks.poll_due(now=now) == {due.slug: "polled"}
        assert len(server.requests) == 1

        due.refresh_from_db()
        outdated = (due.next_poll_at - timedelta(minutes=1)).isoformat()
        assert tasks.claim_and_poll(due.pk, outdated) == "stale"
        assert tasks.claim_and_poll(due.pk, due.next_poll_at.isoformat()) == "polled"
        assert len(server.requests) == 2


def test_poll_now_in_the_admin_polls_and_reports(admin_client, db):
    with FeedServer() as server:
        server.routes["/feed"] = (200, {}, newsml())
        source = ingest_source(Kind.NEWSML_G2, arrival=Arrival.POLL, url=server.url("/feed"))
        response = admin_client.post(
            "/admin/ingest/ingestsource/",
            {"action": "poll_now", "_selected_action": [source.pk]},
            follow=True,
        )
        assert "1 item stored (1 new" in response.text
        assert source.items.count() == 1
