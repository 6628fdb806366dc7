"""The publish storm's two halves, run on the cluster's primary (`manage.py shell -c`)."""

import json
import sys
import time

from django.contrib.auth import get_user_model

from articles import workflow
from articles.models import Article, Section


def storm_drafts(count):
    """``count`` drafts in the first section; their ids as one JSON line."""
    section = Section.objects.order_by("pk").first()
    ids = [
        Article.objects.create(
            headline=f"Storm story {n} {time.time():.0f}",
            status=Article.Status.DRAFT,
            section=section,
            dek="A standfirst of one sentence.",
            body="<p>Body text of the story.</p>",
        ).pk
        for n in range(count)
    ]
    print(json.dumps(ids))


def storm(ids, every):
    """Publish each story through the workflow, one every ``every`` seconds."""
    editor = get_user_model().objects.get(username="editor")
    print("go", flush=True)
    started = time.monotonic()
    for n, pk in enumerate(ids):
        time.sleep(max(0.0, started + n * every - time.monotonic()))
        workflow.publish(Article.objects.get(pk=pk), by=editor)
    print(json.dumps({"published": len(ids), "seconds": round(time.monotonic() - started, 2)}))
    sys.stdout.flush()
