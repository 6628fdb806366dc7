"""Structured data (schema.org JSON-LD) and absolute URLs for the public pages.

Every absolute URL comes from ``settings.SITE_URL``, never from the request's Host header.
"""

from django.conf import settings
from django.templatetags.static import static
from django.utils.html import strip_tags

from ..models import Correction
from . import social_card
from .bylines import credited_authors


def absolute(url):
    """``url`` made absolute against SITE_URL (already absolute URLs are kept)."""
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url if url.startswith('/') else '/' + url}"


def image_url(image, crop="16x9", width=1200):
    """An absolute URL of one rendition (or the original while renditions are missing)."""
    if not image:
        return ""
    rendition = image.rendition(crop, width)
    return absolute(rendition.url if rendition else image.file.url)


def logo_url():
    return absolute(static(settings.NEWSROOM_SITE["logo"]))


def publisher():
    site = settings.NEWSROOM_SITE
    return {
        "@type": "NewsMediaOrganization",
        "name": site["publisher"],
        "url": site["publisher_url"],
        "logo": {"@type": "ImageObject", "url": logo_url()},
    }


def website():
    site = settings.NEWSROOM_SITE
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": site["name"],
        "url": absolute("/"),
        "publisher": publisher(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": absolute("/search/?q={query}"),
            "query-input": "required name=query",
        },
    }


def _iso(moment):
    # Whole seconds, as every other time the site writes (HTML allows no more than milliseconds).
    return moment.replace(microsecond=0).isoformat() if moment else None


def news_article(article, *, canonical, bylines, sources, corrections, tags):
    """The NewsArticle for one article, given the parts its page shows (see `detail_parts`)."""
    published = article.first_published_at or article.publish_at
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": absolute(article.get_absolute_url()),
        "headline": article.headline,
        "description": article.description,
        "datePublished": _iso(published),
        "dateModified": _iso(article.updated_at or published),
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": absolute(author.get_absolute_url()),
                **({"jobTitle": author.job_title} if author.job_title else {}),
            }
            for author in credited_authors(bylines)
        ],
        "publisher": publisher(),
        "inLanguage": settings.LANGUAGE_CODE,
        "wordCount": article.word_count,
        "isAccessibleForFree": True,
    }
    if article.lead_image:
        data["image"] = [image_url(article.lead_image, crop) for crop in ("16x9", "1x1")]
    else:
        data["image"] = social_card.news_article_images()
    if article.section_id:
        data["articleSection"] = article.section.name
    if keywords := [tag.name for tag in tags]:
        data["keywords"] = keywords
    if based_on := [_based_on(link) for link in sources]:
        data["isBasedOn"] = based_on
    published_corrections = [
        {
            "@type": "CorrectionComment",
            "text": strip_tags(correction.text),
            "datePublished": _iso(correction.created_at),
        }
        for correction in corrections
        if correction.kind != Correction.Kind.UPDATE
    ]
    if published_corrections:
        data["correction"] = published_corrections
    return data


def _based_on(link):
    source = link.source
    work = {
        "@type": "CreativeWork",
        "name": link.original_headline or source.name,
        "publisher": {"@type": "Organization", "name": source.name},
    }
    if source.homepage_url:
        work["publisher"]["url"] = source.homepage_url
    if url := link.original_url or source.homepage_url:
        work["url"] = url
    return work


def profile_page(author):
    """ProfilePage for an author's page: the Person, their job, links and picture (when they
    have one: a person's image is never the site's), and when the profile was made and changed."""
    person = {
        "@type": "Person",
        "name": author.name,
        "url": absolute(author.get_absolute_url()),
    }
    if author.job_title:
        person["jobTitle"] = author.job_title
    if author.affiliation:
        person["affiliation"] = {"@type": "Organization", "name": author.affiliation}
    if author.bio:
        person["description"] = author.bio_paragraphs[0]
    if author.photo:
        person["image"] = image_url(author.photo, "1x1", 800)
    if same_as := [link.url for link in author.links.all()] + (
        [author.website] if author.website else []
    ):
        person["sameAs"] = same_as
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "dateCreated": _iso(author.created_at),
        "dateModified": _iso(author.modified_at),
        "mainEntity": person,
    }
