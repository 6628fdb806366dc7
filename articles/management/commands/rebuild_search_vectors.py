"""Rebuild every story's search vector from its current text, tags and authors."""

from django.core.management.base import BaseCommand

from articles.search import rebuild_every_search_vector, uses_full_text


class Command(BaseCommand):
    help = (
        "Rebuild the full-text search vectors of every story (PostgreSQL), in batches: after "
        "an upgrade that changes how stories are indexed."
    )

    def handle(self, *args, **options):
        if not uses_full_text():
            self.stdout.write("Nothing to do: search reads the stories directly on this database.")
            return
        rebuilt = rebuild_every_search_vector()
        stories = "story" if rebuilt == 1 else "stories"
        self.stdout.write(f"Rebuilt the search vectors of {rebuilt} {stories}.")
