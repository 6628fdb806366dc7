"""Shared set-up for the public-site tests: one story in every state a reader must not see."""

import io
import json
import re
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from articles.models import Article, Correction, Image, RelatedArticle
from tests.factories import make_article, make_author, make_section, make_source

HIDDEN = "Zanzibarhidden"


def jpeg_bytes(width=64, height=36, colour=(120, 30, 30)):
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def make_picture(alt_text="Harbour cranes at dusk", **extra):
    image = Image(alt_text=alt_text, **extra)
    image.file.save("picture.jpg", ContentFile(jpeg_bytes()), save=False)
    image.save()
    return image


def hidden_articles(*, section, tags, authors, sources, related_to=None):
    """Six stories a reader must never see, each named after its state, sharing everything."""
    now = timezone.now()
    published = Article.Status.PUBLISHED
    states = {
        "draft": {"status": Article.Status.DRAFT},
        "in_review": {"status": Article.Status.IN_REVIEW},
        "scheduled": {"status": published, "publish_at": now + timedelta(hours=3)},
        "embargoed": {
            "status": published,
            "publish_at": now - timedelta(hours=3),
            "embargo_until": now + timedelta(hours=1),
        },
        "expired": {
            "status": published,
            "publish_at": now - timedelta(hours=5),
            "expires_at": now - timedelta(minutes=1),
        },
        "withdrawn": {
            "status": Article.Status.WITHDRAWN,
            "publish_at": now - timedelta(hours=6),
            "first_published_at": now - timedelta(hours=6),
        },
    }
    made = {}
    for state, fields in states.items():
        article = make_article(
            headline=f"{HIDDEN} {state} story",
            section=section,
            tags=tags,
            authors=authors,
            sources=sources,
            dek=f"{HIDDEN} standfirst",
            kicker="Breaking",
            featured=True,
            **fields,
        )
        Correction.objects.create(article=article, text=f"{HIDDEN} correction of {state}")
        if related_to is not None:
            RelatedArticle.objects.create(article=related_to, related=article, position=0)
        made[state] = article
    return made


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def json_ld(html):
    """Every JSON-LD block of a page, parsed."""
    return [json.loads(block) for block in JSON_LD.findall(html)]


def visibility_newsroom():
    """One live story with a related live story and a correction, and one story in each
    hidden state sharing its section, tag, author and source (`hidden_articles`)."""
    section = make_section("World", slug="world")
    author = make_author("Ana Lee")
    source = make_source("Nikkei Asia")
    live = make_article(
        headline="Zanzibar ferry timetable changes",
        section=section,
        tags=["Zanzibar"],
        authors=[author],
        sources=[source],
    )
    other_live = make_article(
        headline="Zanzibar spice harvest begins", section=section, tags=["Zanzibar"]
    )
    RelatedArticle.objects.create(article=live, related=other_live, position=5)
    Correction.objects.create(article=live, text="An earlier version misdated the timetable.")
    hidden = hidden_articles(
        section=section, tags=["Zanzibar"], authors=[author], sources=[source], related_to=live
    )
    return {
        "live": live,
        "other_live": other_live,
        "section": section,
        "author": author,
        "source": source,
        "hidden": hidden,
    }
