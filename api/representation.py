"""The API's representation of stories and of what they name, as JSON-ready dicts.

`article_detail(article)` is the one representation of a story outside the website: the
`/api/v1/articles/<id>/` answer, and the body of anything else that sends a story out. Each
function reads only what the named query shapes load (`ArticleQuerySet.for_api()`,
`for_detail()`), so building a page of them costs no query.
"""

from datetime import UTC

from django.urls import reverse

from articles import images
from articles.public.jsonld import absolute
from articles.public.views import related_stories


def moment(value):
    """A datetime as ISO 8601 in UTC ("2026-05-04T09:30:00Z"), or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def page_url(name, slug, argument="slug"):
    """The absolute address of a section, tag, author or source page."""
    return absolute(reverse(name, kwargs={argument: slug}))


def section_data(section):
    if section is None:
        return None
    return {
        "id": section.pk,
        "name": section.name,
        "slug": section.slug,
        "description": section.description,
        "url": page_url("articles:section", section.slug, "section"),
    }


def tag_data(tag):
    return {
        "id": tag.pk,
        "name": tag.name,
        "slug": tag.slug,
        "url": page_url("articles:tag", tag.slug),
    }


def source_data(source):
    return {
        "id": source.pk,
        "name": source.name,
        "slug": source.slug,
        "kind": source.kind,
        "homepage_url": source.homepage_url,
        "url": page_url("articles:source", source.slug),
    }


def image_data(image, caption=""):
    """A picture with every stored rendition (the original file while none are made yet)."""
    if image is None:
        return None
    renditions = [
        {
            "url": absolute(r.url),
            "width": r.width,
            "height": r.height,
            "format": r.format,
            "crop": r.crop,
        }
        for r in sorted(
            images.read_index(image.rendition_index), key=lambda r: (r.crop, r.format, r.width)
        )
    ]
    if not renditions and image.file:
        renditions = [
            {
                "url": absolute(image.file.url),
                "width": image.width,
                "height": image.height,
                "format": _format_of(image.file.name),
                "crop": "original",
            }
        ]
    return {
        "id": image.pk,
        "alt": image.alt_text,
        "caption": caption or image.caption,
        "credit": image.credit,
        "width": image.width,
        "height": image.height,
        "renditions": renditions,
    }


def _format_of(name):
    extension = name.rpartition(".")[2].lower()
    return "jpeg" if extension == "jpg" else extension


def author_data(author, *, photo=True):
    data = {
        "id": author.pk,
        "name": author.name,
        "slug": author.slug,
        "url": page_url("authors:detail", author.slug),
        "job_title": author.job_title,
        "affiliation": author.affiliation,
        "bio": author.bio,
    }
    if photo:
        data["photo"] = image_data(author.photo) if author.photo_id else None
    return data


def byline_data(byline):
    author = byline.author
    return {
        "name": author.name,
        "role": byline.role,
        "author_slug": author.slug,
        "author_url": page_url("authors:detail", author.slug),
    }


def article_source_data(link):
    return {
        "outlet": link.source.name,
        "outlet_slug": link.source.slug,
        "outlet_kind": link.source.kind,
        "outlet_url": page_url("articles:source", link.source.slug),
        "relation": link.relation,
        "original_url": link.original_url,
        "original_headline": link.original_headline,
    }


def correction_data(correction):
    return {
        "id": correction.pk,
        "date": moment(correction.created_at),
        "kind": correction.kind,
        "note": correction.text,
    }


def public_url(article):
    """The story's address on the site, or None while readers cannot see it (a draft read
    with a `read:drafts` token)."""
    return absolute(article.get_absolute_url()) if article.is_live else None


def article_summary(article, parts=None):
    """A story in a list: everything but its body, corrections and related stories. Reads an
    article loaded with `for_api()` or `for_detail()` (and its `detail_parts()`, if the
    caller has them already)."""
    parts = parts or article.detail_parts()
    return {
        "id": article.pk,
        "url": public_url(article),
        "headline": article.headline,
        "kicker": article.kicker,
        "dek": article.dek,
        "section": section_data(article.section) if article.section_id else None,
        "tags": [tag_data(tag) for tag in parts.tags],
        "bylines": [byline_data(byline) for byline in article.bylines.all()],
        "sources": [article_source_data(link) for link in parts.sources],
        "lead_image": image_data(article.lead_image, article.lead_image_caption)
        if article.lead_image_id
        else None,
        "first_published": moment(article.first_published_at),
        "updated": moment(article.updated_at),
        "word_count": article.word_count,
    }


def article_detail(article, related=None):
    """A story in full: `article_summary` plus its sanitised body HTML, its corrections
    (oldest first) and its related stories (live ones only; found here unless the caller
    already has them). Reads an article loaded with `for_detail()` without a query but the
    related stories' two."""
    parts = article.detail_parts()
    if related is None:
        related = related_stories(article, tag_ids=[tag.pk for tag in parts.tags])
    return {
        **article_summary(article, parts),
        "body_html": article.body,
        "corrections": [correction_data(c) for c in parts.corrections],
        "related": [related_data(story) for story in related],
    }


def related_data(story):
    return {"id": story.pk, "url": public_url(story), "headline": story.headline}


def correction_entry(correction):
    """A correction in the corrections list: the note and the story it corrects."""
    return {
        **correction_data(correction),
        "article": related_data(correction.article),
    }
