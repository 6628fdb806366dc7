"""The public listings' reads: the live stories of a section, tag or source, newest first.

Each is `Article.objects.published()` narrowed to its subject, with the query shape of a card
(`ArticleQuerySet.for_listing`) or a feed item (`for_feed`), sliced a page at a time:

    page = paginate(request, section_cards(section))
"""

from django.contrib.contenttypes.models import ContentType
from taggit.models import TaggedItem

from ..models import Article, ArticleSource

# How many of the newest stories the home page reads to fill its section blocks.
HOME_POOL = 200
NEWEST_FIRST = ("-publish_at", "-id")


def live(at=None):
    """Every live story, newest first."""
    return Article.objects.published(at=at).order_by(*NEWEST_FIRST)


def in_section(stories, section):
    return stories.filter(section=section)


def tagged(stories, tag):
    items = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), tag=tag
    )
    return stories.filter(pk__in=items.values("object_id"))


def from_source(stories, source):
    return stories.filter(pk__in=ArticleSource.objects.filter(source=source).values("article_id"))


def section_cards(section):
    return in_section(live(), section).for_listing()


def tag_cards(tag):
    return tagged(live(), tag).for_listing()


def source_cards(source):
    return from_source(live(), source).for_listing()


def latest_feed_items():
    return live().for_feed()


def section_feed_items(section):
    return in_section(live(), section).for_feed()


def tag_feed_items(tag):
    return tagged(live(), tag).for_feed()


# The home page -------------------------------------------------------------------------------


def featured_id(at):
    """The newest featured live story's id, or None."""
    return live(at).filter(featured=True).values_list("pk", flat=True).first()


def newest_ids(at):
    """[(id, section id)] of the `HOME_POOL` newest live stories: one indexed read that feeds
    the top stories, the "Latest" list and the section blocks (a window over every published
    story would sort the whole archive on each visit)."""
    return list(live(at).values_list("pk", "section_id")[:HOME_POOL])


def cards_by_id(ids, at):
    """{id: story} for those of ``ids`` that are live at ``at``, as cards."""
    if not ids:
        return {}
    return {story.pk: story for story in live(at).filter(pk__in=ids).for_listing()}
