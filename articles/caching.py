"""Public page caching: which keys a response carries, and purging them.

Views call `add_cache_keys(response, ...)` with the things the page shows; workflow side
effects call `purge_keys(article_keys(article))` after commit. The same keys go out as
`Surrogate-Key` headers for CDNs.
"""

# Keys every page listing recent stories depends on.
HOME = "home"
FEEDS = "feeds"
SITEMAPS = "sitemaps"


def article_key(article_or_id):
    return f"article-{getattr(article_or_id, 'pk', article_or_id)}"


def section_key(section_or_id):
    return f"section-{getattr(section_or_id, 'pk', section_or_id)}"


def tag_key(tag_or_id):
    return f"tag-{getattr(tag_or_id, 'pk', tag_or_id)}"


def author_key(author_or_id):
    return f"author-{getattr(author_or_id, 'pk', author_or_id)}"


def source_key(source_or_id):
    return f"source-{getattr(source_or_id, 'pk', source_or_id)}"


def article_keys(article):
    """Every key whose pages show this article: itself, home, its section, tags, authors,
    sources, feeds and sitemaps. Reads the article's relations from the database."""
    keys = {article_key(article), HOME, FEEDS, SITEMAPS}
    if article.section_id:
        keys.add(section_key(article.section_id))
    keys |= {tag_key(pk) for pk in article.tags.values_list("pk", flat=True)}
    keys |= {author_key(pk) for pk in article.bylines.values_list("author_id", flat=True)}
    keys |= {source_key(pk) for pk in article.article_sources.values_list("source_id", flat=True)}
    return keys


def add_cache_keys(response, *keys):
    """Record the cache keys (e.g. "article-12", "section-3", "home") a response depends on."""
    existing = getattr(response, "cache_keys", set())
    response.cache_keys = existing | {str(k) for k in keys if k}
    return response


def purge_keys(keys):
    """Invalidate every cached page carrying any of ``keys``. (Implemented with the cache.)"""
