"""The live article page's read: the story and everything its page shows in one query.

The story by slug, under `Article.objects.published()`: its own columns, its section and lead
image, and as JSON arrays its bylines (with each author and photo), sources, corrections, tags,
the related stories an editor picked and the newest stories sharing one of its tags (live ones
only, with section and image), and the site's sections for the navigation.

It is a `PreparedQuery`: defined with the ORM, compiled once per process. The row becomes
ordinary model instances with their relations cached, so templates, JSON-LD and URLs work as
on any loaded article, and a lazy load still fails under the tests' FETCH_RAISE.
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
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
from .prepared import PreparedQuery
from .rows import instance, json_value

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
                    **_json_fields("related__section", SECTION_COLUMNS),
                    **_json_fields("related__lead_image", PICTURE_COLUMNS),
                ),
                link="article",
            ),
            detail_sharing=JSONArraySubquery(_sharing_a_tag(at, article_type)),
            # The navigation too: read here, it costs the page no cache round trip.
            detail_navigation=JSONArraySubquery(
                Section.objects.order_by().values(
                    item=JSONRow(**{column: column for column in SECTION_COLUMNS})
                )
            ),
        )[:1]
    )


def _sharing_a_tag(at, article_type):
    """The newest live stories sharing a tag with the outer article: walking the publish-time
    index stops after a handful of matches instead of sorting every story of a big topic."""
    tagged = TaggedItem.objects.filter(content_type=article_type)
    # Inside: the candidate's tagged items (1), the candidate (2), the outer article (3).
    its_tags = tagged.filter(object_id=OuterRef(OuterRef(OuterRef("pk")))).values("tag_id")
    # The editor's picks come first anyway: left out here, so a handful of rows is enough.
    picked = RelatedArticle.objects.filter(article=OuterRef(OuterRef("pk"))).values("related_id")
    return (
        Article.objects.published(at=at)
        .filter(Exists(tagged.filter(object_id=OuterRef("pk"), tag_id__in=its_tags)))
        .exclude(pk=OuterRef("pk"))
        .exclude(pk__in=picked)
        .order_by("-publish_at", "-id")
        .values(
            item=JSONRow(
                **{column: column for column in CARD_COLUMNS},
                **_json_fields("section", SECTION_COLUMNS),
                **_json_fields("lead_image", PICTURE_COLUMNS),
            )
        )[:RELATED_LIMIT]
    )


STORY = PreparedQuery(_story, slug=str, at=datetime.datetime, article_type=int)


def live_article(slug, at=None):
    """The live article at ``slug`` with its page's parts, or None.

    Returns ``(article, bylines, related, sections)``, the sections in navigation order;
    sources, corrections and tags are read with ``article.detail_parts()``."""
    at = at or timezone.now()
    article_type = ContentType.objects.get_for_model(Article).pk
    rows = STORY.rows(slug=slug, at=at, article_type=article_type)
    if not rows:
        return None
    row = rows[0]
    article = instance(Article, row, columns=ARTICLE_COLUMNS)
    article.section = instance(Section, row, "section") if row["section_id"] else None
    article.lead_image = instance(Image, row, "lead_image") if row["lead_image_id"] else None
    for name in ("detail_sources", "detail_corrections", "detail_tags"):
        setattr(article, name, json_value(row[name]) or [])

    bylines = attach_bylines(
        article,
        json_value(row["detail_bylines"]),
        author_columns=AUTHOR_COLUMNS,
        photo_columns=PICTURE_COLUMNS,
    )

    picked = sorted(
        json_value(row["detail_picked"]) or [], key=lambda d: (d["picked_position"], d["picked_id"])
    )
    related = [card_story(data, "related", from_json=True) for data in picked[:RELATED_LIMIT]]
    shown = {article.pk, *(story.pk for story in related)}
    sharing = [card_story(data, from_json=True) for data in json_value(row["detail_sharing"]) or []]
    sharing.sort(key=lambda story: (story.publish_at, story.pk), reverse=True)
    for story in sharing:
        if len(related) < RELATED_LIMIT and story.pk not in shown:
            related.append(story)
            shown.add(story.pk)
    sections = [
        instance(Section, data, from_json=True)
        for data in json_value(row["detail_navigation"]) or []
    ]
    sections.sort(key=lambda section: (section.position, section.name))
    return article, bylines, related, sections


def card_story(data, prefix=None, *, from_json=False):
    """A story to show as a card (`CARD_COLUMNS`, its section and picture) from a row or JSON
    object holding them, under ``prefix`` if given."""
    story = instance(Article, data, prefix, from_json=from_json, columns=CARD_COLUMNS)
    related_prefix = f"{prefix}__" if prefix else ""
    story.section = (
        instance(Section, data, f"{related_prefix}section", from_json=from_json)
        if story.section_id
        else None
    )
    story.lead_image = (
        instance(
            Image, data, f"{related_prefix}lead_image", from_json=from_json, columns=PICTURE_COLUMNS
        )
        if story.lead_image_id
        else None
    )
    return story
