"""Setting an imported story's state directly, with a workflow event saying so.

The workflow (`articles.workflow`) moves stories by people's actions and checks their rights;
an import has no person and must reproduce states the archive already had (published years
ago, scheduled, in review). `imported_state` is the one place that sets them, and
`import_event` makes each import's `ArticleEvent` with the action "import", so the
story's history says where it came from.
"""

from django.utils import timezone

from articles.models import Article, ArticleEvent

Status = Article.Status
IMPORT = "import"


def imported_state(article, *, status, publish_at):
    """Give ``article`` the state it had in WordPress (the caller saves it). Returns the status
    it had before when anything changed, else None.

    Published: live from ``publish_at`` (scheduled if that is ahead). A story readers have
    seen that WordPress no longer publishes is withdrawn (its address says 410); one they never
    saw goes back to draft or review."""
    now = timezone.now()
    before = article.status
    changed = False
    if status == Status.PUBLISHED:
        if article.publish_at != publish_at:
            article.publish_at = publish_at
            changed = True
        seen = article.first_published_at is not None and article.first_published_at <= now
        if not seen and article.first_published_at != publish_at:
            article.first_published_at = publish_at
            changed = True
    else:
        seen = (
            before == Status.PUBLISHED
            and article.first_published_at is not None
            and article.first_published_at <= now
        )
        if seen:
            status = Status.WITHDRAWN
        elif article.first_published_at is not None:
            article.first_published_at = None
            changed = True
        if status == Status.IN_REVIEW and article.submitted_at is None:
            article.submitted_at = now
            changed = True
    if status == before and not changed:
        return None
    article.status = status
    return before


def import_event(article, *, from_status, note):
    """The history line saying the story came from (or was updated from) WordPress, unsaved:
    the import writes a batch's lines together."""
    return ArticleEvent(
        article=article,
        action=IMPORT,
        from_status=from_status,
        to_status=article.status,
        actor=None,
        note=note,
    )
