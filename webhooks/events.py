"""Which webhook deliveries a workflow step records (called from `articles.tasks`' hooks,
inside the step's transaction): one outbox row and one `Delivery` per endpoint wanting the
event. Nothing is sent here, and nothing at all for a story readers cannot see.
"""

import uuid

from django.db.models import Q
from django.utils import timezone

from articles import tasks
from articles.models import Article

from .models import TEST_EVENT, Delivery, Endpoint, Event


def record(event, *, article, kind, stamp, due_at=None, extra=None, endpoints=None):
    """One delivery of ``event`` per endpoint that wants it (idempotent on ``stamp``)."""
    endpoints = Endpoint.objects.wanting(event) if endpoints is None else endpoints
    for endpoint in endpoints:
        row = tasks.record(
            article=article,
            kind=kind,
            key=f"webhook:{endpoint.pk}:{event}:{article.pk if article else '-'}:{stamp}",
            due_at=due_at,
            payload={"endpoint": endpoint.pk, "webhook": event, **(extra or {})},
        )
        Delivery.objects.get_or_create(
            side_effect=row, defaults={"endpoint": endpoint, "event": event, "article": article}
        )


def published(article, *, endpoints=None):
    """`article.published` at the story's go-live (now, or its scheduled second)."""
    moment = article.go_live_at
    if moment is None:
        return
    stamp = moment.isoformat()
    record(
        Event.PUBLISHED,
        article=article,
        kind=tasks.GOLIVE_WEBHOOK,
        stamp=stamp,
        due_at=moment,
        extra={"go_live": stamp},
        endpoints=endpoints,
    )


def changed(article, *, version, corrected):
    """`article.corrected` or `article.updated` for a save of a story readers see now."""
    if not article.is_live:
        return  # a draft, a scheduled or an expired story: its go-live will announce it
    record(
        Event.CORRECTED if corrected else Event.UPDATED,
        article=article,
        kind=tasks.WEBHOOK,
        stamp=f"v{version}",
    )


def withdrawn(article, event):
    """`article.withdrawn`, for a story readers saw (one withdrawn unseen was never news)."""
    if article.first_published_at is None:
        return
    record(Event.WITHDRAWN, article=article, kind=tasks.WEBHOOK, stamp=f"e{event.pk}")


def expiring(article, *, endpoints=None):
    """`article.expired` at the story's expiry, if it will have been live before it."""
    expires_at, go_live = article.expires_at, article.go_live_at
    if not expires_at or expires_at <= timezone.now() or not go_live or go_live >= expires_at:
        return
    stamp = expires_at.isoformat()
    record(
        Event.EXPIRED,
        article=article,
        kind=tasks.EXPIRY_WEBHOOK,
        stamp=stamp,
        due_at=expires_at,
        extra={"expires_at": stamp},
        endpoints=endpoints,
    )


def catch_up(endpoint):
    """A new or resumed endpoint hears of the go-lives and expiries still ahead, which were
    recorded for the endpoints of the time."""
    if not endpoint.active:
        return
    now = timezone.now()
    live_or_ahead = Article.objects.filter(status=Article.Status.PUBLISHED)
    if Event.PUBLISHED in endpoint.events:
        ahead = live_or_ahead.filter(Q(publish_at__gt=now) | Q(embargo_until__gt=now))
        for article in ahead:
            published(article, endpoints=[endpoint])
    if Event.EXPIRED in endpoint.events:
        for article in live_or_ahead.filter(expires_at__gt=now):
            expiring(article, endpoints=[endpoint])


def test(endpoint):
    """A `webhook.test` delivery to ``endpoint`` now, to see signed deliveries arrive."""
    record(
        TEST_EVENT,
        article=None,
        kind=tasks.WEBHOOK,
        stamp=uuid.uuid4().hex,
        endpoints=[endpoint],
    )
