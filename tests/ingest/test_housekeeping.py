"""Unused incoming items older than the retention period are deleted by the worker."""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from ingest.drafts import write_story
from ingest.models import IncomingItem, IngestSource
from ingest.receive import receive
from ingest.tasks import delete_expired
from tests.factories import make_user

from .samples import as_bytes, ingest_source, ninjs3_item


def old_item(source, guid, days):
    moment = timezone.now() - timedelta(days=days)
    return IncomingItem.objects.create(
        source=source,
        guid=guid,
        headline=guid,
        body="<p>Text.</p>",
        received_at=moment,
        updated_at=moment,
    )


def test_unused_items_older_than_the_retention_are_deleted_used_ones_kept(db):
    source = ingest_source(IngestSource.Kind.NINJS_3)
    old_item(source, "old-unused", days=31)
    used = old_item(source, "old-used", days=31)
    write_story(used, by=make_user("Journalist"))
    old_item(source, "recent", days=29)
    assert delete_expired() == 1
    assert set(IncomingItem.objects.values_list("guid", flat=True)) == {"old-used", "recent"}


@override_settings(INGEST_RETENTION_DAYS=7)
def test_the_retention_is_a_setting(db):
    source = ingest_source(IngestSource.Kind.NINJS_3)
    old_item(source, "eight-days", days=8)
    assert delete_expired() == 1


def test_arriving_copy_asks_the_worker_for_housekeeping(db, django_capture_on_commit_callbacks):
    source = ingest_source(IngestSource.Kind.NINJS_3)
    old_item(source, "old-unused", days=31)
    with django_capture_on_commit_callbacks(execute=True):
        receive(source, as_bytes(ninjs3_item()))
    assert list(IncomingItem.objects.values_list("guid", flat=True)) == [
        "urn:newsml:wire.example:2026:1"
    ]
