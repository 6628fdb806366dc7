"""The author page: who they are, their links, every live story crediting them, a feed."""

import pytest
from django.urls import reverse

from articles.models import Byline
from authors.models import AuthorLink
from tests.articles.public_helpers import make_picture
from tests.factories import make_article, make_author


@pytest.fixture
def author(db):
    author = make_author(
        "Priya Natarajan",
        job_title="Science writer",
        bio="Writes about astronomy.\n\nAlso photographs it.",
        photo=make_picture("Portrait of Priya Natarajan"),
        website="https://priya.example/",
    )
    AuthorLink.objects.create(author=author, label="Mastodon", url="https://social.example/@priya")
    return author


def test_author_page_shows_photo_name_job_bio_and_links(client, author):
    make_article(headline="Written by Priya", authors=[author])
    page = client.get(author.get_absolute_url()).content.decode()
    assert "<h1" in page and "Priya Natarajan</h1>" in page
    assert "Science writer" in page
    assert "Writes about astronomy." in page and "Also photographs it." in page
    assert 'alt="Portrait of Priya Natarajan"' in page
    assert 'href="https://social.example/@priya"' in page
    assert 'href="https://priya.example/"' in page
    assert 'href="https://news.example/feeds/authors/priya-natarajan/rss/"' in page


def test_author_page_lists_stories_in_any_byline_role_once(client, author):
    written = make_article(headline="Written by Priya", authors=[author])
    photographed = make_article(headline="Photographed by Priya")
    Byline.objects.create(article=photographed, author=author, role=Byline.Role.PHOTOS)
    Byline.objects.create(
        article=photographed, author=author, role=Byline.Role.WRITTEN_BY, position=1
    )
    make_article(headline="Someone else's story")

    response = client.get(author.get_absolute_url())

    assert {a.headline for a in response.context["page"].items} == {
        written.headline,
        photographed.headline,
    }
    assert len(response.context["page"].items) == 2


def test_author_feed_lists_their_stories(client, author):
    make_article(headline="Written by Priya", authors=[author])
    body = client.get(reverse("authors:feed_rss", kwargs={"slug": author.slug})).content
    assert b"Written by Priya" in body


def test_guest_contributor_has_a_page_too(client, db):
    guest = make_author("Maya Okafor")
    make_article(headline="Written by Maya", authors=[guest])
    assert guest.is_guest
    assert client.get(guest.get_absolute_url()).status_code == 200


def test_author_page_describes_the_person_in_json_ld(client, author):
    from tests.articles.public_helpers import json_ld

    make_article(headline="Written by Priya", authors=[author])
    [data] = json_ld(client.get(author.get_absolute_url()).content.decode())
    person = data["mainEntity"]
    assert data["@type"] == "ProfilePage"
    assert person["name"] == "Priya Natarajan"
    assert person["url"] == "https://news.example/authors/priya-natarajan/"
    assert person["jobTitle"] == "Science writer"
    assert person["sameAs"] == ["https://social.example/@priya", "https://priya.example/"]
    assert person["image"].startswith("https://news.example/media/")
