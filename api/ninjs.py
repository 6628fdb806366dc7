"""Stories as IPTC ninjs 3.1 (News in JSON), for syndication partners.

Each item validates against IPTC's published ninjs 3.1 JSON Schema (kept with the tests).
Mapping: the story's API address is its `uri`; headline and kicker are `headlines`, the
standfirst a `descriptions` entry, the body `bodies`; bylines are `by` and `people`; tags are
`subjects`; sources are `infoSources`; the lead picture is an association with its renditions.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags

from articles.public.bylines import byline_text
from articles.public.jsonld import absolute

from .representation import image_data, moment, page_url, public_url

NINJS_PROFILE = "newsroom-article"


def language():
    return settings.LANGUAGE_CODE


def story_uri(article):
    """The story's ninjs identifier: its address in the API, the same in every version."""
    return absolute(reverse("api:article", kwargs={"article_id": article.pk}))


def article_ninjs(article):
    """One story as a ninjs 3.1 object. Reads an article loaded with `for_detail()`."""
    parts = article.detail_parts()
    bylines = list(article.bylines.all())
    url = public_url(article)
    item = {
        "uri": story_uri(article),
        "type": "text",
        "representationType": "full",
        "profile": NINJS_PROFILE,
        "version": str(article.version),
        "versionCreated": moment(article.updated_at or article.modified_at),
        "pubStatus": "usable" if url else "withheld",
        "language": language(),
        "headlines": [{"role": "main", "value": article.headline}],
        "bodies": [
            {
                "role": "main",
                "contentType": "text/html",
                "value": article.body,
                "wordCount": article.word_count,
            }
        ],
        "altIds": [{"role": "newsroom-id", "value": str(article.pk)}],
    }
    if article.first_published_at:
        item["firstCreated"] = moment(article.first_published_at)
    if article.embargo_until:
        item["embargoedUntil"] = moment(article.embargo_until)
    if article.expires_at:
        item["expires"] = moment(article.expires_at)
    if article.kicker:
        item["headlines"].append({"role": "kicker", "value": article.kicker})
    if article.dek:
        item["descriptions"] = [
            {"role": "summary", "contentType": "text/plain", "value": strip_tags(article.dek)}
        ]
    if url:
        item["altIds"].append({"role": "url", "value": url})
    if bylines:
        item["by"] = byline_text(bylines)
        people = []
        for byline in bylines:
            people.append(
                {
                    "name": byline.author.name,
                    "rel": byline.role,
                    "uri": page_url("authors:detail", byline.author.slug),
                }
            )
        item["people"] = people
    subjects = [
        {
            "name": tag.name,
            "rel": "about",
            "uri": page_url("articles:tag", tag.slug),
            "literal": tag.slug,
        }
        for tag in parts.tags
    ]
    if article.section_id:
        subjects.insert(
            0,
            {
                "name": article.section.name,
                "rel": "section",
                "uri": page_url("articles:section", article.section.slug, "section"),
                "literal": article.section.slug,
            },
        )
    if subjects:
        item["subjects"] = subjects
    if parts.sources:
        item["infoSources"] = [
            {
                "name": link.source.name,
                "role": link.relation,
                "uri": page_url("articles:source", link.source.slug),
                **({"literal": link.original_url} if link.original_url else {}),
            }
            for link in parts.sources
        ]
    if article.lead_image_id:
        item["associations"] = [_picture(article)]
    return item


def _picture(article):
    image = image_data(article.lead_image, article.lead_image_caption)
    picture = {
        "name": "leadimage",
        "rel": "leadimage",
        "uri": f"{story_uri(article)}#image-{image['id']}",
        "type": "picture",
        "headlines": [{"value": image["alt"]}],
        "renditions": [
            {
                "name": f"{r['crop']}-w{r['width']}-{r['format']}",
                "href": r["url"],
                "contentType": f"image/{r['format']}",
                "width": r["width"],
                "height": r["height"],
            }
            for r in image["renditions"]
        ],
    }
    if image["caption"]:
        picture["descriptions"] = [
            {"role": "caption", "contentType": "text/plain", "value": image["caption"]}
        ]
    if image["credit"]:
        picture["by"] = image["credit"]
    if article.lead_image.copyright:
        picture["copyrightHolder"] = article.lead_image.copyright
    return picture
