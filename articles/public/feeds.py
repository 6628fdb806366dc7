"""RSS 2.0 and Atom feeds: the latest stories, and one per section and tag (an author's are
`authors.feeds`).

Each item lists every credited person (Atom <author>, RSS <dc:creator>), the section and tags
as categories, the lead image as an enclosure, and first-published / updated times. Views
answer conditional requests (ETag, Last-Modified) with 304.
"""

import io
import mimetypes

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import strip_tags
from django.utils.translation import gettext
from django.views.decorators.http import conditional_page
from taggit.models import Tag

from ..caching import FEEDS, add_cache_keys, section_key, tag_key
from ..models import Section
from . import jsonld, listings
from .bylines import byline_text, credited_authors
from .views import reader_page

FEED_LENGTH = 30


class LastEditMixin:
    """The feed's own date (and so its Last-Modified) moves with any edit of an item, typo
    fixes included, so a reader asking only "changed since?" is never told no wrongly."""

    def latest_post_date(self):
        edits = [item["edited"] for item in self.items if item.get("edited")]
        return max([super().latest_post_date(), *edits]).replace(microsecond=0)

    def write(self, outfile, encoding):
        # Built in memory, then written once: the XML writer sends each tag and text as its
        # own small write, and a response encodes every one of them separately.
        buffer = io.StringIO()
        super().write(buffer, encoding)
        outfile.write(buffer.getvalue())


class NewsRssFeed(LastEditMixin, Rss201rev2Feed):
    item_element = "item"

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": "http://purl.org/dc/elements/1.1/"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, _url in item.get("credited", ()):
            handler.addQuickElement("dc:creator", name)


class NewsAtomFeed(LastEditMixin, Atom1Feed):
    item_element = "entry"

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, url in item.get("credited", ()):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", url)
            handler.endElement("author")


class LatestFeed(Feed):
    feed_type = NewsRssFeed

    def title(self, obj=None):
        return settings.NEWSROOM_SITE["name"]

    def description(self, obj=None):
        return settings.NEWSROOM_SITE["tagline"]

    def subtitle(self, obj=None):
        return self.description(obj)

    def link(self, obj=None):
        return jsonld.absolute(obj.get_absolute_url() if obj else "/")

    def author_name(self, obj=None):
        return settings.NEWSROOM_SITE["publisher"]

    url_name = "articles:latest"  # with "_rss" or "_atom"
    kind = "rss"

    def feed_url(self, obj=None):
        kwargs = {"slug": obj.slug} if obj is not None else {}
        return jsonld.absolute(reverse(f"{self.url_name}_{self.kind}", kwargs=kwargs))

    def feed_copyright(self, obj=None):
        return settings.NEWSROOM_SITE["publisher"]

    def get_object(self, request, *args, **kwargs):
        return None

    def stories(self, obj):
        return listings.latest_feed_items()

    def items(self, obj=None):
        return self.stories(obj)[0:FEED_LENGTH]

    def story(self, item):
        """Everything the feed says of one story, worked out once per item and request (each
        `item_*` hook asks for part of it)."""
        if not hasattr(item, "feed_values"):
            item.feed_values = self.work_out(item)
        return item.feed_values

    def work_out(self, item):
        url = jsonld.absolute(item.get_absolute_url())
        bylines = list(item.bylines.all())
        categories = [item.section.name] if item.section_id else []
        return {
            # Plain text by the RSS and Atom specs, but some readers render titles as HTML.
            "title": strip_tags(item.headline),
            "description": strip_tags(item.dek),
            "link": url,
            # Whole seconds, as every time the site writes.
            "pubdate": (item.first_published_at or item.publish_at).replace(microsecond=0),
            "updateddate": (item.updated_at or item.first_published_at or item.publish_at).replace(
                microsecond=0
            ),
            "categories": [strip_tags(name) for name in categories + item.tag_names()],
            "enclosures": self.enclosures(item.lead_image),
            "extra": {
                "credited": [
                    (author.name, jsonld.absolute(author.get_absolute_url()))
                    for author in credited_authors(bylines)
                ],
                "byline": byline_text(bylines),
                "edited": item.modified_at,
            },
        }

    def item_title(self, item):
        return self.story(item)["title"]

    def item_description(self, item):
        return self.story(item)["description"]

    def item_link(self, item):
        return self.story(item)["link"]

    def item_guid(self, item):
        return self.story(item)["link"]

    def item_pubdate(self, item):
        return self.story(item)["pubdate"]

    def item_updateddate(self, item):
        return self.story(item)["updateddate"]

    def item_author_name(self, item):
        # RSS's single <author> wants an e-mail address; every name goes out as dc:creator.
        return None

    def item_categories(self, item):
        return self.story(item)["categories"]

    def item_enclosures(self, item):
        return self.story(item)["enclosures"]

    def enclosures(self, image):
        if not image:
            return []
        rendition = image.rendition("16x9", 1200)
        if rendition is not None:
            name, url, length = rendition.name, rendition.url, str(rendition.size)
        else:  # renditions not made yet: the clean original
            name, url = image.file.name, image.file.url
            try:
                length = str(image.file.size)
            except OSError:
                length = "0"
        mime_type = mimetypes.guess_type(name)[0] or "image/jpeg"
        return [Enclosure(jsonld.absolute(url), length, mime_type)]

    def item_extra_kwargs(self, item):
        return self.story(item)["extra"]


