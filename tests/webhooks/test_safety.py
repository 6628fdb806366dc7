"""Where a webhook may go: http(s) on public addresses only (checked at save and again at
each delivery), never waiting longer than the timeout, never following a redirect."""

import socket

import pytest

from articles import tasks, workflow
from articles.models import Article, SideEffect
from tests.factories import make_article, make_user
from webhooks import addresses
from webhooks.admin import EndpointForm
from webhooks.models import Delivery, Endpoint

from .receiver import Receiver

Status = Article.Status


@pytest.fixture
def editor(db):
    return make_user("Editor")


def form_for(url, owner):
    return EndpointForm(
        data={"url": url, "events": ["article.published"], "owner": owner.pk, "active": "on"}
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_a_webhook_url_on_a_private_or_loopback_address_is_refused_at_save(url, editor):
    form = form_for(url, editor)
    assert not form.is_valid()
    assert "public addresses" in form.errors["url"][0]


@pytest.mark.parametrize("url", ["ftp://partner.example/hook", "file:///etc/passwd"])
def test_a_webhook_url_must_be_http_or_https(url, editor):
    form = form_for(url, editor)
    assert not form.is_valid()
    assert form.errors["url"]


def test_credentials_in_the_url_are_refused(editor, monkeypatch):
    form = form_for("https://user:pass@partner.example/hook", editor)
    assert not form.is_valid()
    assert "passwords" in form.errors["url"][0]


def test_a_public_address_is_accepted(editor, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", public_resolver)
    form = form_for("https://partner.example/hook", editor)
    assert form.is_valid(), form.errors


def test_a_local_receiver_is_accepted_when_the_setting_allows_it(editor, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert form_for("http://127.0.0.1:8001/hook", editor).is_valid()


def test_an_unknown_host_is_a_form_error_not_a_crash(editor):
    form = form_for("https://no-such-host.invalid/hook", editor)
    assert not form.is_valid()
    assert "could not be found" in form.errors["url"][0]


def public_resolver(host, port, *args, **kwargs):
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]


def test_a_name_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    editor, monkeypatch, django_capture_on_commit_callbacks
):
    """Saved while it resolved to a public address; by the delivery, DNS says 10.0.0.5."""
    monkeypatch.setattr(socket, "getaddrinfo", public_resolver)
    form = form_for("https://partner.example/hook", editor)
    assert form.is_valid()
    form.save()
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))
        ],
    )
    connections = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connections.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(make_article(status=Status.DRAFT), by=editor)
    row = SideEffect.objects.get(kind=tasks.GOLIVE_WEBHOOK)
    assert "refused" in row.last_error and "10.0.0.5" in row.last_error
    assert connections == []


def test_a_receiver_that_hangs_is_cut_off_after_the_timeout(
    editor, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_TIMEOUT = 1
    with Receiver(answers=[("hang", 4)]) as receiver:
        Endpoint.objects.create(url=receiver.url(), events=["article.published"], owner=editor)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(make_article(status=Status.DRAFT), by=editor)
    row = SideEffect.objects.get(kind=tasks.GOLIVE_WEBHOOK)
    assert row.state == SideEffect.State.PENDING  # to be retried
    assert "no answer within 1 s" in row.last_error
    assert Delivery.objects.get().status_code is None


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    editor, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver(answers=[("redirect", "/elsewhere"), 204]) as receiver:
        Endpoint.objects.create(url=receiver.url(), events=["article.published"], owner=editor)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(make_article(status=Status.DRAFT), by=editor)
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    row = SideEffect.objects.get(kind=tasks.GOLIVE_WEBHOOK)
    assert row.state == SideEffect.State.PENDING
    assert "redirect to /elsewhere not followed" in row.last_error
    assert Delivery.objects.get().status_code == 302


def test_is_public_knows_the_private_ranges():
    assert addresses.is_public("93.184.215.14")
    assert addresses.is_public("2606:2800:220:1::1")
    for address in [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.1.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "100.64.0.1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ]:
        assert not addresses.is_public(address), address
