"""Nothing lost: transitions are all or nothing, a failing side effect leaves the
publication standing and in view, a refused save keeps what the person typed, and what
articles use cannot be deleted from under them.

(The worker that was down for hours, and two workers at once, are proven in
tests/articles/test_side_effects.py.)
"""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db.models import ProtectedError
from django.test import Client
from django.utils import timezone

from articles import tasks, workflow
from articles.models import Article, ArticleEvent, SideEffect
from tests.articles.admin_forms import post_data
from tests.factories import make_article, make_author, make_section, make_source, make_user


@pytest.fixture
def people(db):
    return {"editor": make_user("Editor"), "journalist": make_user("Journalist")}


def test_a_transition_that_fails_halfway_leaves_no_trace(people):
    article = make_article(status=Article.Status.IN_REVIEW)
    before = (article.status, article.version, article.publish_at, article.first_published_at)
    with (
        mock.patch.object(Article, "save", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        workflow.publish(article, by=people["editor"])
    article = Article.objects.get(pk=article.pk)
    assert (
        article.status,
        article.version,
        article.publish_at,
        article.first_published_at,
    ) == before
    assert not ArticleEvent.objects.filter(article=article).exists()
    assert not SideEffect.objects.filter(article=article).exists()


def test_a_failing_email_leaves_the_story_published_and_shows_on_the_dashboard(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(row, article):
        raise ConnectionRefusedError("SMTP server unreachable")

    for kind in (tasks.MAIL_PUBLISHED, "golive_purge"):
        monkeypatch.setitem(tasks.HANDLERS, kind, broken)
    writer = people["journalist"]
    article = make_article(
        status=Article.Status.IN_REVIEW, created_by=writer, authors=[writer.author_profile]
    )
    editor = Client()
    editor.force_login(people["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            f"/admin/articles/article/{article.pk}/transition/publish/", {"note": "Go."}
        )
    assert response.status_code == 302
    assert Article.objects.published().filter(pk=article.pk).exists()
    assert Client().get(article.get_absolute_url()).status_code == 200
    failed = SideEffect.objects.filter(article=article).exclude(state=SideEffect.State.DONE)
    assert failed.exists()
    assert all("unreachable" in row.last_error for row in failed)

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        dashboard = editor.get("/admin/")
        assert "SMTP server unreachable" in dashboard.text
        # Once the mail server is back, the retry delivers and the dashboard clears.
        monkeypatch.setitem(tasks.HANDLERS, tasks.MAIL_PUBLISHED, lambda row, article: None)
        monkeypatch.setitem(tasks.HANDLERS, "golive_purge", lambda row, article: None)
        tasks.sweep()
        assert (
            not SideEffect.objects.filter(article=article)
            .exclude(state=SideEffect.State.DONE)
            .exists()
        )
        assert "SMTP server unreachable" not in editor.get("/admin/").text


def test_a_save_refused_because_someone_else_saved_first_keeps_the_typed_text(people):
    writer = people["journalist"]
    article = make_article(
        status=Article.Status.DRAFT, created_by=writer, authors=[writer.author_profile]
    )
    client = Client()
    client.force_login(writer)
    url = f"/admin/articles/article/{article.pk}/change/"
    form = client.get(url)
    # Meanwhile a colleague's save moves the article on.
    Article.objects.filter(pk=article.pk).update(version=article.version + 1)
    typed = "A paragraph the writer spent twenty minutes on, with a quote."
    response = client.post(
        url,
        post_data(form, headline="A new headline typed by hand", body=f"<p>{typed}</p>"),
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "A new headline typed by hand" in response.text
    assert typed in response.text
    article.refresh_from_db()
    assert typed not in article.body


def test_an_invalid_save_keeps_the_typed_text(people):
    client = Client()
    client.force_login(people["editor"])
    article = make_article(status=Article.Status.DRAFT)
    url = f"/admin/articles/article/{article.pk}/change/"
    typed = "Words that must survive a refused save."
    response = client.post(url, post_data(client.get(url), headline="", body=f"<p>{typed}</p>"))
    assert response.status_code == 200
    assert typed in response.text


@pytest.mark.parametrize("thing", ["section", "source", "author"])
def test_what_an_article_uses_cannot_be_deleted(people, thing):
    section, source, author = make_section(), make_source(), make_author()
    make_article(section=section, sources=[source], authors=[author])
    obj = {"section": section, "source": source, "author": author}[thing]
    with pytest.raises(ProtectedError):
        obj.delete()
    admin_path = {
        "section": "articles/section",
        "source": "articles/source",
        "author": "authors/author",
    }[thing]
    client = Client()
    client.force_login(people["editor"])
    response = client.post(f"/admin/{admin_path}/{obj.pk}/delete/", {"post": "yes"})
    assert response.status_code in {200, 403}
    assert type(obj).objects.filter(pk=obj.pk).exists()
