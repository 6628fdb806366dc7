"""Inputs in the article form's table-like inlines carry their column's name for screen readers."""

import pytest
from django.urls import reverse

from articles.models import Byline
from tests.factories import make_article, make_author, make_user


@pytest.fixture
def editor(db):
    return make_user("Editor", first_name="Tom", last_name="Editor")


def inline_formset(response, model):
    return next(
        i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is model
    )


def test_byline_row_inputs_are_named_after_their_columns(client, editor):
    article = make_article(authors=[make_author("Ana Lee")])
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 200

    row = inline_formset(response, Byline).forms[0]
    assert 'aria-label="Author"' in str(row["author"])
    assert 'aria-label="Role"' in str(row["role"])
    assert 'aria-label="Position"' in str(row["position"])
    assert 'aria-label="Delete"' in str(row["DELETE"])


def test_a_byline_row_added_in_the_browser_is_named_like_the_others(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_add"))

    blank = inline_formset(response, Byline).empty_form
    assert 'aria-label="Role"' in str(blank["role"])
    assert 'aria-label="Position"' in str(blank["position"])
