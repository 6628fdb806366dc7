"""An author's RSS and Atom feeds: the live stories crediting them (`articles.public.feeds` does the
rest: items, categories, enclosures, conditional GET)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.html import strip_tags
from django.utils.translation import gettext

from articles.caching import author_key
from articles.public.feeds import LatestFeed, atom_of, feed_view

from .models import Author
from .queries import author_feed_items, credited


class AuthorFeed(LatestFeed):
    url_name = "authors:feed"

    def get_object(self, request, slug):
        author = get_object_or_404(Author, slug=slug)
        if not credited(author).exists():
            raise Http404("No such author.")  # credited only on stories readers cannot see
        return author

    def title(self, obj=None):
        return f"{strip_tags(obj.name)} · {settings.NEWSROOM_SITE['name']}"

    def description(self, obj=None):
        return gettext("Stories by %(author)s.") % {"author": strip_tags(obj.name)}

    def stories(self, obj):
        return author_feed_items(obj)


def _author_key(slug):
    return author_key(Author.objects.filter(slug=slug).values_list("pk", flat=True).first())


author_rss = feed_view(AuthorFeed, _author_key)
author_atom = feed_view(atom_of(AuthorFeed), _author_key)
