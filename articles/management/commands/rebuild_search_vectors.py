"""Rebuild every story's search vector from its current text, tags and authors."""

from django.core.management.base import BaseCommand

from articles.models import Article
from articles.search import REBUILD_BATCH, rebuild_in_batches, uses_full_text


class Command(BaseCommand):
    help = (
        "Rebuild the full-text search vectors of every story (PostgreSQL), in batches: after "
        "an upgrade that changes how stories are indexed."
    )

    def handle(self, *args, **options):
        if not uses_full_text():
            self.stdout.write("Nothing to do: search reads the stories directly on this database.")
            return
        ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
        rebuild_in_batches(
            ids[start : start + REBUILD_BATCH] for start in range(0, len(ids), REBUILD_BATCH)
        )
        stories = "story" if len(ids) == 1 else "stories"
        self.stdout.write(f"Rebuilt the search vectors of {len(ids)} {stories}.")
