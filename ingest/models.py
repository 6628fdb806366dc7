"""Incoming copy: where it comes from (`IngestSource`) and what arrived (`IncomingItem`).

An incoming item is never public. It becomes a story only when a person writes a draft from it
(`ingest.drafts.write_story`), and that draft goes through the workflow like any other.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, ArticleSource, Section
from articles.slugs import unique_slug


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class IngestSource(models.Model):
    """A feed or agency service whose items land on the wire desk."""

    class Kind(models.TextChoices):
        FEED = "feed", _("RSS 2.0 / Atom")
        JSON_FEED = "jsonfeed", _("JSON Feed 1.1")
        NINJS_2 = "ninjs2", _("IPTC ninjs 2.x")
        NINJS_3 = "ninjs3", _("IPTC ninjs 3.x")
        NEWSML_G2 = "newsml_g2", _("IPTC NewsML-G2 (text items)")

    class Arrival(models.TextChoices):
        POLL = "poll", _("polled from a URL")
        PUSH = "push", _("pushed to us (bearer token)")
        FILES = "files", _("files (manage.py ingest)")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("Part of the push address /ingest/<slug>/. Made from the name if empty."),
    )
    outlet = models.ForeignKey(
        "articles.Source",
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="ingest_sources",
        help_text=_("The outlet or agency credited on stories made from this copy."),
    )
    kind = models.CharField(_("format"), max_length=20, choices=Kind, default=Kind.FEED)
    arrival = models.CharField(_("arrival"), max_length=10, choices=Arrival, default=Arrival.POLL)
    url = models.URLField(_("feed URL"), max_length=1000, blank=True)
    interval_minutes = models.PositiveIntegerField(
        _("polling interval (minutes)"), default=15, help_text=_("For polled sources.")
    )
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    relation = models.CharField(
        _("relation of stories made from it"),
        max_length=20,
        choices=ArticleSource.Relation,
        default=ArticleSource.Relation.WIRE,
    )
    drop_lines = models.TextField(
        _("lines to drop"),
        blank=True,
        help_text=_(
            "One per line. A paragraph containing this text is left out of stories made from "
            "this copy (case does not matter). Write /pattern/ for a regular expression."
        ),
    )
    default_section = models.ForeignKey(
        Section,
        verbose_name=_("default section"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_tags = models.CharField(
        _("default tags"), max_length=500, blank=True, help_text=_("Comma-separated.")
    )
    expiry_days = models.PositiveIntegerField(
        _("rights expire after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Stories made from this copy leave the public site this many days after the item "
            "arrived. Empty: no expiry."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    # Polling state, written by the worker.
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True, editable=False)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    last_delivery_at = models.DateTimeField(
        _("last delivery"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("ingest source")
        verbose_name_plural = _("ingest sources")
        indexes = [
            models.Index(
                fields=["next_poll_at"],
                name="ingestsource_next_poll",
                condition=Q(active=True, arrival="poll"),
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(IngestSource, self.name)[:100]
        super().save(*args, **kwargs)

    # Push token: only its hash is stored; the token is shown once when it is made.
    def new_token(self):
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    def token_matches(self, token):
        return bool(self.token_hash) and hmac.compare_digest(self.token_hash, hash_token(token))

    @property
    def drop_patterns(self):
        patterns = []
        for line in self.drop_lines.splitlines():
            line = line.strip()
            if len(line) > 2 and line.startswith("/") and line.endswith("/"):
                try:
                    patterns.append(re.compile(line[1:-1], re.IGNORECASE))
                    continue
                except re.error:
                    pass  # the admin form refuses it; a stale row drops nothing wrongly
            if line:
                patterns.append(re.compile(re.escape(line), re.IGNORECASE))
        return patterns

    def backoff(self):
        """How long to wait after the latest failure: doubling, at most a day."""
        interval = timedelta(minutes=max(1, self.interval_minutes))
        return min(interval * 2 ** min(self.failures, 10), timedelta(days=1))

    def push_path(self):
        return reverse("ingest:push", args=[self.slug])


class IncomingItemQuerySet(models.QuerySet):
    def unused(self):
        return self.filter(used_at__isnull=True)

    def for_desk(self):
        return self.select_related("source").defer("raw")

    def expired(self, *, now=None):
        """Items no story used, untouched longer than the retention period."""
        now = now or timezone.now()
        keep = timedelta(days=settings.INGEST_RETENTION_DAYS)
        return self.unused().filter(updated_at__lt=now - keep)


class IncomingItem(models.Model):
    """One item of incoming copy, in its latest version. Never shown to readers."""

    class PubStatus(models.TextChoices):
        USABLE = "usable", _("usable")
        WITHHELD = "withheld", _("withheld by the agency")
        CANCELED = "canceled", _("canceled by the agency")

    source = models.ForeignKey(
        IngestSource, verbose_name=_("source"), on_delete=models.CASCADE, related_name="items"
    )
    guid = models.CharField(_("external id"), max_length=500)
    version = models.BigIntegerField(_("version"), default=1)
    headline = models.CharField(_("headline"), max_length=300)
    dek = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), help_text=_("Cleaned by the editor's own rules."))
    byline = models.CharField(_("byline"), max_length=300, blank=True)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), null=True, blank=True, help_text=_("1 is the most urgent, 9 the least.")
    )
    url = models.URLField(_("original URL"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=20, blank=True)
    embargoed_until = models.DateTimeField(_("embargoed until"), null=True, blank=True)
    pub_status = models.CharField(
        _("status at the agency"), max_length=10, choices=PubStatus, default=PubStatus.USABLE
    )
    version_created_at = models.DateTimeField(
        _("version created at the source"), null=True, blank=True
    )
    received_at = models.DateTimeField(_("first received"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)
    used_at = models.DateTimeField(_("first used"), null=True, blank=True, editable=False)
    raw = models.TextField(
        _("original payload"),
        blank=True,
        help_text=_("Kept only when it is smaller than the raw-payload limit."),
    )

    objects = IncomingItemQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("incoming item")
        verbose_name_plural = _("incoming items")
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="incomingitem_source_guid")
        ]
        indexes = [
            # The wire desk, newest first; per source; and "not used yet".
            models.Index(fields=["-updated_at", "-id"], name="incomingitem_desk"),
            models.Index(fields=["source", "-updated_at", "-id"], name="incomingitem_source_desk"),
            models.Index(
                fields=["-updated_at", "-id"],
                name="incomingitem_unused_desk",
                condition=Q(used_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.headline

    @property
    def is_killed(self):
        return self.pub_status != self.PubStatus.USABLE


class StoryFromItem(models.Model):
    """A story written from an incoming item, with the item as it was at that moment."""

    item = models.ForeignKey(IncomingItem, on_delete=models.CASCADE, related_name="stories")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="incoming_items")
    item_version = models.BigIntegerField()
    headline = models.CharField(max_length=300)
    body = models.TextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["made_at", "id"]
        verbose_name = _("story made from an incoming item")
        verbose_name_plural = _("stories made from incoming items")
        constraints = [
            models.UniqueConstraint(fields=["item", "article"], name="storyfromitem_unique")
        ]

    def __str__(self):
        return f"{self.item} → {self.article}"

    @property
    def item_updated(self):
        return self.item.version > self.item_version
