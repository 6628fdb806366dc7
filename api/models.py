"""API tokens: a trusted app's key to the read API, stored only as a hash."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

READ_PUBLISHED = "read:published"
READ_DRAFTS = "read:drafts"
SCOPES = [
    (READ_PUBLISHED, _("read:published: what readers see")),
    (READ_DRAFTS, _("read:drafts: also drafts and scheduled stories, by id")),
]
# Tokens start with this, so a leaked one is recognisable in logs and by secret scanners.
TOKEN_PREFIX = "nrapi_"  # noqa: S105 - a label, not a secret
# How stale `last_used_at` may be: one write a minute per token, not one per request.
LAST_USED_PRECISION_SECONDS = 60


def hash_token(secret):
    """The stored form of a token. A fast hash is enough: the secret is 256 random bits, not a
    password that could be guessed."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_secret(self, secret):
        """The active token with this secret, or None."""
        return self.active().filter(token_hash=hash_token(secret)).first()


class ApiToken(models.Model):
    client = models.CharField(
        _("client"), max_length=200, help_text=_("Who uses it: “iOS app preview”.")
    )
    scopes = models.JSONField(_("scopes"), default=list)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, to tell tokens apart in the admin.
    hint = models.CharField(_("starts with"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.client} ({self.hint}…)"

    @classmethod
    def issue(cls, *, client, scopes, created_by=None):
        """A new, saved token and its secret."""
        token = cls(client=client, scopes=scopes, created_by=created_by)
        secret = token.new_secret()
        token.save()
        return token, secret

    def new_secret(self):
        """Give this (unsaved) token a secret and return it: only its hash is kept, so it
        cannot be shown again."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_token(secret)
        self.hint = secret[: len(TOKEN_PREFIX) + 4]
        self.scopes = sorted(set(self.scopes))
        return secret

    @property
    def reads_drafts(self):
        return READ_DRAFTS in self.scopes

    @property
    def is_active(self):
        return self.revoked_at is None

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def note_use(self):
        now = timezone.now()
        seen = self.last_used_at
        if seen is None or (now - seen).total_seconds() >= LAST_USED_PRECISION_SECONDS:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
