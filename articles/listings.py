"""The public listings' reads: pages of story cards, each query compiled once per process.

A section's, tag's, author's or source's page, and the home page, show cards: a story's
headline, kicker, standfirst, section, lead picture, bylines and dates. Each list is a
`PreparedQuery` built from `Article.objects.published()` with the ORM, so the visibility
rule is the same as everywhere; only compiling it is done once (it cost a listing more than
PostgreSQL took to run it). Rows become ordinary model instances, with their section, picture
and bylines cached, so cards, URLs and cache keys work as on any loaded article, and a lazy
load still fails under the tests' FETCH_RAISE. Every query runs on every request; the stories
built from its rows are kept per process by those rows (`stories_from`), with what is drawn
from them.

    page = paginate(request, section_cards(section.pk))
"""

import datetime
import inspect

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from taggit.models import Tag, TaggedItem

from authors.models import Author, AuthorLink

from .article_page import CARD_COLUMNS, PICTURE_COLUMNS, SECTION_COLUMNS, card_story
from .json_arrays import JSONRow, json_array_of
from .models import (
    LISTING_AUTHOR_COLUMNS,
    Article,
    ArticleSource,
    Byline,
    Image,
    Section,
    Source,
    _detail_annotations,
    _listing_bylines,
    attach_bylines,
)
from .prepared import IdIn, PreparedQuery, id_list
from .rows import Kept, cache_prefetched, instance, json_value

# How many of the newest stories the home page reads to fill its section blocks.
HOME_POOL = 200

_CARD_VALUES = (
    *CARD_COLUMNS,
    *(f"section__{column}" for column in SECTION_COLUMNS),
    *(f"lead_image__{column}" for column in PICTURE_COLUMNS),
)


def card_rows(queryset):
    """``queryset`` as rows of a card's columns, its section's and picture's, and its bylines
    as a JSON array (turned into stories by `stories_from`)."""
    return queryset.values(*_CARD_VALUES).annotate(listing_bylines=_listing_bylines())


# A feed's items: a card, when it was last edited, and its tags' names as a JSON array.
FEED_COLUMNS = (*CARD_COLUMNS, "modified_at")


def _feed_items(queryset, article_type):
    return queryset.values(*_CARD_VALUES, "modified_at").annotate(
        listing_bylines=_listing_bylines(),
        detail_tags=_detail_annotations(article_type)["detail_tags"],
    )


def stories_from(fetched):
    """The stories of listing rows (a `Fetched` of `PreparedQuery.fetch`), kept per process by
    each row as the database sent it, and shared by the requests reading the same row: a story,
    its section, picture and authors are built once, and so is what is drawn from it (its card,
    feed item: `drawn`). Any edit to what a card shows reads a different row, so it makes a new
    story."""
    return [
        _STORIES.get_or_make((fetched.names, raw), lambda raw=raw: _new_story(fetched, raw))
        for raw in fetched.rows
    ]


def _new_story(fetched, raw):
    story = _story_from_row(fetched.dicts([raw])[0])
    story.drawn = {}  # what is drawn from it, by `drawn`
    return story


def drawn(story, what, draw):
    """``draw()``, kept on a story of `stories_from` under ``what`` and everything else markup
    depends on (`rendering_key`); drawn every time for any other story."""
    kept = getattr(story, "drawn", None)
    if kept is None:
        return draw()
    key = (what, rendering_key())
    value = kept.get(key)
    if value is None:
        value = kept[key] = draw()
    return value


# Listing stories kept per process: the pages of every section, tag and author readers open.
_STORIES = Kept(3_000)


@receiver(setting_changed, dispatch_uid="listing_stories_settings")
def _forget_stories(**kwargs):
    # How instances are built (the fetch mode) or shown (addresses, files) may have changed.
    _STORIES.clear()


