"""Webhook deliveries: signed as Standard Webhooks says, sent after commit through the outbox,
only for stories readers see, once per go-live, retried for a day, then the endpoint paused."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from articles import tasks, workflow
from articles.models import Article, SideEffect
from tests.browser.conftest import ensure_migration_rows
from tests.factories import make_article, make_user
from webhooks.models import Delivery, Endpoint, Event

from .receiver import Receiver, verify

Status = Article.Status
NOW = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)
ALL_EVENTS = [e.value for e in Event]


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    # The test receivers listen on 127.0.0.1.
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_TIMEOUT = 2


@pytest.fixture
def newsroom(db):
    writer = make_user("Journalist")
    editor = make_user("Editor")
    article = make_article(status=Status.DRAFT, created_by=writer, authors=[writer.author_profile])
    return {"writer": writer, "editor": editor, "article": article}


def endpoint_for(receiver, *, owner, events=ALL_EVENTS):
    endpoint = Endpoint.objects.create(url=receiver.url(), events=events, owner=owner)
    receiver.secret = endpoint.secret
    return endpoint


def delivery_row(event=None):
    rows = SideEffect.objects.filter(kind__in=tasks.WEBHOOK_KINDS)
    if event:
        rows = rows.filter(payload__webhook=event)
    return rows.get()


def test_a_published_story_arrives_signed_as_standard_webhooks_describe(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver, owner=newsroom["editor"])
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(article, by=newsroom["editor"])
            assert receiver.requests == []  # nothing leaves before the commit
    (request,) = receiver.requests
    assert verify(endpoint.secret, request["headers"], request["body"])
    assert not verify("whsec_" + "A" * 32, request["headers"], request["body"])
    assert request["headers"]["webhook-id"] == tasks.idempotency_key(delivery_row())
    body = json.loads(request["body"])
    assert body["type"] == "article.published"
    assert body["data"]["id"] == article.pk
    assert body["data"]["headline"] == article.headline
    assert body["data"]["url"].endswith(article.get_absolute_url())
    delivery = Delivery.objects.get()
    assert (delivery.status_code, delivery.event) == (204, "article.published")
    assert delivery.delivered_at is not None


def test_a_tampered_body_does_not_verify(newsroom, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver, owner=newsroom["editor"])
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(newsroom["article"], by=newsroom["editor"])
    (request,) = receiver.requests
    tampered = request["body"].replace('"article.published"', '"article.withdrawn"')
    assert not verify(endpoint.secret, request["headers"], tampered)


def test_a_500_is_retried_later_with_the_same_id_and_body(
    newsroom, django_capture_on_commit_callbacks
):
    with Receiver(answers=[500, 204]) as receiver:
        endpoint = endpoint_for(receiver, owner=newsroom["editor"])
        with time_machine.travel(NOW, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                workflow.publish(newsroom["article"], by=newsroom["editor"])
            row = delivery_row()
            assert (row.state, row.attempts) == (SideEffect.State.PENDING, 1)
            assert row.last_error.startswith("DeliveryFailed: HTTP 500")
            assert row.due_at == NOW + timedelta(seconds=30)
            assert tasks.sweep() == {}  # not before its retry time
        with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
            assert tasks.sweep() == {"done": 1}
    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    assert first["valid"] and second["valid"]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_nothing_is_sent_for_a_draft_or_a_story_in_review(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with Receiver() as receiver:
        endpoint_for(receiver, owner=newsroom["editor"])
        with django_capture_on_commit_callbacks(execute=True):
            tasks.after_save(article, version=2)
            workflow.submit(article, by=newsroom["writer"])
            tasks.after_save(article, version=3, corrected=True)
            workflow.return_to_writer(article, by=newsroom["editor"], note="Check the name.")
        tasks.sweep()
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_editing_a_scheduled_story_sends_nothing_before_its_go_live(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with Receiver() as receiver, time_machine.travel(NOW, tick=False):
        endpoint_for(receiver, owner=newsroom["editor"])
        with django_capture_on_commit_callbacks(execute=True):
            workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=2))
            article.refresh_from_db()
            tasks.after_save(article, version=article.version + 1)
        tasks.sweep()
    assert receiver.requests == []
    assert Delivery.objects.get().event == "article.published"  # waiting for its time


def test_a_scheduled_story_sends_exactly_one_published_event_at_its_go_live(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    go_live = NOW + timedelta(hours=2)
    with Receiver() as receiver:
        endpoint_for(receiver, owner=newsroom["editor"])
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=1))
            workflow.schedule(article, by=newsroom["editor"], at=go_live)  # rescheduled
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            tasks.sweep()
        with time_machine.travel(go_live - timedelta(seconds=1), tick=False):
            tasks.sweep()
            assert receiver.requests == []
        with time_machine.travel(go_live, tick=False):
            tasks.sweep()
            tasks.sweep()
        with time_machine.travel(go_live + timedelta(hours=1), tick=False):
            tasks.sweep()
    assert receiver.events() == ["article.published"]
    (request,) = receiver.requests
    assert request["valid"]
    assert request["headers"]["webhook-timestamp"] == str(int(go_live.timestamp()))
    assert json.loads(request["body"])["timestamp"] == go_live.isoformat()


def test_a_story_unscheduled_before_its_go_live_sends_nothing(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with Receiver() as receiver:
        endpoint_for(receiver, owner=newsroom["editor"])
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=1))
            workflow.back_to_draft(article, by=newsroom["editor"])
            workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=1))
            workflow.withdraw(article, by=newsroom["editor"], reason="Legal hold.")
        with time_machine.travel(NOW + timedelta(hours=2), tick=False):
            tasks.sweep()
    assert receiver.requests == []  # never live: neither published nor withdrawn


def test_updates_corrections_and_withdrawal_of_a_live_story_are_each_announced(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with Receiver() as receiver:
        endpoint_for(receiver, owner=newsroom["editor"])
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(article, by=newsroom["editor"])
        article.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            tasks.after_save(article, version=article.version + 1)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.after_save(article, version=article.version + 2, corrected=True)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.withdraw(article, by=newsroom["editor"], reason="Source retracted.")
    assert receiver.events() == [
        "article.published",
        "article.updated",
        "article.corrected",
        "article.withdrawn",
    ]
    withdrawn = json.loads(receiver.requests[-1]["body"])["data"]
    assert withdrawn["id"] == article.pk
    assert withdrawn["url"].endswith(article.get_absolute_url())
    assert "headline" not in withdrawn
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert len(ids) == 4


def test_an_endpoint_hears_only_the_events_it_asked_for(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with Receiver() as receiver:
        endpoint_for(receiver, owner=newsroom["editor"], events=["article.withdrawn"])
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(article, by=newsroom["editor"])
            workflow.withdraw(article, by=newsroom["editor"], reason="Source retracted.")
    assert receiver.events() == ["article.withdrawn"]


def test_an_expiring_story_sends_article_expired_at_its_expiry(
    newsroom, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    expires = NOW + timedelta(hours=3)
    Article.objects.filter(pk=article.pk).update(expires_at=expires)
    with Receiver() as receiver:
        endpoint_for(receiver, owner=newsroom["editor"], events=["article.expired"])
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            workflow.publish(article, by=newsroom["editor"])
        with time_machine.travel(expires - timedelta(seconds=1), tick=False):
            tasks.sweep()
            assert receiver.requests == []
        with time_machine.travel(expires, tick=False):
            tasks.sweep()
            tasks.sweep()
    assert receiver.events() == ["article.expired"]
    assert json.loads(receiver.requests[0]["body"])["data"]["id"] == article.pk


def test_a_paused_endpoint_is_sent_nothing(newsroom, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver, owner=newsroom["editor"])
        Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(newsroom["article"], by=newsroom["editor"])
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_an_endpoint_failing_for_a_day_is_paused_and_its_owner_mailed(
    newsroom, django_capture_on_commit_callbacks
):
    owner = newsroom["editor"]
    with Receiver(answers=[503]) as receiver:
        endpoint = endpoint_for(receiver, owner=owner)
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            workflow.publish(newsroom["article"], by=owner)
        mail.outbox.clear()  # the byline's "published" e-mail
        row = delivery_row()
        waits = []
        while row.state == SideEffect.State.PENDING:
            waits.append(row.due_at)
            with time_machine.travel(row.due_at, tick=False):
                tasks.sweep()
            row.refresh_from_db()
            endpoint.refresh_from_db()
            if endpoint.active:
                assert not mail.outbox
    # Backing off from 30 s, doubling, and the last try a day after the first.
    gaps = [later - earlier for earlier, later in zip([NOW, *waits], waits, strict=False)]
    assert gaps[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert waits[-1] == NOW + timedelta(hours=24)
    assert all(gap <= timedelta(hours=6) for gap in gaps)
    assert row.state == SideEffect.State.FAILED
    assert len(receiver.requests) == len(waits) + 1
    assert not endpoint.active
    with time_machine.travel(waits[-1] + timedelta(seconds=1), tick=False):
        tasks.sweep()  # the e-mail to the owner, recorded in the outbox at the pause
        assert not tasks.overdue().exists()  # the receiver's failure, not the worker's
    (message,) = mail.outbox
    assert message.to == [owner.email]
    assert endpoint.url in message.body
    assert "HTTP 503" in message.body
    # Paused, it records nothing for later stories.
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(make_article(status=Status.DRAFT), by=owner)
    assert Delivery.objects.count() == 1


def test_a_success_within_the_day_keeps_the_endpoint_active(
    newsroom, django_capture_on_commit_callbacks
):
    owner = newsroom["editor"]
    with Receiver(answers=[500, 500, 204]) as receiver:
        endpoint = endpoint_for(receiver, owner=owner)
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            workflow.publish(newsroom["article"], by=owner)
        endpoint.refresh_from_db()
        assert endpoint.failing_since == NOW
        for _ in range(2):
            with time_machine.travel(delivery_row().due_at, tick=False):
                tasks.sweep()
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failing_since) == (True, None)
    assert delivery_row().state == SideEffect.State.DONE


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
# Not serialized_rollback: run after the browser tests (transactional, unserialised), it would
# find the content types re-made under new ids and fail to restore them. The roles are made
# again here instead, as the browser tests do.
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_delivery_once():
    ensure_migration_rows()
    editor = make_user("Editor")
    articles = [make_article(status=Status.DRAFT) for _ in range(8)]
    with Receiver() as receiver:
        for _ in range(2):
            endpoint_for(receiver, owner=editor)
        with time_machine.travel(NOW, tick=False):
            for article in articles:
                workflow.schedule(article, by=editor, at=NOW + timedelta(minutes=5))
        assert SideEffect.objects.filter(kind=tasks.GOLIVE_WEBHOOK).count() == 16
        barrier = threading.Barrier(2)

        def worker():
            try:
                barrier.wait()
                tasks.sweep(now=NOW + timedelta(hours=1))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(ids) == 16
    assert len(set(ids)) == 16
    assert not SideEffect.objects.filter(kind=tasks.GOLIVE_WEBHOOK).exclude(state="done").exists()
