"""The admin's article list stays usable however big the archive: search by word prefix
through the full-text index, and a count that stops at a cap and says so."""

import pytest

from articles.admin.article_workflow import CappedCountPaginator
from articles.models import Article
from articles.search import editor_search
from tests.factories import make_article, make_user

LIST = "/admin/articles/article/"


@pytest.fixture
def stories(db):
    return {
        "drought": make_article(headline="Drought empties the reservoirs", body="<p>Dry.</p>"),
        "summit": make_article(headline="Summit in Vilnius", body="<p>Drought talks too.</p>"),
        "draft": make_article(headline="Harbour draft", status=Article.Status.DRAFT),
    }


def found(term):
    return set(editor_search(Article.objects.all(), term).values_list("headline", flat=True))


def test_editor_search_finds_words_by_their_beginning_in_headline_and_body(stories):
    assert found("droug") == {"Drought empties the reservoirs", "Summit in Vilnius"}
    assert found("drought summit") == {"Summit in Vilnius"}  # every word must match
    assert found("harbour") == {"Harbour draft"}  # drafts too: the desk searches everything
    assert found("zebra") == set()


def test_editor_search_ignores_punctuation_instead_of_failing(stories):
    assert found("drought & | !summit:*") == {"Summit in Vilnius"}
    assert len(found("?!")) == 3  # nothing to search for: the whole list


def test_the_article_list_searches_by_word_prefix(client, stories):
    client.force_login(make_user("Editor"))
    page = client.get(LIST, {"q": "reservo"}).content.decode()
    assert "Drought empties the reservoirs" in page
    assert "Summit in Vilnius" not in page


def test_the_article_list_count_stops_at_its_cap_and_says_so(client, stories, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    client.force_login(make_user("Editor"))
    page = client.get(LIST).content.decode()
    assert "More than 2 articles match" in page
    assert "2 articles" in page
    page = client.get(LIST, {"q": "drought summit"}).content.decode()
    assert "More than 2 articles match" not in page


def test_the_cap_is_written_with_a_thousands_separator():
    assert CappedCountPaginator([], 50).cap_display == "10,000"
