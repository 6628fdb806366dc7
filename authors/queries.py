"""The author pages' reads: an author with their links, and the live stories crediting them."""

from articles.models import Byline
from articles.public.listings import live

from .models import Author


def author_with_links(slug):
    """The author at ``slug`` with their photo and links (``author.links.all()``), or None."""
    return (
        Author.objects.filter(slug=slug).select_related("photo").prefetch_related("links").first()
    )


def credited(author, at=None):
    """Every live story crediting ``author`` in any role, newest first."""
    return live(at).filter(pk__in=Byline.objects.filter(author=author).values("article_id"))


def author_cards(author):
    return credited(author).for_listing()


def author_feed_items(author):
    return credited(author).for_feed()
