"""Inputs in the article form's inline rows are named for screen readers."""

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


def test_byline_row_inputs_have_their_own_labels_and_a_hidden_position(client, editor):
    article = make_article(authors=[make_author("Ana Lee")])
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 200

    # Rows are stacked in the side panel: each input has a <label>, not a column header.
    for name, label in [("author", "Author"), ("role", "Role"), ("DELETE", "Delete")]:
        assert f'for="id_bylines-0-{name}"' in response.text, name
        assert f">{label}" in response.text
    row = inline_formset(response, Byline).forms[0]
    assert 'type="hidden"' in str(row["position"])


def test_a_byline_row_added_in_the_browser_is_labelled_like_the_others(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_add"))

    assert 'for="id_bylines-__prefix__-role"' in response.text
    blank = inline_formset(response, Byline).empty_form
    assert 'type="hidden"' in str(blank["position"])
