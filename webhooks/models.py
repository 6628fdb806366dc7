"""Webhook endpoints registered by integrators, and the deliveries made to them.

A delivery is an outbox row (`articles.models.SideEffect`, one per endpoint and event) plus a
`Delivery` beside it for what only webhooks have: the endpoint, the event, the exact body sent
(fixed at the first attempt, so every retry signs the same bytes) and the receiver's answer.
Attempts, the next retry and the last error are the outbox row's own.
"""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, SideEffect


class Event(models.TextChoices):
    PUBLISHED = "article.published", _("article.published: live, now or at its scheduled time")
    UPDATED = "article.updated", _("article.updated: a live story was edited")
    CORRECTED = "article.corrected", _("article.corrected: a correction or update note added")
    WITHDRAWN = "article.withdrawn", _("article.withdrawn: taken down (its URL answers 410)")
    EXPIRED = "article.expired", _("article.expired: left the site at its expiry time")


TEST_EVENT = "webhook.test"


def new_secret():
    """A Standard Webhooks secret: `whsec_` and the base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class EndpointQuerySet(models.QuerySet):
    def wanting(self, event):
        """Active endpoints subscribed to ``event`` (the list is short: filtered here, since
        SQLite cannot look inside a JSON list)."""
        return [endpoint for endpoint in self.filter(active=True) if event in endpoint.events]


class Endpoint(models.Model):
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_("Where deliveries are POSTed: http(s), on a public address."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        editable=False,
        help_text=_("Give it to the receiver: it verifies each delivery's signature with it."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        help_text=_("E-mailed if the endpoint keeps failing and is paused."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Paused endpoints are sent nothing.")
    )
    # Since when every delivery has failed (empty after a success); a day of it pauses it.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["url", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.description or self.url


class Delivery(models.Model):
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    side_effect = models.OneToOneField(
        SideEffect, on_delete=models.CASCADE, related_name="webhook_delivery"
    )
    event = models.CharField(_("event"), max_length=40)
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("story"),
    )
    body = models.TextField(_("body sent"), blank=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Why nothing was sent, when nothing was meant to be (endpoint paused, story gone).
    skipped = models.CharField(_("not sent because"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint")
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"
