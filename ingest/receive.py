"""Store a delivery's items for one source: new ones added, newer versions updated, kills kept.

Every arrival path (push, polling, files) ends here. Each item is stored in its own
transaction, so a refused or failing item never takes the others down with it, and what the
delivery had to say (refused items, cleaned bodies, an unreadable document) becomes the source's
"last error" and a line in the `ingest` log.
"""

import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import parsers
from .models import IncomingItem, IngestSource

logger = logging.getLogger("ingest")

CREATED, UPDATED, KILLED, UNCHANGED = "created", "updated", "killed", "unchanged"
STORED_FIELDS = [
    "version",
    "headline",
    "dek",
    "body",
    "byline",
    "subjects",
    "urgency",
    "url",
    "language",
    "embargoed_until",
    "pub_status",
    "version_created_at",
    "raw",
]


@dataclass
class Report:
    counts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    failed: bool = False  # the delivery could not be read at all

    def count(self, outcome):
        return self.counts.get(outcome, 0)

    def summary(self):
        stored = self.count(CREATED) + self.count(UPDATED) + self.count(KILLED)
        text = ngettext("%(n)d item stored", "%(n)d items stored", stored) % {"n": stored}
        text += " " + _(
            "(%(new)d new, %(updated)d updated, %(killed)d withdrawn, %(same)d already known)"
        ) % {
            "new": self.count(CREATED),
            "updated": self.count(UPDATED),
            "killed": self.count(KILLED),
            "same": self.count(UNCHANGED),
        }
        if self.problems:
            text += "; " + "; ".join(self.problems)
        return text


def receive(source, data, *, content_type="", origin=""):
    """Parse ``data`` as ``source``'s format and store its items. Returns a `Report`."""
    report = receive_many(source, [("", data, content_type)])
    note(source, report, origin=origin)
    return report


def receive_many(source, deliveries):
    """Parse and store several deliveries, ``(label, data, content_type)`` each, together.

    One transaction for all of them, with a savepoint per item: a refused item never takes
    another with it, and a crash leaves none of them half-saved. Problems are prefixed with
    their delivery's label. The caller notes the report on the source.
    """
    report = Report()
    items = []
    for label, data, content_type in deliveries:
        where = f"{label}: " if label else ""
        try:
            delivery = parsers.parse(source.kind, data, content_type=content_type)
        except parsers.DeliveryError as exc:
            report.failed = True
            report.problems.append(f"{where}{exc}")
            continue
        report.problems += [f"{where}{problem}" for problem in delivery.problems]
        items += [(where, item) for item in delivery.items]
    if items:
        store_all(source, items, report)
    if report.count(CREATED) or report.count(UPDATED):
        from .tasks import housekeeping_soon  # tasks → polling → receive

        housekeeping_soon()
    return report


def store_all(source, items, report, *, now=None):
    """Add new items, update those with a higher version; count what happened in ``report``."""
    now = now or timezone.now()
    with transaction.atomic():
        known = {
            row.guid: row
            for row in IncomingItem.objects.select_for_update()
            .filter(source=source, guid__in={item.guid for _, item in items})
            .only("pk", "guid", "version")
        }
        for where, parsed in items:
            try:
                with transaction.atomic():
                    outcome = _store(source, parsed, known, now)
            except IntegrityError as exc:  # a value the database refuses: that item only
                report.problems.append(f"{where}item {parsed.guid[:200]} refused: {exc}")
                continue
            report.counts[outcome] = report.counts.get(outcome, 0) + 1


def _store(source, parsed, known, now):
    values = {name: getattr(parsed, name) for name in STORED_FIELDS}
    existing = known.get(parsed.guid)
    if existing is None:
        known[parsed.guid] = IncomingItem.objects.create(
            source=source, guid=parsed.guid, received_at=now, updated_at=now, **values
        )
        return CREATED
    if parsed.version <= existing.version:
        return UNCHANGED
    IncomingItem.objects.filter(pk=existing.pk).update(updated_at=now, **values)
    existing.version = parsed.version
    return KILLED if parsed.pub_status != IncomingItem.PubStatus.USABLE else UPDATED


def note(source, report, *, origin=""):
    """Keep the delivery's problems on the source (its "last error") and in the log."""
    now = timezone.now()
    changes = {"last_delivery_at": now}
    if report.problems:
        where = f"{origin}: " if origin else ""
        changes["last_error"] = f"{where}{'; '.join(report.problems)}"[:5000]
        changes["last_error_at"] = now
        for problem in report.problems:
            logger.warning("ingest source %s: %s%s", source.slug, where, problem)
    elif not report.failed:
        changes["last_error"] = ""
    IngestSource.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():
        setattr(source, name, value)
    logger.info("ingest source %s: %s", source.slug, report.summary())