def _story_from_row(row):
    if "detail_tags" in row:
        story = card_story(row, columns=FEED_COLUMNS)
        story.detail_tags = json_value(row["detail_tags"]) or []
    else:
        story = card_story(row)
    attach_bylines(story, json_value(row["listing_bylines"]), author_columns=LISTING_AUTHOR_COLUMNS)
    if "body_digest" in row:  # a search's result: the key of its highlighted passages
        story.body_digest = row["body_digest"]
    return story


def rendering_key():
    """What a story's markup depends on besides its row: the language, the time zone, the
    URLconf and script prefix its addresses are reversed with. Part of the key of whatever
    is kept on a shared story."""
    return (
        get_language(),
        get_current_timezone_name(),
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
    )


class Cards:
    """The live stories of one listing, newest first, as cards; sliced by `paginate()`."""

    def __init__(self, query, **values):
        self.query = query
        self.values = {"at": timezone.now(), **values}
        if "article_type" in query.parameters:
            self.values["article_type"] = ContentType.objects.get_for_model(Article).pk

    def __getitem__(self, bounds):
        if not isinstance(bounds, slice) or bounds.step is not None:
            raise TypeError("Cards are read a page at a time: cards[start:stop]")
        return stories_from(
            self.query.fetch(start=bounds.start or 0, stop=bounds.stop, **self.values)
        )


def _page_query(narrow, *, feed=False, prepare=False, **parameters):
    """A compiled page of cards (or of feed items): the live stories ``narrow(queryset,
    **values)`` keeps. Tags and feeds are given the articles' content type as a parameter
    (`article_type`): a compiled query must not keep an id it read from one database."""
    narrow_takes_type = "article_type" in inspect.signature(narrow).parameters
    if feed or narrow_takes_type:
        parameters["article_type"] = int

    def build(at, start, stop, article_type=None, **values):
        if narrow_takes_type:
            values["article_type"] = article_type
        live = narrow(Article.objects.published(at=at), **values)
        return (_feed_items(live, article_type) if feed else card_rows(live))[start:stop]

    return PreparedQuery(
        build,
        shape=("start", "stop"),
        prepare=prepare,
        at=datetime.datetime,
        **parameters,
    )


# What a generic plan (a server-side prepared statement) cannot know: the status asked for
# (`published()` sends it as a parameter), and how many stories a tag, an author or a source
# has (a third of the archive, or a dozen). A section's stories and the newest stories are read
# along an index that has both the status and the order (`article_section_publish`,
# `article_status_publish`): one plan fits every value, made once per connection. The others
# are planned for their values; each walks the publish-time index or reads its own few stories.
def _everything(live):
    return live


def _in_section(live, section):
    return live.filter(section=section)


def _tagged(live, tag, article_type):
    tagged = TaggedItem.objects.filter(content_type=article_type, tag=tag)
    return live.filter(pk__in=tagged.values("object_id"))


def _by_author(live, author):
    return live.filter(pk__in=Byline.objects.filter(author=author).values("article_id"))


def _from_source(live, source):
    return live.filter(pk__in=ArticleSource.objects.filter(source=source).values("article_id"))


_SECTION = _page_query(_in_section, prepare=True, section=int)
_TAG = _page_query(_tagged, tag=int)
_AUTHOR = _page_query(_by_author, author=int)
_SOURCE = _page_query(_from_source, source=int)
_LATEST_FEED = _page_query(_everything, feed=True, prepare=True)
_SECTION_FEED = _page_query(_in_section, feed=True, prepare=True, section=int)
_TAG_FEED = _page_query(_tagged, feed=True, tag=int)
_AUTHOR_FEED = _page_query(_by_author, feed=True, author=int)


# The subject of a listing, by its address -----------------------------------------------------


def _by_slug(model):
    """A function finding one ``model`` object by its slug (None if there is none), with a
    compiled query: building and compiling it cost a listing page as much as running it."""
    columns = tuple(field.attname for field in model._meta.concrete_fields)
    query = PreparedQuery(
        lambda slug: model.objects.filter(slug=slug).order_by().values(*columns)[:1], slug=str
    )

    def find(slug):
        rows = query.rows(slug=slug)
        return instance(model, rows[0], columns=columns) if rows else None

    return find


