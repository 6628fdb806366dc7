"""The article list's author filter: credited authors only, and their stories only."""

import pytest

from tests.factories import make_article, make_author, make_user


@pytest.mark.django_db
def test_author_filter_offers_credited_authors_and_shows_only_their_stories(client):
    client.force_login(make_user("Editor"))
    wyatt, lee, uncredited = (
        make_author("David Wyatt"),
        make_author("Ana Lee"),
        make_author("Nobody"),
    )
    make_article(headline="Tokyo office opens", authors=[wyatt])
    make_article(headline="Ports reopen", authors=[lee, wyatt])
    make_article(headline="Budget vote", authors=[lee])

    listing = client.get("/admin/articles/article/")
    assert listing.status_code == 200
    assert f"?author={wyatt.pk}" in listing.text
    assert f"?author={uncredited.pk}" not in listing.text

    filtered = client.get(f"/admin/articles/article/?author={wyatt.pk}")
    assert "Tokyo office opens" in filtered.text
    assert "Ports reopen" in filtered.text
    assert "Budget vote" not in filtered.text
