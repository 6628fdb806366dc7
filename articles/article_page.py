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
import functools
import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from taggit.models import TaggedItem

from authors.models import Author

from .json_arrays import JSONArraySubquery, JSONRow, json_array_of
from .models import (
    Article,
    Byline,
    Image,
    RelatedArticle,
    Section,
    _detail_annotations,
    _utc_moment,
)
from .prepared import PreparedQuery

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
AUTHOR_COLUMNS = _columns(Author)
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
                    **_json_fields("author__photo", IMAGE_COLUMNS),
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
                    **_json_fields("related__lead_image", IMAGE_COLUMNS),
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
                **_json_fields("lead_image", IMAGE_COLUMNS),
            )
        )[:RELATED_LIMIT]
    )


STORY = PreparedQuery(_story, slug=str, at=datetime.datetime, article_type=int)


def live_article(slug, at=None):
    """The live article at ``slug`` with its page's parts, or None.

    Returns ``(article, bylines, related, sections)``, the sections in navigation order;
    sources, corrections and tags are read with ``article.detail_parts()`` as for
    `ArticleQuerySet.for_detail()`."""
    at = at or timezone.now()
    article_type = ContentType.objects.get_for_model(Article).pk
    rows = STORY.rows(slug=slug, at=at, article_type=article_type)
    if not rows:
        return None
    row = rows[0]
    article = _instance(Article, row)
    article.section = _instance(Section, row, "section") if row["section_id"] else None
    article.lead_image = _instance(Image, row, "lead_image") if row["lead_image_id"] else None
    for name in ("detail_sources", "detail_corrections", "detail_tags"):
        setattr(article, name, _json(row[name]) or [])

    bylines = []
    for data in sorted(_json(row["detail_bylines"]) or [], key=_by_position):
        byline = _instance(Byline, data, from_json=True)
        byline.article = article
        byline.author = _instance(Author, data, "author", from_json=True)
        byline.author.photo = (
            _instance(Image, data, "author__photo", from_json=True)
            if data["author__photo_id"]
            else None
        )
        bylines.append(byline)
    _cache_prefetched(article, "bylines", bylines, Byline)

    picked = sorted(
        _json(row["detail_picked"]) or [], key=lambda d: (d["picked_position"], d["picked_id"])
    )
    related = [_card(data, "related", from_json=True) for data in picked[:RELATED_LIMIT]]
    shown = {article.pk, *(story.pk for story in related)}
    sharing = [_card(data, from_json=True) for data in _json(row["detail_sharing"]) or []]
    sharing.sort(key=lambda story: (story.publish_at, story.pk), reverse=True)
    for story in sharing:
        if len(related) < RELATED_LIMIT and story.pk not in shown:
            related.append(story)
            shown.add(story.pk)
    sections = [
        _instance(Section, data, from_json=True) for data in _json(row["detail_navigation"]) or []
    ]
    sections.sort(key=lambda section: (section.position, section.name))
    return article, bylines, related, sections


def _by_position(data):
    return (data["position"], data["id"])


def _card(data, prefix=None, *, from_json=False):
    story = _instance(Article, data, prefix, from_json=from_json, columns=CARD_COLUMNS)
    related_prefix = f"{prefix}__" if prefix else ""
    story.section = (
        _instance(Section, data, f"{related_prefix}section", from_json=from_json)
        if story.section_id
        else None
    )
    story.lead_image = (
        _instance(Image, data, f"{related_prefix}lead_image", from_json=from_json)
        if story.lead_image_id
        else None
    )
    return story


def _instance(model, data, prefix=None, *, from_json=False, columns=None):
    """A model instance from the columns ``prefix__<attname>`` of a row (or of a JSON object,
    whose dates, booleans and nested JSON arrive as text or numbers)."""
    names, keys, converters = _layout(model, prefix, from_json, columns)
    values = [data[key] for key in keys]
    if from_json:
        values = [
            value if convert is None or value is None else convert(value)
            for convert, value in zip(converters, values, strict=True)
        ]
    return model.from_db(
        "default", names, values, fetch_mode=getattr(settings, "NEWSROOM_FETCH_MODE", None)
    )


@functools.cache
def _layout(model, prefix, from_json, columns):
    """Which fields an instance is built from, where each is read, and how JSON values are
    turned back into Python ones: worked out once per shape."""
    wanted = columns or (ARTICLE_COLUMNS if model is Article else None)
    fields = [f for f in model._meta.concrete_fields if wanted is None or f.attname in wanted]
    key = f"{prefix}__" if prefix else ""
    converters = [_json_converter(f) for f in fields] if from_json else None
    return frozenset(f.attname for f in fields), [key + f.attname for f in fields], converters


def _json_converter(field):
    if isinstance(field, models.DateTimeField):
        return _utc_moment
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.JSONField):
        return _json
    return None


def _json(value):
    """A JSON column or element: parsed by the database driver, or still text (SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def _cache_prefetched(instance, name, objects, model):
    """Make ``instance.<name>.all()`` return ``objects`` without a query, as a prefetch does."""
    queryset = QuerySet(model=model)
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance._prefetched_objects_cache = {name: queryset}
