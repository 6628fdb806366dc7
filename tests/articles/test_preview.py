"""Previews: staff see the current state with the public template; share links show one
revision to someone without an account, expire, can be revoked, and are never cached or
indexed."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from articles import revisions
from articles.models import Article, PreviewLink
from tests.factories import make_article, make_user

Status = Article.Status


@pytest.fixture
def editor(db):
    return make_user("Editor", first_name="Tom", last_name="Ruiz")


def share_url(article):
    return reverse("admin:articles_article_share", args=[article.pk])


def test_staff_preview_renders_a_draft_with_the_public_template_uncached(client, editor):
    article = make_article(status=Status.DRAFT, headline="Draft headline for preview")
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_preview", args=[article.pk]))
    assert response.status_code == 200
    assert "articles/article_detail.html" in [t.name for t in response.templates]
    assert response.context["is_preview"] is True
    assert "Draft headline for preview" in response.text
    assert {"private", "no-store"} <= {v.strip() for v in response["Cache-Control"].split(",")}
    assert "noindex" in response["X-Robots-Tag"]


def test_preview_is_refused_to_a_journalist_who_may_not_edit_the_article(client, db):
    journalist = make_user("Journalist")
    article = make_article(status=Status.DRAFT)
    client.force_login(journalist)
    response = client.get(reverse("admin:articles_article_preview", args=[article.pk]))
    assert response.status_code == 403


def test_a_share_link_shows_its_revision_read_only_without_login(client, editor):
    article = make_article(status=Status.DRAFT, headline="Shared headline")
    client.force_login(editor)
    client.post(share_url(article))
    link = PreviewLink.objects.get(article=article)
    # Later edits do not leak into the shared revision.
    Article.objects.filter(pk=article.pk).update(headline="Edited after sharing")
    client.logout()
    response = client.get(reverse("shared_preview", args=[link.token]))
    assert response.status_code == 200
    assert "Shared headline" in response.text
    assert "Edited after sharing" not in response.text
    assert "shared for review" in response.text
    assert "Preview — not published" in response.text
    assert '<meta name="robots" content="noindex' in response.text
    assert response["Cache-Control"] == "private, no-store"
    assert "noindex" in response["X-Robots-Tag"]
    assert 'method="post"' not in response.text.lower()


def test_a_share_link_can_point_at_an_older_revision(client, editor):
    article = make_article(status=Status.DRAFT, headline="First version")
    first = revisions.store(article, by=editor)
    Article.objects.filter(pk=article.pk).update(headline="Second version")
    article.refresh_from_db()
    revisions.store(article, by=editor)
    client.force_login(editor)
    client.post(share_url(article), {"revision": first.number})
    link = PreviewLink.objects.get()
    assert link.revision == first
    assert "First version" in client.get(reverse("shared_preview", args=[link.token])).text


def test_a_share_link_expires_after_48_hours(client, editor):
    article = make_article(status=Status.DRAFT)
    client.force_login(editor)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        client.post(share_url(article))
    link = PreviewLink.objects.get()
    url = reverse("shared_preview", args=[link.token])
    client.logout()
    with time_machine.travel(now + timedelta(hours=48) - timedelta(seconds=1), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(now + timedelta(hours=48), tick=False):
        assert client.get(url).status_code == 404


def test_a_revoked_share_link_answers_404(client, editor):
    article = make_article(status=Status.DRAFT)
    client.force_login(editor)
    client.post(share_url(article))
    link = PreviewLink.objects.get()
    url = reverse("shared_preview", args=[link.token])
    assert client.get(url).status_code == 200
    client.post(share_url(article), {"revoke": link.pk})
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(url).status_code == 404


def test_an_unknown_share_token_answers_404(client, db):
    assert client.get(reverse("shared_preview", args=["nope"])).status_code == 404


def test_a_share_link_shows_the_bylines_and_tags_of_its_revision(client, editor):
    from tests.factories import make_author

    first, second = make_author("Ana Lee"), make_author("Tom Ruiz")
    article = make_article(status=Status.DRAFT, authors=[first], tags=["NATO"])
    revision = revisions.store(article, by=editor)
    article.bylines.all().delete()
    article.bylines.create(author=second)
    article.tags.set(["Japan"])
    link = PreviewLink.objects.create(article=article, revision=revision, created_by=editor)
    page = client.get(reverse("shared_preview", args=[link.token])).text
    assert "Ana Lee" in page and "Tom Ruiz" not in page
    assert "NATO" in page and "Japan" not in page
