"""Run every due workflow side effect once (catch-up after a worker was down)."""

from django.core.management.base import BaseCommand

from articles.tasks import sweep


class Command(BaseCommand):
    help = "Run every due, pending workflow side effect (cache purges, e-mails) exactly once."

    def handle(self, *args, **options):
        outcomes = sweep()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(summary or "Nothing due.")
