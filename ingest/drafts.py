"""Write a draft from an incoming item: the seed story's provenance, done by the system.

The draft gets the item's headline, summary and body (without the source's dropped lines),
the agency's byline as guest authors (found again by name), the subjects that match existing
tags, the source's default section and tags, the embargo, the rights expiry, and the outlet as
a source with its relation, original URL and headline. It is a draft like any other: nothing
of it is public until a person publishes it through the workflow.
"""

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from taggit.models import Tag

from articles import revisions
from articles.models import Article, ArticleSource, Byline
from articles.workflow import NotAllowed, WorkflowError
from authors.models import Author

from .models import IncomingItem, StoryFromItem

BLOCK = re.compile(r"<(p|li|h[2-4]|blockquote)>(.*?)</\1>", re.DOTALL)
BYLINE_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)
BYLINE_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.IGNORECASE)
MAX_AUTHORS = 5


class ItemWithdrawn(WorkflowError):
    pass


def can_write_from(user):
    return (
        user.is_active
        and user.has_perm("articles.add_article")
        and user.has_perm("ingest.view_incomingitem")
    )


def drop_lines(body, patterns):
    """``body`` without the blocks (paragraphs, list items...) a pattern matches."""
    if not patterns:
        return body

    def keep(match):
        text = strip_tags(match[2])
        return "" if any(p.search(text) for p in patterns) else match[0]

    # Article.save() cleans the body it is given.
    return BLOCK.sub(keep, body)


def shorten(text, limit):
    """At most ``limit`` characters, cut at a word and marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def byline_names(byline):
    names = BYLINE_SPLIT.split(BYLINE_PREFIX.sub("", byline or ""))
    return [name.strip(" .") for name in names if name.strip(" .")][:MAX_AUTHORS]


def guest_author(name, *, affiliation):
    """The author of that name (any, so the same agency reporter is not duplicated)."""
    author = Author.objects.filter(name__iexact=name).order_by("pk").first()
    if author is None:
        author = Author.objects.create(name=name[:200], affiliation=affiliation[:200])
    return author


def matching_tags(subjects):
    names = [s for s in subjects if isinstance(s, str) and s.strip()]
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(name__iexact=name.strip())
    return list(Tag.objects.filter(query).order_by("name"))


def write_story(item, *, by):
    """Create a draft from ``item`` for ``by``. Returns the new `Article`."""
    if not can_write_from(by):
        raise NotAllowed(_("You may not write stories from incoming copy."))
    with transaction.atomic():
        item = (
            IncomingItem.objects.select_for_update()
            .select_related("source__outlet")
            .get(pk=item.pk)
        )
        if item.is_killed:
            raise ItemWithdrawn(
                _("The agency withdrew this item (%(status)s): no story may be made from it.")
                % {"status": item.get_pub_status_display()}
            )
        source = item.source
        now = timezone.now()
        article = Article(
            headline=shorten(item.headline, Article._meta.get_field("headline").max_length),
            dek=shorten(item.dek, Article._meta.get_field("dek").max_length),
            body=drop_lines(item.body, source.drop_patterns),
            section=source.default_section,
            embargo_until=item.embargoed_until,
            expires_at=(
                item.received_at + timedelta(days=source.expiry_days)
                if source.expiry_days
                else None
            ),
            created_by=by,
            modified_by=by,
        )
        article.save()
        for position, name in enumerate(byline_names(item.byline)):
            Byline.objects.create(
                article=article,
                author=guest_author(name, affiliation=source.outlet.name),
                role=Byline.Role.WRITTEN_BY,
                position=position,
            )
        defaults = [t.strip() for t in source.default_tags.split(",") if t.strip()]
        article.tags.add(*matching_tags(item.subjects), *defaults)
        ArticleSource.objects.create(
            article=article,
            source=source.outlet,
            relation=source.relation,
            original_url=item.url if len(item.url) <= 500 else "",
            original_headline=item.headline[:300],
        )
        StoryFromItem.objects.create(
            item=item,
            article=article,
            item_version=item.version,
            headline=item.headline,
            body=item.body,
            made_by=by,
            made_at=now,
        )
        if item.used_at is None:
            IncomingItem.objects.filter(pk=item.pk).update(used_at=now)
        revisions.store(
            article,
            by=by,
            note=_("Written from incoming copy: %(source)s") % {"source": source.name},
        )
    return article


def notices(article):
    """What the agency did to the items ``article`` was made from since: updates and kills."""
    found = []
    uses = StoryFromItem.objects.filter(article=article).select_related("item__source")
    for use in uses:
        item = use.item
        if item.is_killed:
            found.append(("killed", use))
        elif use.item_updated:
            found.append(("updated", use))
    return found
