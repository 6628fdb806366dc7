"""The worker's share of ingest: polling each source at its interval, and housekeeping.

Each polled source has one chain of tasks: a poll task deferred to the source's `next_poll_at`
that polls and defers the next one. The task carries the time it was meant for and first claims
the source by moving that exact time forward in one UPDATE, so a duplicate or outdated task (the
source was edited, polled by hand, or woken twice) does nothing. Where the task backend cannot
defer, `manage.py ingest --poll` (e.g. from cron) polls every due source.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import polling
from .models import IncomingItem, IngestSource

logger = logging.getLogger("ingest")

# Housekeeping runs at most this often, when copy arrives.
HOUSEKEEPING_EVERY = timedelta(hours=1)
HOUSEKEEPING_KEY = "ingest:housekeeping"


@task()
def poll_source(source_id, due_at):
    return claim_and_poll(source_id, due_at)


def claim_and_poll(source_id, due_at, *, now=None):
    now = now or timezone.now()
    due = parse_datetime(due_at)
    claimed = IngestSource.objects.filter(
        pk=source_id, active=True, arrival=IngestSource.Arrival.POLL, next_poll_at=due
    ).update(next_poll_at=now + timedelta(minutes=5))
    if not claimed:
        return "stale"
    source = IngestSource.objects.get(pk=source_id)
    report = polling.poll(source, now=now)
    wake(source)
    return "failed" if report.failed else "polled"


def wake(source):
    """Defer the source's next poll task to its `next_poll_at` (after commit)."""
    if not (source.active and source.arrival == IngestSource.Arrival.POLL and source.next_poll_at):
        return
    due_at = source.next_poll_at

    def enqueue():
        try:
            job = poll_source
            if not job.get_backend().supports_defer:
                return  # no deferred tasks here: `manage.py ingest --poll` does the polling
            job.using(run_after=due_at).enqueue(source.pk, due_at.isoformat())
        except Exception:  # noqa: BLE001 - `manage.py ingest --poll` catches up
            logger.exception("Could not enqueue the poll of ingest source %s", source.pk)

    transaction.on_commit(enqueue)


def poll_due(*, now=None):
    """Poll every active polled source that is due now. Returns {source slug: outcome}."""
    now = now or timezone.now()
    outcomes = {}
    for source in polling.due(now=now):
        report = polling.poll(source, now=now)
        wake(source)
        outcomes[source.slug] = "failed" if report.failed else "polled"
    return outcomes


@task()
def housekeeping():
    return delete_expired()


def delete_expired(*, now=None):
    """Delete items no story used, untouched for `INGEST_RETENTION_DAYS`. Returns the count."""
    deleted, _ = IncomingItem.objects.expired(now=now).delete()
    if deleted:
        logger.info(
            "ingest: deleted %d unused items older than %d days",
            deleted,
            settings.INGEST_RETENTION_DAYS,
        )
    return deleted


def housekeeping_soon():
    """Ask the worker for housekeeping, at most once an hour (copy is arriving anyway)."""
    if cache.add(HOUSEKEEPING_KEY, 1, timeout=int(HOUSEKEEPING_EVERY.total_seconds())):

        def enqueue():
            try:
                housekeeping.enqueue()
            except Exception:  # noqa: BLE001 - the next delivery asks again
                cache.delete(HOUSEKEEPING_KEY)
                logger.exception("Could not enqueue ingest housekeeping")

        transaction.on_commit(enqueue)
