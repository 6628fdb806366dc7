"""Sending one webhook delivery (an outbox row, run by the worker), Standard Webhooks style.

Each attempt POSTs the delivery's JSON body with three headers:

* `webhook-id`: the outbox row's `idempotency_key`, the same on every retry, so a receiver
  can drop a repeat;
* `webhook-timestamp`: the attempt's time, in whole seconds since the epoch;
* `webhook-signature`: `v1,` and the base64 of HMAC-SHA256, keyed with the secret's bytes
  (the base64 after `whsec_`), over `{id}.{timestamp}.{body}`.

A 2xx answer is success. Anything else fails the attempt: another status (a 3xx too:
redirects are never followed), no answer within `WEBHOOKS_TIMEOUT` seconds in all, a refused
connection, an address that is no longer public. A failed delivery is tried again after 30 s,
1, 2, 4… minutes (at most 6 hours apart) until `WEBHOOKS_RETRY_HOURS` after its first attempt;
an endpoint whose deliveries have all failed for that long is paused and its owner e-mailed.
"""

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from api.representation import article_detail
from articles import tasks
from articles.models import Article

from . import addresses, payload
from .models import TEST_EVENT, Delivery, Endpoint, Event

logger = logging.getLogger(__name__)

USER_AGENT = "Newsroom-Webhooks/1.0"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
ANSWER_KEPT = 500  # characters of a failing answer kept as the last error
PAUSED_MAIL = "webhook_paused_mail"


class DeliveryFailed(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status  # the receiver's HTTP status, if it answered


# Signing ---------------------------------------------------------------------------------------


def signature(secret, webhook_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret, webhook_id, timestamp, body):
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, webhook_id, timestamp, body),
    }


# The outbox handler ----------------------------------------------------------------------------


def deliver(row, article):
    """Send one delivery (the handler of `articles.tasks.WEBHOOK_KINDS`). Raises on failure,
    so the outbox keeps the error and retries by `retry_at`."""
    delivery = Delivery.objects.select_related("endpoint").filter(side_effect=row).first()
    if delivery is None:
        return  # its endpoint was deleted
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.active:
        return skip(delivery, _("the endpoint is paused"))
    if not delivery.body:
        body = event_body(delivery, row, article)
        if body is None:
            return skip(delivery, _("the story is no longer public"))
        delivery.body, delivery.first_attempt_at = body, now
        delivery.save(update_fields=["body", "first_attempt_at"])
    timestamp = int(time.time())
    headers = signed_headers(endpoint.secret, tasks.idempotency_key(row), timestamp, delivery.body)
    try:
        status = post(endpoint.url, delivery.body.encode(), headers)
    except DeliveryFailed as exc:
        Delivery.objects.filter(pk=delivery.pk).update(status_code=exc.status, attempted_at=now)
        failing(endpoint, now=now)
        raise
    Delivery.objects.filter(pk=delivery.pk).update(
        status_code=status, attempted_at=now, delivered_at=timezone.now(), skipped=""
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)


def skip(delivery, reason):
    Delivery.objects.filter(pk=delivery.pk).update(skipped=reason)
    logger.info("Webhook delivery %s not sent: %s", delivery.pk, reason)


