"""The live article page's read: the story and everything its page shows in two queries.

The first reads the story by slug, under `Article.objects.published()`: its own columns, its
section and lead image, and as JSON arrays its bylines (with each author and photo), sources,
corrections, tags, the related stories an editor picked (live ones only, with section and
image), and the site's sections for the navigation. The second tops the related stories up
with the newest live stories sharing one of its tags.

Both are `PreparedQuery`s: defined with the ORM, compiled once per process. The first is a
server-side prepared statement with one generic plan (its best plan never changes); the second
is planned for its values, because its best plan depends on the tags: for a tag on a third of
the stories, walk the newest stories until a few match; for a tag on a handful, read those.
(One plan for both walked the whole archive for a story whose tags no other story has.)
The rows become ordinary model instances with their relations cached, so templates, JSON-LD
and URLs work as on any loaded article, and a lazy load still fails under the tests'
FETCH_RAISE.
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.signals import setting_changed
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.utils import timezone
from taggit.models import TaggedItem

from .json_arrays import JSONArraySubquery, JSONRow, json_array_of
from .models import (
    Article,
    Byline,
    Image,
    RelatedArticle,
    Section,
    _detail_annotations,
    attach_bylines,
)
from .prepared import IdIn, PreparedQuery, id_list
from .rows import Kept, instance, json_value

RELATED_LIMIT = 4


def _columns(model, *, exclude=()):
    return [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]


ARTICLE_COLUMNS = tuple(_columns(Article, exclude={"search_vector"}))
CARD_COLUMNS = (
    "id",
    "headline",
    "slug",
    "kicker",
    "dek",
    "section_id",
    "lead_image_id",
    "lead_image_caption",
    "featured",
    "status",
    "publish_at",
    "first_published_at",
    "updated_at",
    "created_at",
)
SECTION_COLUMNS = _columns(Section)
IMAGE_COLUMNS = _columns(Image)
# What a small picture (a card's, an author's) and an author box need, no more: less JSON to
# build, send and parse. Anything else on those instances is deferred (and a lazy load of it
# fails under the tests' FETCH_RAISE).
PICTURE_COLUMNS = ("id", "file", "alt_text", "width", "height", "rendition_index")
AUTHOR_COLUMNS = ("id", "name", "slug", "job_title", "affiliation", "bio", "photo_id")
BYLINE_COLUMNS = _columns(Byline)


def _prefixed(prefix, columns):
    return [f"{prefix}__{column}" for column in columns]


def _json_fields(prefix, columns):
    return {f"{prefix}__{column}": f"{prefix}__{column}" for column in columns}


def _story(slug, at, article_type):
    live = Article.objects.published(at=at)
    picked = RelatedArticle.objects.filter(related__in=live.values("pk"))
    return (
        live.filter(slug=slug)
        .values(
            *ARTICLE_COLUMNS,
            *_prefixed("section", SECTION_COLUMNS),
            *_prefixed("lead_image", IMAGE_COLUMNS),
        )
        .annotate(
            **_detail_annotations(article_type),
            detail_bylines=json_array_of(
                Byline.objects.all(),
                JSONRow(
                    **{column: column for column in BYLINE_COLUMNS},
                    **_json_fields("author", AUTHOR_COLUMNS),
                    **_json_fields("author__photo", PICTURE_COLUMNS),
                ),
                link="article",
            ),
            detail_picked=json_array_of(
                picked,
                JSONRow(
                    picked_position="position",
                    picked_id="id",
                    **_json_fields("related", CARD_COLUMNS),
                    **_json_fields("related__lead_image", PICTURE_COLUMNS),
                ),
                link="article",
            ),
            # The navigation too: read here, it costs the page no cache round trip.
            detail_navigation=JSONArraySubquery(
                Section.objects.order_by().values(
                    item=JSONRow(**{column: column for column in SECTION_COLUMNS})
                )
            ),
        )[:1]
    )


def _sharing_a_tag(at, tags, leaving_out, article_type):
    """The newest live stories tagged with one of ``tags`` but those ``leaving_out``."""
    tagged = TaggedItem.objects.filter(content_type=article_type, object_id=OuterRef("pk"))
    return (
        Article.objects.published(at=at)
        .filter(Exists(tagged.filter(IdIn("tag_id", tags))))
        .exclude(IdIn("pk", leaving_out))
        .order_by("-publish_at", "-id")
        .values(*CARD_COLUMNS, *_prefixed("lead_image", PICTURE_COLUMNS))[:RELATED_LIMIT]
    )


STORY = PreparedQuery(_story, slug=str, at=datetime.datetime, article_type=int)
SHARING = PreparedQuery(
    _sharing_a_tag,
    prepare=False,
    at=datetime.datetime,
    tags=str,
    leaving_out=str,
    article_type=int,
)


def live_article(slug, at=None):
    """The live article at ``slug`` with its page's parts, or None.

    Returns ``(article, bylines, related, sections)``, the sections in navigation order;
    sources, corrections and tags are read with ``article.detail_parts()``. What is built from
    the first query's row is kept per process under the row as the database sent it
    (``article.page_row``), with the related stories built from the second's rows: an edit to
    anything the page shows reads a different row and builds it afresh."""
    at = at or timezone.now()
    article_type = ContentType.objects.get_for_model(Article).pk
    fetched = STORY.fetch(slug=slug, at=at, article_type=article_type)
    if not fetched.rows:
        return None
    row = (fetched.names, fetched.rows[0])
    page = _PAGES.get_or_make(row, lambda: _Page(fetched.dicts(fetched.rows[:1])[0], row))
    related = list(page.picked)
    if page.tag_ids:  # asked even when enough were picked: a page's query count stays fixed
        sharing = SHARING.fetch(
            at=at,
            tags=page.tag_ids,
            leaving_out=id_list([page.article.pk, *(story.pk for story in related)]),
            article_type=article_type,
        )
        related += [page.sharing(sharing, raw) for raw in sharing.rows]
    return page.article, page.bylines, related[:RELATED_LIMIT], page.sections


class _Page:
    """The objects built from one row of `STORY`, shared by the requests reading that row."""

    def __init__(self, row, page_row):
        article = instance(Article, row, columns=ARTICLE_COLUMNS)
        article.section = instance(Section, row, "section") if row["section_id"] else None
        article.lead_image = instance(Image, row, "lead_image") if row["lead_image_id"] else None
        for name in ("detail_sources", "detail_corrections", "detail_tags"):
            setattr(article, name, json_value(row[name]) or [])
        article.page_row = page_row
        self.article = article
        self.bylines = attach_bylines(
            article,
            json_value(row["detail_bylines"]),
            author_columns=AUTHOR_COLUMNS,
            photo_columns=PICTURE_COLUMNS,
        )
        sections = [
            instance(Section, data, from_json=True)
            for data in json_value(row["detail_navigation"]) or []
        ]
        sections.sort(key=lambda section: (section.position, section.name))
        self.sections = sections
        # Related stories take their section from the navigation, which holds every section.
        self.by_pk = {section.pk: section for section in sections}
        picked = sorted(
            json_value(row["detail_picked"]) or [],
            key=lambda d: (d["picked_position"], d["picked_id"]),
        )
        self.picked = [
            card_story(data, "related", from_json=True, sections=self.by_pk)
            for data in picked[:RELATED_LIMIT]
        ]
        for story in self.picked:
            story.drawn = {}  # its card is drawn once (`listings.drawn`)
        self.tag_ids = id_list(tag["tag_id"] for tag in article.detail_tags)
        self._sharing = Kept(4 * RELATED_LIMIT)

    def sharing(self, fetched, raw):
        """A story sharing a tag, from a row of `SHARING`: kept by that row (its card drawn
        once, `listings.drawn`) as long as this page is."""

        def make():
            story = card_story(fetched.dicts([raw])[0], sections=self.by_pk)
            story.drawn = {}
            return story

        return self._sharing.get_or_make(raw, make)


# Article pages built per process: the stories readers open.
_PAGES = Kept(500)


@receiver(setting_changed, dispatch_uid="article_pages_settings")
def _forget_pages(**kwargs):
    _PAGES.clear()  # how instances are built (the fetch mode) may have changed


def card_story(data, prefix=None, *, from_json=False, sections=None, columns=CARD_COLUMNS):
    """A story to show as a card (`CARD_COLUMNS`, or ``columns``, its section and picture)
    from a row or JSON object holding them, under ``prefix`` if given. ``sections``:
    {id: section} to take its section from, instead of the row's ``section__`` columns."""
    story = instance(Article, data, prefix, from_json=from_json, columns=columns)
    related_prefix = f"{prefix}__" if prefix else ""
    if sections is not None:
        story.section = sections.get(story.section_id)
    elif story.section_id:
        story.section = instance(Section, data, f"{related_prefix}section", from_json=from_json)
    else:
        story.section = None
    story.lead_image = (
        instance(
            Image, data, f"{related_prefix}lead_image", from_json=from_json, columns=PICTURE_COLUMNS
        )
        if story.lead_image_id
        else None
    )
    return story
