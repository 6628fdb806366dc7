"""The listings' cards: read through compiled queries, like the querysets they are built from."""

from datetime import timedelta

import pytest
from django.core.exceptions import FieldFetchBlocked
from django.db import connection
from django.db.models import FETCH_RAISE
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import images
from articles.listings import (
    author_cards,
    cards_by_id,
    featured_id,
    newest_ids,
    section_cards,
    source_cards,
    tag_cards,
)
from articles.models import Article, Byline, Section
from articles.templatetags import public
from authors.models import Author
from tests.factories import make_article, make_author, make_section, make_source

from .public_helpers import make_picture


@pytest.fixture
def desk(db):
    now = timezone.now()
    world = make_section("World", slug="world")
    ana = make_author("Ana Lee")
    wire = make_source("Wire Agency")
    stories = [
        make_article(
            headline=f"World story {hours}",
            section=world,
            tags=["Ports"],
            sources=[wire],
            publish_at=now - timedelta(hours=hours),
        )
        for hours in range(1, 8)
    ]
    for story in stories:
        Byline.objects.create(article=story, author=ana, position=0)
    return {"now": now, "section": world, "author": ana, "source": wire, "stories": stories}


def test_each_listing_pages_through_its_live_stories_newest_first(desk):
    expected = [story.pk for story in desk["stories"]]
    make_article(headline="Elsewhere")  # another section, no tag, no byline, no source
    make_article(  # in every listing, but not live
        section=desk["section"],
        tags=["Ports"],
        sources=[desk["source"]],
        status=Article.Status.DRAFT,
    )
    tag_id = desk["stories"][0].tags.get().pk
    for cards in (
        section_cards(desk["section"].pk),
        tag_cards(tag_id),
        author_cards(desk["author"].pk),
        source_cards(desk["source"].pk),
    ):
        pages = [cards[0:3], cards[3:6], cards[6:9]]
        assert [[story.pk for story in page] for page in pages] == [
            expected[0:3],
            expected[3:6],
            expected[6:],
        ]


def test_a_card_comes_with_its_section_picture_and_bylines_in_one_query(desk):
    story = desk["stories"][0]
    story.lead_image = make_picture("Cranes at dawn")
    story.save()
    Byline.objects.create(
        article=story, author=make_author("Tom Ruiz"), position=1, role=Byline.Role.WITH
    )
    with CaptureQueriesContext(connection) as captured:
        [card] = section_cards(desk["section"].pk)[0:1]
        assert card.headline == story.headline
        assert card.section.name == "World"
        assert card.lead_image.alt_text == "Cranes at dawn"
        assert [(b.author.name, b.role) for b in card.bylines.all()] == [
            ("Ana Lee", Byline.Role.WRITTEN_BY),
            ("Tom Ruiz", Byline.Role.WITH),
        ]
        assert card.get_absolute_url() == story.get_absolute_url()
    assert len(captured) == 1


def test_a_card_defers_what_a_card_never_shows_and_refuses_lazy_loads(desk, settings):
    settings.NEWSROOM_FETCH_MODE = FETCH_RAISE
    [card] = section_cards(desk["section"].pk)[0:1]
    assert {"body", "search_vector", "created_by_id"} <= card.get_deferred_fields()
    with pytest.raises(FieldFetchBlocked):
        card.body  # noqa: B018


def test_cards_are_read_a_page_at_a_time(desk):
    with pytest.raises(TypeError):
        section_cards(desk["section"].pk)[0]


def test_the_home_page_reads_the_featured_story_and_the_newest_ids(desk):
    now = timezone.now()
    stories = desk["stories"]
    assert featured_id(now) is None
    Article.objects.filter(pk=stories[3].pk).update(featured=True)
    assert featured_id(now) == stories[3].pk
    newest = newest_ids(now, leaving_out=stories[3].pk)
    assert [pk for pk, _section in newest] == [s.pk for s in stories if s.pk != stories[3].pk]
    assert {section for _pk, section in newest} == {desk["section"].pk}
    assert len(newest_ids(now, leaving_out=None)) == len(stories)


def test_cards_by_id_load_any_number_of_stories_and_only_live_ones(desk):
    stories = desk["stories"]
    draft = make_article(status=Article.Status.DRAFT)
    now = timezone.now()
    assert cards_by_id([], now) == {}
    assert set(cards_by_id([stories[0].pk], now)) == {stories[0].pk}
    wanted = [story.pk for story in stories] + [draft.pk, 10**12]
    loaded = cards_by_id(wanted, now)
    assert set(loaded) == {story.pk for story in stories}
    assert loaded[stories[2].pk].headline == stories[2].headline


@pytest.fixture
def counted_cards(monkeypatch):
    """The ids of the stories whose card is rendered, in order."""
    rendered = []
    render = public._card

    def counting(story, *args):
        rendered.append(story.pk)
        return render(story, *args)

    monkeypatch.setattr(public, "_card", counting)
    return rendered


def test_a_listing_story_and_its_card_are_made_once_per_process(
    desk, client, settings, counted_cards
):
    settings.NEWSROOM_PAGE_CACHE = False
    url = desk["section"].get_absolute_url()
    assert client.get(url).status_code == 200
    assert sorted(counted_cards) == sorted(story.pk for story in desk["stories"])
    counted_cards.clear()
    page = client.get(url).content.decode()
    assert counted_cards == []
    assert all(story.headline in page for story in desk["stories"])
    first, again = (section_cards(desk["section"].pk)[0:2] for _ in range(2))
    assert [a is b for a, b in zip(first, again, strict=True)] == [True, True]


def test_a_kept_card_shows_any_edit_to_its_story_section_picture_or_authors(
    desk, client, settings, tmp_path, counted_cards
):
    settings.NEWSROOM_PAGE_CACHE = False
    settings.MEDIA_ROOT = tmp_path
    story = desk["stories"][0]
    picture = make_picture("Cranes at dawn")
    Article.objects.filter(pk=story.pk).update(lead_image=picture)
    url = desk["section"].get_absolute_url()
    before = client.get(url).content.decode()
    assert "<picture>" not in before  # no renditions yet: the original
    counted_cards.clear()

    # Edits made behind the models' backs (no signal, no purge): only the rows change.
    Article.objects.filter(pk=story.pk).update(headline="Ports reopen after the storm")
    Author.objects.filter(pk=desk["author"].pk).update(name="Ana Lee-Park")
    Section.objects.filter(pk=desk["section"].pk).update(name="Globe")
    images.make_renditions(picture)

    after = client.get(url).content.decode()
    assert "Ports reopen after the storm" in after
    assert after.count("Ana Lee-Park") == len(desk["stories"])
    assert '<p class="card__kicker">Globe</p>' in after
    assert '<p class="card__kicker">World</p>' not in after
    assert "<picture>" in after
    assert sorted(counted_cards) == sorted(s.pk for s in desk["stories"])


def test_kept_cards_follow_a_change_of_settings(desk, client, settings, tmp_path):
    settings.NEWSROOM_PAGE_CACHE = False
    settings.MEDIA_ROOT = tmp_path
    Article.objects.filter(pk=desk["stories"][0].pk).update(lead_image=make_picture())
    url = desk["section"].get_absolute_url()
    assert 'src="/media/' in client.get(url).content.decode()
    settings.MEDIA_URL = "https://images.example.org/"
    page = client.get(url).content.decode()
    assert 'src="https://images.example.org/' in page
    assert 'src="/media/' not in page
