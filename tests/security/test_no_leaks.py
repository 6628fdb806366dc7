"""No leaks: an article in any non-public state appears on no public route or output.

Each hidden article shares its section, tag, author and source with a live one, is picked as
the live one's related story, has a correction and an old address, and carries a unique
marker word in its headline, slug, standfirst and body. Every public page, feed and sitemap
is searched for the marker, including the JSON-LD inside other pages.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article, ArticleRedirect, Correction, RelatedArticle
from tests.factories import make_article, make_author, make_section, make_source, make_user

SITE_URL = "https://news.example"


def _states(now):
    return {
        "draft": ({"status": Article.Status.DRAFT}, 404),
        "in-review": ({"status": Article.Status.IN_REVIEW}, 404),
        "scheduled": (
            {"status": Article.Status.PUBLISHED, "publish_at": now + timedelta(hours=2)},
            404,
        ),
        "embargoed": (
            {
                "status": Article.Status.PUBLISHED,
                "publish_at": now - timedelta(hours=2),
                "embargo_until": now + timedelta(hours=1),
            },
            404,
        ),
        "expired": (
            {
                "status": Article.Status.PUBLISHED,
                "publish_at": now - timedelta(days=3),
                "expires_at": now - timedelta(minutes=1),
            },
            410,
        ),
        "withdrawn": (
            {"status": Article.Status.WITHDRAWN, "first_published_at": now - timedelta(days=1)},
            410,
        ),
    }


STATES = list(_states(timezone.now()))


def marker(state):
    return f"zq{state.replace('-', '')}leak"


@pytest.fixture
def newsroom(db):
    now = timezone.now()
    section = make_section("World", slug="world")
    author = make_author("Ana Lee")
    source = make_source("Wire Service")
    live = make_article(
        headline="The live story",
        section=section,
        authors=[author],
        sources=[source],
        tags=["NATO"],
        publish_at=now - timedelta(hours=3),
    )
    hidden = {}
    for position, (state, (fields, expected)) in enumerate(_states(now).items()):
        word = marker(state)
        article = make_article(
            headline=f"Hidden {word} story",
            slug=f"hidden-{word}",
            dek=f"Standfirst {word}.",
            body=f"<p>Body {word} text.</p>",
            section=section,
            authors=[author],
            sources=[source],
            tags=["NATO"],
            **fields,
        )
        RelatedArticle.objects.create(article=live, related=article, position=position)
        Correction.objects.create(article=article, text=f"Correction {word}.")
        ArticleRedirect.objects.create(article=article, old_path=f"/world/2020/01/01/old-{word}/")
        hidden[state] = (article, expected)
    return {"live": live, "hidden": hidden, "section": section, "author": author, "source": source}


def public_paths(newsroom):
    live = newsroom["live"]
    section, author, source = newsroom["section"], newsroom["author"], newsroom["source"]
    return [
        "/",
        "/?page=2",
        section.get_absolute_url(),
        "/tags/nato/",
        author.get_absolute_url(),
        source.get_absolute_url(),
        live.get_absolute_url(),  # related stories and its JSON-LD
        "/corrections/",
        "/feeds/latest/rss/",
        "/feeds/latest/atom/",
        f"/feeds/sections/{section.slug}/rss/",
        f"/feeds/sections/{section.slug}/atom/",
        "/feeds/tags/nato/rss/",
        "/feeds/tags/nato/atom/",
        f"/feeds/authors/{author.slug}/rss/",
        f"/feeds/authors/{author.slug}/atom/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/robots.txt",
    ]


def fetch_with_sitemaps(client, path):
    """The page's text; for the sitemap index, every sitemap it lists as well."""
    response = client.get(path)
    assert response.status_code == 200, path
    text = response.content.decode()
    if path == "/sitemap.xml":
        for loc in re.findall(r"<loc>([^<]+)</loc>", text):
            sub = client.get(loc.removeprefix(SITE_URL))
            assert sub.status_code == 200, loc
            text += sub.content.decode()
    return text