def event_body(delivery, row, article):
    """The JSON a delivery carries, made at its first attempt; None if there is nothing to
    send any more (a story that left the site before its update went out)."""
    event = delivery.event
    if event == TEST_EVENT:
        data = {"endpoint": delivery.endpoint.url, "message": "A test delivery from Newsroom."}
        moment = row.created_at
    elif event in {Event.WITHDRAWN, Event.EXPIRED}:
        data = payload.gone_payload(article, status=event.removeprefix("article."))
        moment = row.payload.get("expires_at") or row.created_at
    else:
        live = Article.objects.published().for_detail().filter(pk=article.pk).first()
        if live is None:
            return None
        data = article_detail(live)
        moment = row.payload.get("go_live") or row.created_at
    return json.dumps(
        {"type": event, "timestamp": moment, "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def retry_at(row, attempts, now):
    """Exponential back-off from 30 s, at most 6 h apart, for `WEBHOOKS_RETRY_HOURS` after the
    first attempt; then (or once its endpoint is paused) the delivery has failed for good."""
    delivery = (
        Delivery.objects.filter(side_effect=row)
        .values("first_attempt_at", "endpoint__active")
        .first()
    )
    if delivery is None or not delivery["endpoint__active"]:
        return None
    deadline = (delivery["first_attempt_at"] or now) + retry_window()
    if now >= deadline:
        return None
    wait = min(FIRST_RETRY * 2 ** (max(attempts, 1) - 1), LONGEST_WAIT)
    return min(now + wait, deadline)


def retry_window():
    return timedelta(hours=settings.WEBHOOKS_RETRY_HOURS)


def failing(endpoint, *, now):
    """Count a failed attempt against the endpoint: failing for a whole retry window (no
    success since), it is paused and its owner told, once."""
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    with transaction.atomic():
        paused = Endpoint.objects.filter(
            pk=endpoint.pk, active=True, failing_since__lte=now - retry_window()
        ).update(active=False, paused_at=now)
        if paused:
            logger.warning("Webhook endpoint %s failed for a day: paused", endpoint.pk)
            tasks.record(
                article=None,
                kind=PAUSED_MAIL,
                key=f"{PAUSED_MAIL}:{endpoint.pk}:{now.isoformat()}",
                payload={"endpoint": endpoint.pk},
            )


def mail_paused(row, article):
    endpoint = (
        Endpoint.objects.select_related("owner").filter(pk=row.payload.get("endpoint")).first()
    )
    if endpoint is None or not (endpoint.owner.email and endpoint.owner.is_active):
        return
    last = (
        Delivery.objects.filter(endpoint=endpoint)
        .exclude(attempted_at=None)
        .select_related("side_effect")
        .order_by("-attempted_at")
        .first()
    )
    body = _(
        "Every delivery to the webhook %(url)s has failed for %(hours)s hours, so it has been "
        "paused: it is sent nothing until it is resumed in the admin.\n\nLast error: %(error)s"
        "\n\n%(admin)s"
    ) % {
        "url": endpoint.url,
        "hours": settings.WEBHOOKS_RETRY_HOURS,
        "error": last.side_effect.last_error if last else "",
        "admin": settings.SITE_URL + reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
    }
    EmailMessage(
        _("Webhook paused: %(url)s") % {"url": endpoint.url},
        body,
        to=[endpoint.owner.email],
        headers={"Message-ID": tasks.message_id(row)},
    ).send()


# HTTP ------------------------------------------------------------------------------------------


class PinnedConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to a
    moment later; speaks TLS to the host's name for https."""

    def __init__(self, host, port, *, address, tls, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.tls = tls

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def post(url, body, headers):
    """POST ``body`` to ``url``; return the 2xx status, or raise DeliveryFailed(message,
    status)."""
    timeout = settings.WEBHOOKS_TIMEOUT
    try:
        scheme, host, port, path, resolved = addresses.check(url)
    except addresses.UnsafeURL as exc:
        raise DeliveryFailed(f"refused: {exc}") from exc
    connection = PinnedConnection(
        host, port, address=resolved[0], tls=scheme == "https", timeout=timeout
    )
    cut_off = threading.Event()

    def cut():
        # A receiver that answers a byte at a time would outlast any per-read timeout.
        cut_off.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):  # already closed
                connection.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut)
    timer.daemon = True
    timer.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ANSWER_KEPT).decode("utf-8", "replace")
        status, location = response.status, response.getheader("Location", "")
    except (OSError, http.client.HTTPException) as exc:
        if cut_off.is_set() or isinstance(exc, TimeoutError):
            raise DeliveryFailed(
                f"no answer within {timeout} s (WEBHOOKS_TIMEOUT): cut off"
            ) from exc
        raise DeliveryFailed(f"could not deliver: {type(exc).__name__}: {exc}") from exc
    finally:
        timer.cancel()
        connection.close()
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status}: redirect to {location[:200]} not followed", status)
    raise DeliveryFailed(f"HTTP {status}: {answer}", status)
