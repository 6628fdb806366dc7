"""Front page, section/tag/source lists, corrections page, sitemaps."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Correction, Section
from authors.models import Author
from tests.factories import make_article, make_author, make_section, make_source

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def parse_xml(content):
    return ET.fromstring(content)  # noqa: S314 - our own sitemap output, not untrusted input


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.NEWSROOM_PAGE_CACHE = False


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


def test_front_page_leads_with_the_featured_story(client, db):
    make_article(headline="Newest story", publish_at=hours_ago(1))
    make_article(headline="Featured story", publish_at=hours_ago(5), featured=True)
    response = client.get("/")
    assert response.context["lead"].headline == "Featured story"
    assert [a.headline for a in response.context["top_stories"]] == ["Newest story"]


def test_front_page_leads_with_the_newest_story_when_none_is_featured(client, db):
    make_article(headline="Older story", publish_at=hours_ago(5))
    make_article(headline="Newest story", publish_at=hours_ago(1))
    assert client.get("/").context["lead"].headline == "Newest story"


def test_front_page_groups_the_latest_three_stories_per_section(client, db):
    world, culture = make_section("World"), make_section("Culture")
    for n in range(5):
        make_article(headline=f"World {n}", section=world, publish_at=hours_ago(n + 1))
    make_article(headline="Culture 0", section=culture, publish_at=hours_ago(30))

    groups = {
        g["section"].name: [a.headline for a in g["articles"]]
        for g in client.get("/").context["per_section"]
    }

    # "World 0" leads the page, so the World block starts with the next three.
    assert groups == {"World": ["World 1", "World 2", "World 3"], "Culture": ["Culture 0"]}


def test_breaking_banner_shows_a_recent_live_story_kicked_breaking(client, db):
    make_article(headline="Dam bursts upstream", kicker="Breaking", publish_at=hours_ago(2))
    page = client.get("/").content.decode()
    assert 'class="breaking"' in page
    assert "Dam bursts upstream" in page


def test_breaking_banner_goes_away_after_some_hours(client, settings, db):
    make_article(headline="Dam bursts upstream", kicker="Breaking", publish_at=hours_ago(7))
    assert 'class="breaking"' not in client.get("/").content.decode()


def test_section_page_shows_description_and_its_stories_only(client, db):
    world = make_section("World", slug="world", description="News from everywhere.")
    make_article(headline="In world", section=world)
    make_article(headline="Elsewhere")
    response = client.get("/world/")
    page = response.content.decode()
    assert "News from everywhere." in page
    assert [a.headline for a in response.context["page"].items] == ["In world"]
    assert 'href="https://news.example/feeds/sections/world/rss/"' in page


def test_source_page_lists_stories_based_on_it(client, db):
    nikkei = make_source("Nikkei Asia", description="Asian business publication.")
    make_article(headline="Chip supply tight", sources=[nikkei])
    make_article(headline="Unsourced story")
    response = client.get(nikkei.get_absolute_url())
    assert "Asian business publication." in response.content.decode()
    assert [a.headline for a in response.context["page"].items] == ["Chip supply tight"]


def test_corrections_page_lists_newest_first_with_links(client, db):
    story = make_article(headline="Corrected story")
    Correction.objects.create(article=story, text="Older fix.", created_at=hours_ago(5))
    Correction.objects.create(
        article=story, text="Newer fix.", created_at=hours_ago(1), kind="clarification"
    )
    response = client.get(reverse("articles:corrections"))
    assert [c.text for c in response.context["page"].items] == ["Newer fix.", "Older fix."]
    assert story.get_absolute_url() in response.content.decode()


def test_sitemaps_list_every_public_page_kind_with_lastmod(client, db):
    from tests.factories import make_author

    story = make_article(
        headline="Mapped story",
        section=make_section("World", slug="world"),
        tags=["Maps"],
        authors=[make_author("Ana Lee")],
        sources=[make_source("Nikkei Asia", slug="nikkei-asia")],
    )
    Correction.objects.create(article=story, text="A date was wrong.")
    index = parse_xml(client.get(reverse("sitemap")).content)
    locations = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert locations == [
        f"https://news.example/sitemap-{name}.xml"
        for name in ["pages", "articles", "sections", "tags", "authors", "sources"]
    ]
    expected = {
        "pages": ["https://news.example/", "https://news.example/corrections/"],
        "articles": ["https://news.example" + story.get_absolute_url()],
        "sections": ["https://news.example/world/"],
        "tags": ["https://news.example/tags/maps/"],
        "authors": ["https://news.example/authors/ana-lee/"],
        "sources": ["https://news.example/sources/nikkei-asia/"],
    }
    for name, urls in expected.items():
        tree = parse_xml(client.get(f"/sitemap-{name}.xml").content)
        entries = tree.findall(f"{SITEMAP}url")
        assert [entry.find(f"{SITEMAP}loc").text for entry in entries] == urls
        assert all(entry.find(f"{SITEMAP}lastmod") is not None for entry in entries)


def test_a_source_whose_stories_are_all_unpublished_is_in_no_sitemap(client, db):
    make_article(
        headline="Draft based on a wire",
        status=Article.Status.DRAFT,
        sources=[make_source("Hidden Wire", slug="hidden-wire")],
    )
    assert b"hidden-wire" not in client.get("/sitemap-sources.xml").content


def test_news_sitemap_lists_stories_of_the_last_48_hours_only(client, db):
    fresh = make_article(headline="Fresh story", publish_at=hours_ago(3))
    make_article(headline="Old story", publish_at=hours_ago(49))

    tree = parse_xml(client.get(reverse("articles:news_sitemap")).content)
    entries = tree.findall(f"{SITEMAP}url")

    assert len(entries) == 1
    assert (
        entries[0].find(f"{SITEMAP}loc").text == "https://news.example" + fresh.get_absolute_url()
    )
    news = entries[0].find(f"{NEWS}news")
    assert news.find(f"{NEWS}title").text == "Fresh story"
    assert news.find(f"{NEWS}publication/{NEWS}name").text == "The Demo Ledger"
    assert news.find(f"{NEWS}publication_date").text.startswith(str(fresh.publish_at.year))


def test_news_sitemap_escapes_headlines_and_names_the_stories_first_publication(client, db):
    story = make_article(headline="Bread & <butter> prices", publish_at=hours_ago(2))

    tree = parse_xml(client.get(reverse("articles:news_sitemap")).content)
    news = tree.find(f"{SITEMAP}url/{NEWS}news")

    assert news.find(f"{NEWS}title").text == "Bread & <butter> prices"
    published = datetime.fromisoformat(news.find(f"{NEWS}publication_date").text)
    assert abs(published - story.first_published_at) < timedelta(seconds=1)


def test_the_navigation_marks_the_current_section_and_follows_a_rename(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_PAGE_CACHE = False
    world, science = make_section("World", slug="world"), make_section("Science", slug="science")
    story = make_article(headline="Nile levels fall", section=science)

    section_page = client.get(reverse("articles:section", args=["world"])).content.decode()
    assert '<a href="/world/" aria-current="page">World</a>' in section_page
    assert '<a href="/science/">Science</a>' in section_page
    article_page = client.get(story.get_absolute_url()).content.decode()
    assert '<a href="/science/" aria-current="true">Science</a>' in article_page
    home = client.get(reverse("articles:home")).content.decode()
    assert '<a href="/" aria-current="page">Home</a>' in home
    assert 'aria-current="true"' not in home

    world.name = "International"
    with django_capture_on_commit_callbacks(execute=True):  # the purge runs after commit
        world.save()
    assert ">International</a>" in client.get(reverse("articles:home")).content.decode()


def card_templates(response):
    return [t.name for t in response.templates if t.name == "includes/card.html"]


def test_a_lists_cards_are_drawn_once_then_read_from_the_cache(client, db, settings):
    settings.NEWSROOM_PAGE_CACHE = False  # the page itself is drawn each time; its cards not
    section = make_section("World", slug="world")
    for n in range(3):
        make_article(headline=f"Story {n}", section=section, authors=[make_author()])
    assert len(card_templates(client.get("/world/"))) == 3
    again = client.get("/world/")
    assert card_templates(again) == []
    assert "Story 2" in again.content.decode()


def test_a_card_drawn_by_other_markup_is_drawn_again_after_a_deploy(
    client, db, settings, monkeypatch
):
    from articles.templatetags import public

    settings.NEWSROOM_PAGE_CACHE = False
    make_article(headline="Story", section=make_section("World", slug="world"))
    assert len(card_templates(client.get("/world/"))) == 1
    monkeypatch.setattr(public, "CARD_MARKUP", "changed-templates")
    assert len(card_templates(client.get("/world/"))) == 1


def test_a_cached_card_shows_a_new_headline_section_name_and_author_name(client, db):
    # Changed behind the models' backs (no save, no signal, no new modification time): a
    # card's cache key is what it shows, so the next list draws it again.
    section = make_section("World", slug="world")
    ana = make_author("Ana Lee")
    story = make_article(headline="Old headline", kicker="", section=section, authors=[ana])
    assert 'card__kicker">World<' in client.get("/world/").content.decode()
    Article.objects.filter(pk=story.pk).update(headline="New headline")
    Section.objects.filter(pk=section.pk).update(name="International")
    Author.objects.filter(pk=ana.pk).update(name="Ana Lee-Park")
    listing = client.get("/world/").content.decode()
    assert "New headline" in listing and "Old headline" not in listing
    assert 'card__kicker">International<' in listing
    assert ">Ana Lee-Park<" in listing and ">Ana Lee<" not in listing


def test_a_front_page_section_block_gives_its_first_story_alone_a_standfirst(client, db):
    world = make_section("World", slug="world")
    for n in range(3):
        make_article(
            headline=f"World story {n}",
            dek=f"Standfirst {n}",
            section=world,
            publish_at=hours_ago(n),
        )
    page = client.get("/").content.decode()
    block = page[page.index('class="section-block"') :]
    assert block.count('class="card__dek"') == 1 and "Standfirst 1" in block