section_by_slug = _by_slug(Section)
tag_by_slug = _by_slug(Tag)
source_by_slug = _by_slug(Source)

_AUTHOR_COLUMNS = tuple(field.attname for field in Author._meta.concrete_fields)
_AUTHOR_BY_SLUG = PreparedQuery(
    lambda slug: (
        Author.objects.filter(slug=slug)
        .order_by()
        .values(
            *_AUTHOR_COLUMNS,
            *(f"photo__{column}" for column in PICTURE_COLUMNS),
            author_links=json_array_of(
                AuthorLink.objects.all(),
                JSONRow(
                    **{field.attname: field.attname for field in AuthorLink._meta.concrete_fields}
                ),
                link="author",
            ),
        )[:1]
    ),
    slug=str,
)


def author_by_slug(slug):
    """The author of an author's page, with their photo and links (``author.links.all()``), in
    one compiled query; None if there is none."""
    rows = _AUTHOR_BY_SLUG.rows(slug=slug)
    if not rows:
        return None
    row = rows[0]
    author = instance(Author, row, columns=_AUTHOR_COLUMNS)
    author.photo = (
        instance(Image, row, "photo", columns=PICTURE_COLUMNS) if row["photo_id"] else None
    )
    links = [
        instance(AuthorLink, data, from_json=True) for data in json_value(row["author_links"]) or []
    ]
    links.sort(key=lambda link: (link.position, link.pk))
    cache_prefetched(author, "links", links, AuthorLink)
    return author


def section_cards(section_id):
    return Cards(_SECTION, section=section_id)


def tag_cards(tag_id):
    return Cards(_TAG, tag=tag_id)


def author_cards(author_id):
    return Cards(_AUTHOR, author=author_id)


def source_cards(source_id):
    return Cards(_SOURCE, source=source_id)


def latest_feed_items():
    """Feed items (cards with their last edit and tags' names) of every live story."""
    return Cards(_LATEST_FEED)


def section_feed_items(section_id):
    return Cards(_SECTION_FEED, section=section_id)


def tag_feed_items(tag_id):
    return Cards(_TAG_FEED, tag=tag_id)


def author_feed_items(author_id):
    return Cards(_AUTHOR_FEED, author=author_id)


# The home page -------------------------------------------------------------------------------


# The featured story is planned for its values: a generic plan, not knowing the status, expected
# next to no featured story and sorted every live one. The newest stories, and stories by id,
# have one good plan whatever the values.
_LEAD = PreparedQuery(
    lambda at: Article.objects.published(at=at).filter(featured=True).values("pk")[:1],
    prepare=False,
    at=datetime.datetime,
)
# `lead` is 0 when no story is featured: no story has that id.
_NEWEST = PreparedQuery(
    lambda at, lead: (
        Article.objects.published(at=at).exclude(pk=lead).values("pk", "section_id")[:HOME_POOL]
    ),
    prepare=True,
    at=datetime.datetime,
    lead=int,
)
_BY_ID = PreparedQuery(
    lambda at, ids: card_rows(Article.objects.published(at=at).filter(IdIn("pk", ids))),
    prepare=True,
    at=datetime.datetime,
    ids=str,
)


def featured_id(at):
    """The newest featured live story's id, or None."""
    rows = _LEAD.rows(at=at)
    return rows[0]["pk"] if rows else None


def newest_ids(at, *, leaving_out):
    """[(id, section id)] of the `HOME_POOL` newest live stories but ``leaving_out``."""
    return [(row["pk"], row["section_id"]) for row in _NEWEST.rows(at=at, lead=leaving_out or 0)]


def cards_by_id(ids, at):
    """{id: story} for those of ``ids`` that are live at ``at``, as cards."""
    ids = id_list(ids)
    if not ids:
        return {}
    return {story.pk: story for story in stories_from(_BY_ID.fetch(at=at, ids=ids))}
