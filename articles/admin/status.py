"""How the admin shows where an article stands: its state badge, the workflow's words for
each step in its history, and who else has its form open.

Shared by the article list (`articles/admin/article_workflow.py`) and the workflow pages
(`articles/admin/views.py`), so neither has to import the other.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import workflow
from ..models import Article, EditingSession
from ..newsroom_time import describe, newsroom_zone, relative_to_now

Status = Article.Status


def editing_heartbeat():
    """How often an open form says it is still open (article-form.js)."""
    return timedelta(seconds=settings.NEWSROOM_EDITING_HEARTBEAT_SECONDS)


def editing_window():
    """How long a form that has stopped saying so still counts as open: a few missed
    heartbeats mean it was closed without a goodbye (a crash, a lost connection)."""
    return timedelta(seconds=settings.NEWSROOM_EDITING_WINDOW_SECONDS)


# Each step in the history, in the words of the badges and the buttons.
STEP_WORDS = {
    workflow.SUBMIT: _("Submitted for review"),
    workflow.RETURN: _("Returned to writer"),
    workflow.PUBLISH: _("Published"),
    workflow.SCHEDULE: _("Scheduled"),
    workflow.WITHDRAW: _("Withdrawn"),
    workflow.BACK_TO_DRAFT: _("Back to draft"),
}
# The state a step leaves the article in, as its badge names it.
STATE_AFTER = {
    workflow.RETURN: _("Returned to writer"),
    workflow.SCHEDULE: _("Scheduled"),
}


def step_words(event):
    """'Scheduled', 'Returned to writer': what a workflow event did, as the newsroom says it."""
    return STEP_WORDS.get(event.action) or (
        f"{event.get_from_status_display()} → {event.get_to_status_display()}"
    )


def state_after(event):
    return STATE_AFTER.get(event.action) or event.get_to_status_display()


def state_badge(article, *, now=None):
    """The status as a coloured badge, with its schedule, embargo and expiry spelled out."""
    now = now or timezone.now()
    css, label = "draft", article.get_status_display()
    if article.status == Status.PUBLISHED:
        if article.publish_at and article.publish_at > now:
            css, label = "scheduled", gettext("Scheduled")
        elif article.expires_at and article.expires_at <= now:
            css, label = "expired", gettext("Expired")
        elif article.embargo_until and article.embargo_until > now:
            css, label = "embargoed", gettext("Held by embargo")
        else:
            css, label = "live", gettext("Live")
    elif article.status == Status.IN_REVIEW:
        css = "review"
    elif article.status == Status.WITHDRAWN:
        css = "withdrawn"
    elif getattr(article, "last_action", None) == workflow.RETURN:
        css, label = "returned", gettext("Returned to writer")
    details = []
    if article.status == Status.PUBLISHED and article.publish_at and article.publish_at > now:
        details.append(("time", "", article.publish_at))
    if article.embargo_until and article.embargo_until > now:
        details.append(("embargo", gettext("Embargo until"), article.embargo_until))
    if article.expires_at and article.status == Status.PUBLISHED:
        details.append(("expiry", gettext("Expires"), article.expires_at))
    # The moment and its distance are kept whole each ("in 2 min" never breaks), so a
    # narrow column wraps between them instead of cutting either.
    return format_html(
        '<span class="nr-badge nr-{}">{}</span>{}',
        css,
        label,
        format_html_join(
            "",
            '<small class="nr-detail nr-detail-{}">{} <span class="nr-when">{}</span> '
            '<span class="nr-when">{}</span></small>',
            (
                (
                    kind,
                    words,
                    describe(moment, now=now, relative=False),
                    relative_to_now(moment, now=now),
                )
                for kind, words, moment in details
            ),
        ),
    )


# Who else has the form open ---------------------------------------------------------------------


def touch_editing_session(article, user):
    """``user`` has ``article``'s form open now (opened it, or their page's heartbeat)."""
    now = timezone.now()
    session, created = EditingSession.objects.get_or_create(article=article, user=user)
    if not created:
        if session.last_seen < now - editing_window():
            session.since = now
        session.last_seen = now
        session.save(update_fields=["since", "last_seen"])


def leave_editing_session(article, user):
    """``user`` left ``article``'s form (closed the page, saved, went elsewhere)."""
    EditingSession.objects.filter(article=article, user=user).delete()


def others_editing(article, user):
    """Everyone but ``user`` whose form for ``article`` is open, longest first."""
    return (
        EditingSession.objects.filter(
            article=article, last_seen__gte=timezone.now() - editing_window()
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("since")
    )


def describe_editing(sessions):
    """Who is editing, as the banner says it: name and the newsroom time they started."""
    return [
        {
            "name": s.user.get_full_name() or s.user.get_username(),
            "since": timezone.localtime(s.since, newsroom_zone()).strftime("%H:%M"),
        }
        for s in sessions
    ]
