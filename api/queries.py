"""The API's reads: every one starts from `Article.objects.published()` (a `read:drafts`
token's single-story read from `unpublished()`), narrowed by the request's filters."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from taggit.models import Tag, TaggedItem

from articles.models import (
    Article,
    ArticleSource,
    Byline,
    Correction,
    Section,
    Source,
    public_fetch_mode,
)
from articles.search import clean_query, matching
from authors.models import Author

NEWEST_FIRST = ("-publish_at", "-id")


def live_stories(at, *, section=None, tag=None, author=None, source=None, since=None, q=None):
    """Live stories, newest first, narrowed by slug filters (an unknown slug finds nothing,
    whether or not a hidden story uses it), a change time and the site's search."""
    stories = Article.objects.published(at=at)
    named = {Section: section, Tag: tag, Author: author, Source: source}
    ids = {model: id_of(model, slug) for model, slug in named.items() if slug}
    if None in ids.values():
        return stories.none()
    if section:
        stories = stories.filter(section_id=ids[Section])
    if tag:
        items = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), tag_id=ids[Tag]
        )
        stories = stories.filter(pk__in=items.values("object_id"))
    if author:
        stories = stories.filter(
            pk__in=Byline.objects.filter(author_id=ids[Author]).values("article_id")
        )
    if source:
        stories = stories.filter(
            pk__in=ArticleSource.objects.filter(source_id=ids[Source]).values("article_id")
        )
    if since is not None:
        # Edited, corrected, or gone live (on time or at an embargo's end) since then.
        stories = stories.filter(
            Q(modified_at__gte=since)
            | Q(updated_at__gte=since)
            | Q(publish_at__gte=since)
            | Q(embargo_until__gte=since)
        )
    if q and (query := clean_query(q)[0]):
        stories = matching(stories, query)
    return stories.order_by(*NEWEST_FIRST)


def id_of(model, slug):
    """The id of ``model``'s row with ``slug``, or None. Read before the stories, as the
    tag and author pages read theirs: with the id in the query the database plans by that
    tag's own share of the archive (walking the newest stories for a common one), where a
    join on the slug is planned for an average tag and reads every story a common one has."""
    return model.objects.filter(slug=slug).values_list("pk", flat=True).first()


def after_story(stories, publish_at, pk):
    """The stories after (older than) the one at ``publish_at``, ``pk`` in newest-first order.

    The bound on `publish_at` alone is what lets the database start its walk of the
    `(status, publish_at)` index at the cursor; the OR alone is a filter on every newer row."""
    return stories.filter(publish_at__lte=publish_at).filter(
        Q(publish_at__lt=publish_at) | Q(pk__lt=pk)
    )


def one_story(pk, at, *, drafts=False):
    """The story ``pk`` as `for_detail()` loads it if readers may see it, or, with
    ``drafts``, if it is not yet public; else None."""
    found = Article.objects.published(at=at).for_detail().filter(pk=pk).first()
    if found is None and drafts:
        found = Article.objects.unpublished(at=at).for_detail().filter(pk=pk).first()
    return found


def is_gone(pk, at):
    return Article.objects.gone(at=at).filter(pk=pk).exists()


def _live_ids(at):
    return Article.objects.published(at=at).values("pk")


def live_tags(at):
    """Tags of at least one live story, by slug (a tag only hidden stories use is not shown)."""
    used = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article),
        tag=OuterRef("pk"),
        object_id__in=_live_ids(at),
    )
    return public_fetch_mode(Tag.objects.filter(Exists(used)).order_by("slug"))


def credited_authors(at):
    """Authors credited on at least one live story (the others have no page yet), by slug."""
    credited = Byline.objects.filter(author=OuterRef("pk"), article__in=_live_ids(at))
    return public_fetch_mode(
        Author.objects.filter(Exists(credited)).select_related("photo").order_by("slug")
    )


def cited_sources(at):
    """Sources of at least one live story, by slug."""
    cited = ArticleSource.objects.filter(source=OuterRef("pk"), article__in=_live_ids(at))
    return public_fetch_mode(Source.objects.filter(Exists(cited)).order_by("slug"))


def live_corrections(at):
    """Corrections of live stories, newest first."""
    return public_fetch_mode(
        Correction.objects.filter(article__in=_live_ids(at))
        .select_related("article", "article__section")
        .defer("article__body", "article__search_vector")
        .order_by("-created_at", "-id")
    )
