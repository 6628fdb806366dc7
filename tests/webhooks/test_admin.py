"""Webhooks in the admin: an editor registers an endpoint (refused clearly if unsafe), copies
its secret, sends a test event, reads its deliveries and resumes it once paused."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from articles import tasks, workflow
from articles.models import Article, SideEffect
from tests.factories import make_article, make_user
from webhooks.models import Delivery, Endpoint

from .receiver import Receiver


@pytest.fixture
def editor(db):
    return make_user("Editor")


@pytest.fixture
def client(editor):
    client = Client()
    client.force_login(editor)
    return client


def add(client, url):
    return client.post(
        reverse("admin:webhooks_endpoint_add"),
        {
            "url": url,
            "description": "Partner app",
            "events": ["article.published"],
            "owner": "",
            "active": "on",
        },
    )


def test_an_editor_registers_an_endpoint_and_sees_its_secret_to_copy(client, editor, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    response = client.post(
        reverse("admin:webhooks_endpoint_add"),
        {
            "url": "http://127.0.0.1:8001/hook",
            "events": ["article.published", "article.withdrawn"],
            "owner": editor.pk,
            "active": "on",
        },
    )
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["article.published", "article.withdrawn"]
    assert endpoint.secret.startswith("whsec_")
    # Saved, the editor lands on the endpoint's page, where the secret is to be copied.
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    page = client.get(response["Location"])
    assert endpoint.secret in page.content.decode()
    assert "Currently:" not in page.content.decode()


def test_a_loopback_url_is_a_form_error_in_the_admin(client):
    response = add(client, "http://127.0.0.1:8001/hook")
    assert response.status_code == 200
    assert "public addresses" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_journalist_cannot_register_webhooks(db):
    client = Client()
    client.force_login(make_user("Journalist"))
    assert client.get(reverse("admin:webhooks_endpoint_add")).status_code == 403


def test_the_test_event_arrives_and_is_listed_with_the_endpoints_deliveries(
    client, editor, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver() as receiver:
        endpoint = Endpoint.objects.create(url=receiver.url(), events=[], owner=editor)
        receiver.secret = endpoint.secret
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:webhooks_endpoint_changelist"),
                {"action": "send_test_event", "_selected_action": [endpoint.pk]},
            )
        assert response.status_code == 302
    (request,) = receiver.requests
    assert request["valid"]
    assert json.loads(request["body"])["type"] == "webhook.test"
    listing = client.get(
        reverse("admin:webhooks_delivery_changelist"), {"endpoint__id__exact": endpoint.pk}
    )
    assert listing.status_code == 200
    assert "webhook.test" in listing.content.decode()
    delivery = Delivery.objects.get()
    page = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert tasks.idempotency_key(delivery.side_effect) in page.content.decode()


def test_failed_deliveries_show_their_error_and_next_attempt(
    client, editor, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver(answers=[500]) as receiver:
        endpoint = Endpoint.objects.create(
            url=receiver.url(), events=["article.published"], owner=editor
        )
        story = make_article(status=Article.Status.DRAFT, headline="Harbour reopens")
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(story, by=editor)
    listing = client.get(
        reverse("admin:webhooks_delivery_changelist"), {"endpoint__id__exact": endpoint.pk}
    ).content.decode()
    assert "Harbour reopens" in listing
    assert "HTTP 500" in listing
    assert SideEffect.objects.get(kind=tasks.GOLIVE_WEBHOOK).state == SideEffect.State.PENDING


def test_a_paused_endpoint_is_resumed_with_a_clean_slate(client, editor):
    endpoint = Endpoint.objects.create(
        url="https://partner.example/hook", events=[], owner=editor, active=False
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since="2026-06-15T07:00:00Z", paused_at="2026-06-16T07:00:00Z"
    )
    response = client.post(
        reverse("admin:webhooks_endpoint_changelist"),
        {"action": "resume", "_selected_action": [endpoint.pk]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failing_since, endpoint.paused_at) == (True, None, None)


def test_an_endpoint_registered_after_a_story_was_scheduled_hears_its_go_live(
    client, editor, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    now = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)
    go_live = now + timedelta(hours=2)
    story = make_article(status=Article.Status.DRAFT)
    with Receiver() as receiver, time_machine.travel(now, tick=False):
        workflow.schedule(story, by=editor, at=go_live)
        response = client.post(
            reverse("admin:webhooks_endpoint_add"),
            {
                "url": receiver.url(),
                "events": ["article.published"],
                "owner": editor.pk,
                "active": "on",
            },
        )
        assert response.status_code == 302
        with time_machine.travel(go_live, tick=False):
            tasks.sweep()
            tasks.sweep()
    assert receiver.events() == ["article.published"]