class SectionFeed(LatestFeed):
    url_name = "articles:section"

    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def title(self, obj=None):
        return f"{strip_tags(obj.name)} · {settings.NEWSROOM_SITE['name']}"

    def description(self, obj=None):
        return strip_tags(obj.description) or gettext("Latest stories in %(section)s.") % {
            "section": strip_tags(obj.name)
        }

    def stories(self, obj):
        return listings.section_feed_items(obj)


class TagFeed(LatestFeed):
    url_name = "articles:tag"

    def get_object(self, request, slug):
        tag = get_object_or_404(Tag, slug=slug)
        if not listings.tagged(listings.live(), tag).exists():
            raise Http404("No such tag.")  # known only from stories readers cannot see
        return tag

    def link(self, obj=None):
        return jsonld.absolute(reverse("articles:tag", kwargs={"slug": obj.slug}))

    def title(self, obj=None):
        return f"{strip_tags(obj.name)} · {settings.NEWSROOM_SITE['name']}"

    def description(self, obj=None):
        return gettext("Stories tagged “%(tag)s”.") % {"tag": strip_tags(obj.name)}

    def stories(self, obj):
        return listings.tag_feed_items(obj)


def atom_of(feed_class):
    return type(
        f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": NewsAtomFeed, "kind": "atom"}
    )


def feed_view(feed_class, key=None):
    """A view serving ``feed_class`` with cache keys and conditional GET.

    The ETag is computed from the body, so it changes whenever anything in the feed does; the
    feed's own Last-Modified (its newest item) answers clients that send only a date.
    """
    feed = feed_class()

    @reader_page
    @conditional_page
    def view(request, **kwargs):
        response = feed(request, **kwargs)
        keys = [FEEDS]
        if key and "slug" in kwargs:
            keys.append(key(kwargs["slug"]))
        add_cache_keys(response, *keys)
        return response

    return view


def _section_key(slug):
    return section_key(Section.objects.filter(slug=slug).values_list("pk", flat=True).first())


def _tag_key(slug):
    return tag_key(Tag.objects.filter(slug=slug).values_list("pk", flat=True).first())


latest_rss = feed_view(LatestFeed)
latest_atom = feed_view(atom_of(LatestFeed))
section_rss = feed_view(SectionFeed, _section_key)
section_atom = feed_view(atom_of(SectionFeed), _section_key)
tag_rss = feed_view(TagFeed, _tag_key)
tag_atom = feed_view(atom_of(TagFeed), _tag_key)
