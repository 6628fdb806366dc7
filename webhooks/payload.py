"""What a webhook says about a story.

`article_payload` is the story's API representation (`api.representation.article_detail`),
so a receiver gets exactly what `/api/v1/articles/<id>/` answers; it is given only a story
`Article.objects.published().for_detail()` returned. `gone_payload` is what withdrawn and
expired stories carry: enough for a client to remove the story.
"""

from django.conf import settings

from api.representation import article_detail


def article_payload(article):
    return article_detail(article)


def gone_payload(article, *, status):
    return {
        "id": article.pk,
        "url": settings.SITE_URL + article.get_absolute_url(),
        "status": status,
    }
