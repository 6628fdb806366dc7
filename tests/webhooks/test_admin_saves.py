"""Saving a live story in the admin announces it: `article.updated`, or `article.corrected`
when the save adds a correction; restoring a revision is a save too."""

import json

import pytest
from django.utils import timezone

from articles import revisions, workflow
from articles.models import Article, Correction
from tests.articles.admin_forms import change_url, post_data
from tests.factories import make_article, make_user
from webhooks.models import Endpoint

from .receiver import Receiver


@pytest.fixture
def editor(db, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    return make_user("Editor")


def edit(client, article, **changes):
    response = client.get(change_url(article))
    return client.post(change_url(article), post_data(response, **changes))


def test_saving_a_live_story_sends_article_updated_and_a_correction_article_corrected(
    client, editor, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    article = make_article(status=Article.Status.DRAFT)
    with Receiver() as receiver:
        Endpoint.objects.create(
            url=receiver.url(), events=["article.updated", "article.corrected"], owner=editor
        )
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(article, by=editor)
        with django_capture_on_commit_callbacks(execute=True):
            response = edit(client, article, headline="Harbour reopens after storm")
        assert response.status_code == 302
        article.refresh_from_db()
        response = client.get(change_url(article))
        data = post_data(response)
        corrections = next(
            i.formset
            for i in response.context["inline_admin_formsets"]
            if i.formset.model is Correction
        )
        new = corrections.initial_form_count()
        data[f"{corrections.prefix}-TOTAL_FORMS"] = str(new + 1)
        data[f"{corrections.prefix}-{new}-kind"] = "correction"
        data[f"{corrections.prefix}-{new}-text"] = "Name misspelt."
        for part, value in enumerate(
            corrections.empty_form["created_at"].field.widget.decompress(timezone.localtime())
        ):
            data[f"{corrections.prefix}-{new}-created_at_{part}"] = str(value)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(change_url(article), data)
            assert response.status_code == 302
    assert Correction.objects.filter(article=article).count() == 1
    assert receiver.events() == ["article.updated", "article.corrected"]
    updated = json.loads(receiver.requests[0]["body"])["data"]
    assert updated["headline"] == "Harbour reopens after storm"


def test_saving_a_draft_in_the_admin_sends_nothing(
    client, editor, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    article = make_article(status=Article.Status.DRAFT)
    with Receiver() as receiver:
        Endpoint.objects.create(url=receiver.url(), events=["article.updated"], owner=editor)
        with django_capture_on_commit_callbacks(execute=True):
            assert edit(client, article, headline="Still a draft").status_code == 302
    assert receiver.requests == []


def test_restoring_a_revision_of_a_live_story_sends_article_updated(
    editor, django_capture_on_commit_callbacks
):
    article = make_article(status=Article.Status.DRAFT, headline="First words")
    first = revisions.store(article, by=editor)
    with Receiver() as receiver:
        Endpoint.objects.create(url=receiver.url(), events=["article.updated"], owner=editor)
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(article, by=editor)
            revisions.restore(article, first, by=editor)
    assert receiver.events() == ["article.updated"]
