"""What a webhook says about a story: its public representation.

`article_payload` is the one place a delivery's story data comes from; it is given only a
story `Article.objects.published()` returned. `gone_payload` is what withdrawn and expired
stories carry: enough for a client to remove the story.
"""

from django.conf import settings


def article_payload(article):
    return {
        "id": article.pk,
        "url": public_url(article),
        "headline": article.headline,
        "kicker": article.kicker,
        "dek": article.dek,
        "section": (
            {"slug": article.section.slug, "name": article.section.name}
            if article.section_id
            else None
        ),
        "first_published": iso(article.first_published_at),
        "updated": iso(article.updated_at or article.first_published_at),
        "status": "published",
    }


def gone_payload(article, *, status):
    return {"id": article.pk, "url": public_url(article), "status": status}


def public_url(article):
    return settings.SITE_URL + article.get_absolute_url()


def iso(moment):
    return moment.isoformat() if moment else None
