"""Stories the cluster tests need, made on the cluster's primary (`manage.py shell -c`).

Each function prints what it made as one JSON line, for the test process to read."""

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from articles import workflow
from articles.models import Article
from tests.articles.public_helpers import HIDDEN, hidden_articles
from tests.factories import make_article, make_author, make_section


def world(marker):
    """A live story and a draft sharing a section, a tag and an author; a live story
    elsewhere; the six stories no reader may see, sharing the first one's everything."""
    section = make_section(f"Desk {marker}", slug=f"desk-{marker}")
    elsewhere = make_section(f"Elsewhere {marker}", slug=f"elsewhere-{marker}")
    author = make_author(f"Writer {marker}")
    tag = f"topic{marker}"
    live = make_article(
        headline=f"Live {marker} harbour story", section=section, tags=[tag], authors=[author]
    )
    draft = make_article(
        headline=f"Draft {marker} ferry story",
        status=Article.Status.DRAFT,
        publish_at=None,
        section=section,
        tags=[tag],
        authors=[author],
    )
    other = make_article(headline=f"Other {marker} mountain story", section=elsewhere)
    hidden = hidden_articles(section=section, tags=[tag], authors=[author], sources=[])
    print(
        json.dumps(
            {
                "live": {
                    "id": live.pk,
                    "url": live.get_absolute_url(),
                    "headline": live.headline,
                },
                "draft": {"id": draft.pk, "headline": draft.headline},
                "other": {"id": other.pk, "url": other.get_absolute_url()},
                "hidden": {state: a.get_absolute_url() for state, a in hidden.items()},
                "hidden_marker": HIDDEN,
                "showing": [
                    "/",
                    section.get_absolute_url(),
                    reverse("articles:tag", kwargs={"slug": tag}),
                    author.get_absolute_url(),
                    reverse("articles:latest_rss"),
                    reverse("articles:section_rss", kwargs={"slug": section.slug}),
                ],
                "elsewhere": [elsewhere.get_absolute_url(), other.get_absolute_url()],
            }
        )
    )


def schedule(article_id, seconds):
    """Schedule a story ``seconds`` from now, to the second (the admin's form takes minutes)."""
    article = Article.objects.get(pk=article_id)
    editor = get_user_model().objects.get(username="editor")
    at = (timezone.now() + timedelta(seconds=seconds)).replace(microsecond=0)
    workflow.schedule(article, by=editor, at=at)
    print(json.dumps({"at": at.timestamp(), "headline": article.headline}))


def api_token():
    """A read token for the API, as a newsroom's partner would get one."""
    from api.models import ApiToken

    _, secret = ApiToken.issue(client="Cluster test partner", scopes=[])
    print(json.dumps({"secret": secret}))


def primary_position():
    """The primary's WAL position now, for waiting until the replica has replayed it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        print(json.dumps({"lsn": cursor.fetchone()[0]}))


def rename_quietly(article_id, headline):
    """Change a headline without a save: no signal, so no purge and no recorded position."""
    Article.objects.filter(pk=article_id).update(headline=headline)
    print(json.dumps({"headline": headline}))
