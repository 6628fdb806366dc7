"""The API's reads: every one starts from `Article.objects.published()` (a `read:drafts`
token's single-story read from `unpublished()`), narrowed by the request's filters."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from taggit.models import Tag, TaggedItem

from articles.models import Article, ArticleSource, Byline, Correction, Source, public_fetch_mode
from articles.search import clean_query, matching
from authors.models import Author

NEWEST_FIRST = ("-publish_at", "-id")


def live_stories(at, *, section=None, tag=None, author=None, source=None, since=None, q=None):
    """Live stories, newest first, narrowed by slug filters (an unknown slug finds nothing,
    whether or not a hidden story uses it), a change time and the site's search."""
    stories = Article.objects.published(at=at)
    if section:
        stories = stories.filter(section__slug=section)
    if tag:
        items = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), tag__slug=tag
        )
        stories = stories.filter(pk__in=items.values("object_id"))
    if author:
        stories = stories.filter(
            pk__in=Byline.objects.filter(author__slug=author).values("article_id")
        )
    if source:
        stories = stories.filter(
            pk__in=ArticleSource.objects.filter(source__slug=source).values("article_id")
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