def test_the_live_control_story_is_visible_everywhere_the_hidden_ones_are_not(newsroom):
    # Guards the test itself: the pages searched below really list what they should.
    client = Client()
    for path in [
        "/",
        newsroom["section"].get_absolute_url(),
        "/tags/nato/",
        newsroom["author"].get_absolute_url(),
        "/feeds/latest/rss/",
        "/sitemap.xml",
        "/news-sitemap.xml",
    ]:
        assert "the-live-story" in fetch_with_sitemaps(client, path), path


@pytest.mark.parametrize("state", STATES)
def test_hidden_article_is_absent_from_every_public_page_feed_and_sitemap(newsroom, state):
    client = Client()
    word = marker(state)
    for path in public_paths(newsroom):
        text = fetch_with_sitemaps(client, path)
        assert word not in text, f"{state} article leaks on {path}"


@pytest.mark.parametrize("state", STATES)
def test_hidden_article_is_not_found_by_search(newsroom, state):
    word = marker(state)
    for query in [word, f"Hidden {word}", f"{word} story"]:
        response = Client().get("/search/", {"q": query})
        assert response.status_code == 200
        # The query is echoed in the search box; the article must not be in the results.
        assert f"hidden-{word}" not in response.text
        assert f"Body {word}" not in response.text
        assert f"Standfirst {word}" not in response.text


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trick", ["", "?preview=1", "?static=1", "?status=draft", "?p=1"])
def test_hidden_article_page_answers_404_or_410_with_no_content(newsroom, state, trick):
    article, expected = newsroom["hidden"][state]
    response = Client().get(article.get_absolute_url() + trick)
    assert response.status_code == expected
    assert marker(state) not in response.text


@pytest.mark.parametrize("state", STATES)
def test_old_address_of_a_hidden_article_does_not_lead_to_it(newsroom, state):
    article, expected = newsroom["hidden"][state]
    response = Client().get(f"/world/2020/01/01/old-{marker(state)}/", follow=True)
    assert response.status_code == expected
    assert marker(state) not in response.text


@pytest.mark.parametrize("state", STATES)
def test_hidden_article_cannot_be_reached_by_its_id(newsroom, state):
    article, _ = newsroom["hidden"][state]
    client = Client()
    for path in [
        f"/?p={article.pk}",
        f"/?id={article.pk}",
        f"/articles/{article.pk}/",
        f"/world/{article.pk}/",
        f"/article/{article.pk}/",
        f"/preview/{article.pk}/",
        f"/search/?q={article.pk}",
    ]:
        response = client.get(path)
        assert response.status_code in {200, 404}, path
        assert marker(state) not in response.text, path


@pytest.mark.parametrize("state", STATES)
def test_a_staff_visit_never_puts_a_hidden_article_into_the_public_cache(newsroom, state):
    article, expected = newsroom["hidden"][state]
    editor = Client()
    editor.force_login(make_user("Editor"))
    for trick in ["", "?preview=1"]:
        editor.get(article.get_absolute_url() + trick)
        editor.get("/" + trick)
        anonymous = Client().get(article.get_absolute_url() + trick)
        assert anonymous.status_code == expected
        assert marker(state) not in anonymous.text
        assert marker(state) not in Client().get("/" + trick).text


@pytest.mark.parametrize("state", STATES)
def test_a_logged_in_editor_does_not_see_hidden_articles_on_public_listings(newsroom, state):
    editor = Client()
    editor.force_login(make_user("Editor"))
    for path in ["/", newsroom["section"].get_absolute_url(), "/tags/nato/", "/corrections/"]:
        assert marker(state) not in editor.get(path).text, path


def test_a_story_going_from_live_to_withdrawn_leaves_the_cached_pages(
    newsroom, django_capture_on_commit_callbacks
):
    from articles import workflow

    client = Client()
    live = newsroom["live"]
    assert "The live story" in client.get("/").text  # now cached
    assert client.get(live.get_absolute_url()).status_code == 200  # cached too
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(live, by=make_user("Editor"), reason="Legal complaint.")
    assert "The live story" not in client.get("/").text
    assert client.get(live.get_absolute_url()).status_code == 410
