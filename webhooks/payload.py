"""What a withdrawn or expired story's webhook carries: enough for a client to remove it.

A live story's deliveries carry its API representation (`api.representation.article_detail`),
exactly what `/api/v1/articles/<id>/` answers.
"""

from articles.public.jsonld import absolute


def gone_payload(article, *, status):
    return {"id": article.pk, "url": absolute(article.get_absolute_url()), "status": status}
