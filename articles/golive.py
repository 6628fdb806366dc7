"""When readers first may see a story, shared by the workflow and its side effects.

Its own module so that `articles.tasks` need not import `articles.workflow`, which imports it.
"""


def go_live_at(article):
    """When readers first may see a published article: its publish time or its embargo."""
    if article.publish_at is None:
        return None
    if article.embargo_until and article.embargo_until > article.publish_at:
        return article.embargo_until
    return article.publish_at
