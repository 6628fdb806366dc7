"""The article page: provenance, corrections, dates, head tags and NewsArticle JSON-LD."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory

from articles.models import ArticleSource, Byline, Correction, RelatedArticle
from articles.public.views import article_context
from tests.factories import make_article, make_author, make_section, make_source

from .public_helpers import json_ld, make_picture

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def story(db):
    with time_machine.travel(NOW, tick=False):
        korrespondent = make_source("korrespondent", homepage_url="https://korrespondent.net/")
        nikkei = make_source("Nikkei Asia", homepage_url="https://asia.nikkei.com/")
        article = make_article(
            headline="NATO to open first Asian liaison office in Tokyo",
            section=make_section("World", slug="world"),
            tags=["NATO", "Japan"],
            dek="The office would be the alliance’s first in Asia.",
            kicker="Exclusive",
            publish_at=datetime(2026, 7, 1, 6, 0, tzinfo=UTC),
            first_published_at=datetime(2026, 7, 1, 6, 0, tzinfo=UTC),
            updated_at=datetime(2026, 7, 1, 9, 15, tzinfo=UTC),
            lead_image=make_picture("Flags outside NATO headquarters", credit="Photo: Jane Roe"),
            lead_image_caption="Flags outside NATO headquarters in Brussels.",
        )
        Byline.objects.create(
            article=article,
            author=make_author("David Wyatt", job_title="Correspondent", bio="Writes on Asia."),
        )
        ArticleSource.objects.create(
            article=article,
            source=korrespondent,
            original_url="https://korrespondent.net/world/4600000",
            original_headline="NATO opens an office in Tokyo",
        )
        ArticleSource.objects.create(
            article=article, source=nikkei, relation=ArticleSource.Relation.REPORTED_BY, position=1
        )
        Correction.objects.create(
            article=article,
            text="An earlier version misspelt Michito Tsuruoka’s name.",
            created_at=datetime(2026, 7, 1, 9, 15, tzinfo=UTC),
        )
    return article


@pytest.fixture
def page(client, story):
    with time_machine.travel(NOW, tick=False):
        response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_article_page_shows_the_sources_box(page):
    assert "Source:" in page
    assert '<a href="/sources/korrespondent/">korrespondent</a>' in page
    assert 'href="https://korrespondent.net/world/4600000"' in page
    assert "Originally reported by" in page
    assert '<a href="/sources/nikkei-asia/">Nikkei Asia</a>' in page


def test_article_page_shows_both_times_in_the_newsroom_zone(page):
    # 06:00 UTC is 08:00 in Berlin in summer.
    assert '<time datetime="2026-07-01T08:00:00+02:00">1 July 2026, 08:00 CEST</time>' in page
    assert '<time datetime="2026-07-01T11:15:00+02:00">' in page
    assert "Updated" in page
    assert "<span>1 minute read</span>" in page


def test_head_gives_publication_and_update_times_in_the_newsroom_zone(page):
    assert '<meta property="article:published_time" content="2026-07-01T08:00:00+02:00">' in page
    assert '<meta property="article:modified_time" content="2026-07-01T11:15:00+02:00">' in page


def test_article_page_shows_kicker_dek_caption_credit_and_correction(page):
    assert "Exclusive" in page
    assert "The office would be the alliance’s first in Asia." in page
    assert "Flags outside NATO headquarters in Brussels." in page
    assert "Photo: Jane Roe" in page
    assert "An earlier version misspelt Michito Tsuruoka’s name." in page
    assert 'alt="Flags outside NATO headquarters"' in page
    assert re.search(r'<img [^>]*width="\d+" height="\d+"', page)


def test_head_has_title_description_canonical_social_card_and_feeds(page, story):
    url = "https://news.example" + story.get_absolute_url()
    assert (
        "<title>NATO to open first Asian liaison office in Tokyo · The Demo Ledger</title>" in page
    )
    assert '<meta name="description" content="The office would be the alliance’s first' in page
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:image" content="https://news.example/media/' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert 'type="application/rss+xml" title="World (RSS)"' in page
    assert 'href="https://news.example/feeds/sections/world/atom/"' in page
    assert 'name="robots"' not in page


def test_seo_title_description_canonical_override_and_noindex_win(client, story):
    story.seo_title = "NATO office in Tokyo"
    story.meta_description = "What the office will do."
    story.canonical_url = "https://partner.example/original"
    story.noindex = True
    story.save()

    page = client.get(story.get_absolute_url()).content.decode()

    assert "<title>NATO office in Tokyo · The Demo Ledger</title>" in page
    assert '<meta name="description" content="What the office will do.">' in page
    assert '<link rel="canonical" href="https://partner.example/original">' in page
    assert '<meta name="robots" content="noindex">' in page


def test_news_article_json_ld_carries_the_required_fields(page, story):
    [data] = json_ld(page)
    url = "https://news.example" + story.get_absolute_url()

    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert data["datePublished"] == "2026-07-01T06:00:00+00:00"
    assert data["dateModified"] == "2026-07-01T09:15:00+00:00"
    assert data["author"] == [
        {
            "@type": "Person",
            "name": "David Wyatt",
            "url": "https://news.example/authors/david-wyatt/",
            "jobTitle": "Correspondent",
        }
    ]
    assert data["publisher"]["name"] == "The Demo Ledger"
    assert data["publisher"]["logo"]["url"].startswith("https://news.example/static/")
    assert data["image"][0].startswith("https://news.example/media/")
    assert data["articleSection"] == "World"
    assert data["keywords"] == ["NATO", "Japan"]
    assert data["mainEntityOfPage"]["@id"] == url
    assert [work["url"] for work in data["isBasedOn"]] == [
        "https://korrespondent.net/world/4600000",
        "https://asia.nikkei.com/",
    ]
    assert data["correction"][0]["@type"] == "CorrectionComment"
    assert "Tsuruoka" in data["correction"][0]["text"]


def test_json_ld_cannot_be_broken_out_of_by_a_headline(client, db):
    article = make_article(headline="</script><script>alert(1)</script> & more")
    page = client.get(article.get_absolute_url()).content.decode()

    assert "</script><script>alert(1)" not in page
    [data] = json_ld(page)
    assert data["headline"] == "</script><script>alert(1)</script> & more"


def test_absolute_urls_come_from_site_url_not_the_host_header(client, story):
    page = client.get(story.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    assert "//localhost" not in page
    assert "https://news.example" in page


def test_public_pages_carry_no_csrf_token_nonce_or_inline_script(client, story):
    for url in ["/", story.get_absolute_url(), "/search/", "/world/"]:
        page = client.get(url).content.decode()
        assert "csrfmiddlewaretoken" not in page, url
        assert "nonce" not in page, url
        assert "style=" not in page, url
        scripts = re.findall(r"<script([^>]*)>", page)
        assert all('type="application/ld+json"' in attrs for attrs in scripts), url


def test_article_page_declares_the_cache_keys_of_everything_it_shows(client, story):
    response = client.get(story.get_absolute_url())
    keys = response.cache_keys
    assert f"article-{story.pk}" in keys
    assert f"section-{story.section_id}" in keys
    assert {f"tag-{t.pk}" for t in story.tags.all()} <= keys
    assert f"author-{story.bylines.get().author_id}" in keys
    assert {f"source-{s.source_id}" for s in story.article_sources.all()} <= keys


def test_related_stories_put_editor_picks_first_then_shared_tags(client, story):
    shared = make_article(headline="Japan raises defence budget", tags=["Japan"])
    picked = make_article(
        headline="Picked by an editor", publish_at=shared.publish_at.replace(year=2025)
    )
    make_article(headline="Unrelated story", tags=["Weather"])
    RelatedArticle.objects.create(article=story, related=picked)

    related = client.get(story.get_absolute_url()).context["related"]

    assert [a.headline for a in related] == ["Picked by an editor", "Japan raises defence budget"]


def test_preview_of_an_unpublished_article_shows_a_banner_and_noindex(rf, story):
    story.status = "draft"
    story.save()
    request = RequestFactory().get("/preview/x/")
    html = render_to_string(
        "articles/article_detail.html", article_context(story, request, is_preview=True), request
    )

    assert "Preview — not published" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'type="application/ld+json"' not in html


def test_a_reader_cannot_turn_on_the_preview_banner(client, story):
    page = client.get(story.get_absolute_url() + "?is_preview=1").content.decode()
    assert "Preview — not published" not in page
