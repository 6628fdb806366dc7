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


def test_author_profile_page_says_when_it_was_made_and_last_changed(client, author):
    from datetime import datetime

    from tests.articles.public_helpers import json_ld

    make_article(headline="Written by Priya", authors=[author])
    [data] = json_ld(client.get(author.get_absolute_url()).content.decode())
    author.refresh_from_db()
    created = datetime.fromisoformat(data["dateCreated"])
    modified = datetime.fromisoformat(data["dateModified"])
    assert created == author.created_at.replace(microsecond=0)
    assert modified == author.modified_at.replace(microsecond=0)


def test_a_demo_freelancer_is_affiliated_with_no_organisation(client, demo):
    from authors.models import Author
    from tests.articles.public_helpers import json_ld

    maya = Author.objects.get(name="Maya Okafor")
    [data] = json_ld(client.get(maya.get_absolute_url()).content.decode())
    assert data["mainEntity"]["jobTitle"] == "Freelance correspondent"
    assert "affiliation" not in data["mainEntity"]
    staff = Author.objects.get(name="Ana Lee")
    [data] = json_ld(client.get(staff.get_absolute_url()).content.decode())
    assert data["mainEntity"]["affiliation"]["name"] == "The Demo Ledger"


def test_the_site_has_one_name_for_readers_search_engines_and_news_aggregators(client, db):
    import re

    from django.utils import timezone

    from tests.articles.public_helpers import json_ld

    story = make_article(headline="Named once", publish_at=timezone.now())
    page = client.get(story.get_absolute_url()).content.decode()
    site_name = re.search(r'<meta property="og:site_name" content="([^"]+)">', page)[1]
    [article] = json_ld(page)
    news_sitemap = client.get(reverse("articles:news_sitemap")).content.decode()
    publication = re.search(r"<news:name>([^<]+)</news:name>", news_sitemap)[1]
    assert article["publisher"]["name"] == site_name == publication == "The Demo Ledger"
    footer = page[page.index('<footer class="site-footer"') :]
    assert "Published by" not in footer, "the publisher is the site: no second name to give"
