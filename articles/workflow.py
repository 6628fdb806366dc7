"""The editorial workflow: who may move an article from which state to which.

Draft → In review → Published (a future `publish_at` makes it *Scheduled*) → Withdrawn → Draft.
An editor may return a story in review to Draft with a note, unschedule a scheduled one, and
withdraw a published one with a reason.

Each transition is one function with keyword-only arguments. It checks the user's permission
and the article's current state, runs in a transaction, records an `ArticleEvent`, and leaves
its side effects (cache purges, e-mails) to `articles.tasks`, which run them after commit.

Whether readers see an article is NOT decided here: `Article.objects.published()` decides it
at the moment of reading, so a scheduled story appears at its minute with no job running.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import tasks
from .models import Article, ArticleEvent, Byline

Status = Article.Status


class WorkflowError(Exception):
    """A transition that cannot happen; the message is shown to the user as it is."""


class NotAllowed(WorkflowError):
    pass


class WrongState(WorkflowError):
    pass


class MissingInformation(WorkflowError):
    pass


# Actions, in the order the change form offers them.
SUBMIT = "submit"
RETURN = "return"
PUBLISH = "publish"
SCHEDULE = "schedule"
WITHDRAW = "withdraw"
BACK_TO_DRAFT = "back_to_draft"

ACTION_LABELS = {
    SUBMIT: _("Submit for review"),
    RETURN: _("Return to writer"),
    PUBLISH: _("Publish now"),
    SCHEDULE: _("Schedule"),
    WITHDRAW: _("Withdraw"),
    BACK_TO_DRAFT: _("Back to draft"),
}

DONE_MESSAGES = {
    SUBMIT: _("submitted for review."),
    RETURN: _("returned to the writer."),
    PUBLISH: _("published."),
    SCHEDULE: _("scheduled."),
    WITHDRAW: _("withdrawn."),
    BACK_TO_DRAFT: _("moved back to draft."),
}


# Who may do what ------------------------------------------------------------------------------


def is_owner(user, article):
    """The creator, or a person on the byline (through their author profile)."""
    if not user.is_authenticated or article.pk is None:
        return False
    if article.created_by_id == user.pk:
        return True
    return article.bylines.filter(author__user=user).exists()


def can_edit(user, article):
    """May ``user`` change ``article``'s content now?

    Editors: any article in any state. Journalists: their own, while it is a draft (which
    includes a story returned to them).
    """
    if not user.is_active or not user.has_perm("articles.change_article"):
        return False
    if article.pk is None or user.has_perm("articles.edit_any_article"):
        return True
    return article.status == Status.DRAFT and is_owner(user, article)


def can_publish(user):
    return user.is_active and user.has_perm("articles.publish_article")


def is_scheduled(article, now):
    return article.status == Status.PUBLISHED and article.publish_at and article.publish_at > now


def check(action, article, user, *, now=None):
    """Raise WorkflowError unless ``user`` may do ``action`` to ``article`` now."""
    now = now or timezone.now()
    status = article.status
    if action == SUBMIT:
        if status != Status.DRAFT:
            raise WrongState(_("Only a draft can be submitted for review."))
        if not can_edit(user, article):
            raise NotAllowed(_("You may submit only your own drafts."))
    elif action == RETURN:
        if status != Status.IN_REVIEW:
            raise WrongState(_("Only an article in review can be returned to its writer."))
        if not user.has_perm("articles.review_article"):
            raise NotAllowed(_("Only editors may return articles to their writers."))
    elif action in {PUBLISH, SCHEDULE}:
        if not can_publish(user):
            raise NotAllowed(_("Only editors may publish or schedule articles."))
        if status not in {Status.DRAFT, Status.IN_REVIEW} and not is_scheduled(article, now):
            raise WrongState(
                _("This article is already live or withdrawn; it cannot be published again.")
            )
    elif action == WITHDRAW:
        if not can_publish(user):
            raise NotAllowed(_("Only editors may withdraw articles."))
        if status != Status.PUBLISHED:
            raise WrongState(_("Only a published or scheduled article can be withdrawn."))
    elif action == BACK_TO_DRAFT:
        if not can_publish(user):
            raise NotAllowed(_("Only editors may move this article back to draft."))
        if status != Status.WITHDRAWN and not is_scheduled(article, now):
            raise WrongState(
                _("Only a withdrawn or a scheduled (not yet live) article can go back to draft.")
            )
    else:
        raise WorkflowError(_("Unknown action."))


def allowed_actions(article, user, *, now=None):
    """The transitions ``user`` may make on ``article`` right now, in display order."""
    if article.pk is None:
        return []
    allowed = []
    for action in ACTION_LABELS:
        try:
            check(action, article, user, now=now)
        except WorkflowError:
            continue
        allowed.append(action)
    return allowed


# The transitions ------------------------------------------------------------------------------


def submit(article, *, by, note=""):
    """Draft → In review. The note is optional; the editors get an e-mail."""
    with transaction.atomic():
        article = _lock(article)
        check(SUBMIT, article, by)
        event = _move(article, to=Status.IN_REVIEW, action=SUBMIT, by=by, note=note)
        tasks.after_submit(article, event)
    return event


def return_to_writer(article, *, by, note):
    """In review → Draft, with a note (required) the writer sees on the article."""
    note = (note or "").strip()
    if not note:
        raise MissingInformation(_("Say what the writer should change: a note is required."))
    with transaction.atomic():
        article = _lock(article)
        check(RETURN, article, by)
        event = _move(article, to=Status.DRAFT, action=RETURN, by=by, note=note)
        tasks.after_return(article, event)
    return event


def publish(article, *, by, at=None, note=""):
    """Publish now (``at`` empty or not in the future) or schedule for ``at``.

    `first_published_at` is set at the first go-live only: for a story that has never been
    live it follows the chosen time; once readers have seen it, it never moves again.
    """
    now = timezone.now()
    at = at or now
    if at < now:
        # A time in the past means "now": a story must not appear backdated.
        at = now
    with transaction.atomic():
        article = _lock(article)
        action = SCHEDULE if at > now else PUBLISH
        check(action, article, by, now=now)
        if not article.section_id:
            raise MissingInformation(_("Choose a section before publishing."))
        if not article.headline.strip():
            raise MissingInformation(_("An article needs a headline before publishing."))
        if article.expires_at and article.expires_at <= at:
            raise MissingInformation(
                _("The expiry time is before the publish time: the story would never appear.")
            )
        article.publish_at = at
        if not has_gone_live(article, now):
            article.first_published_at = article.go_live_at
        event = _move(
            article,
            to=Status.PUBLISHED,
            action=action,
            by=by,
            note=note,
            extra_fields=["publish_at", "first_published_at"],
        )
        tasks.after_publish(article, event)
    return event


def schedule(article, *, by, at, note=""):
    """Published with a future `publish_at`: readers see it from that minute."""
    if at is None or at <= timezone.now():
        raise MissingInformation(_("Choose a publish time in the future to schedule."))
    return publish(article, by=by, at=at, note=note)


def withdraw(article, *, by, reason):
    """Published → Withdrawn: its public URL answers 410. The reason stays internal."""
    reason = (reason or "").strip()
    if not reason:
        raise MissingInformation(_("Give a reason for withdrawing the article."))
    now = timezone.now()
    with transaction.atomic():
        article = _lock(article)
        check(WITHDRAW, article, by, now=now)
        extra = _forget_unseen_publication(article, now)
        event = _move(
            article, to=Status.WITHDRAWN, action=WITHDRAW, by=by, note=reason, extra_fields=extra
        )
        tasks.after_unpublish(article, event)
    return event


def back_to_draft(article, *, by, note=""):
    """Withdrawn → Draft, or unschedule a scheduled story before it goes live."""
    now = timezone.now()
    with transaction.atomic():
        article = _lock(article)
        check(BACK_TO_DRAFT, article, by, now=now)
        extra = _forget_unseen_publication(article, now)
        was_published = article.status == Status.PUBLISHED
        event = _move(
            article, to=Status.DRAFT, action=BACK_TO_DRAFT, by=by, note=note, extra_fields=extra
        )
        if was_published:
            tasks.after_unpublish(article, event)
    return event


def perform(action, article, *, by, note="", at=None):
    """Dispatch one named action (from a form or a bulk action) to its function."""
    if action == SUBMIT:
        return submit(article, by=by, note=note)
    if action == RETURN:
        return return_to_writer(article, by=by, note=note)
    if action == PUBLISH:
        return publish(article, by=by, note=note)
    if action == SCHEDULE:
        return schedule(article, by=by, at=at, note=note)
    if action == WITHDRAW:
        return withdraw(article, by=by, reason=note)
    if action == BACK_TO_DRAFT:
        return back_to_draft(article, by=by, note=note)
    raise WorkflowError(_("Unknown action."))


# Helpers --------------------------------------------------------------------------------------


def _forget_unseen_publication(article, now):
    """A story readers never saw was never "first published": its URL stays a 404, not 410.

    Returns the fields changed, for `_move`'s save."""
    if has_gone_live(article, now):
        return []
    article.first_published_at = None
    return ["first_published_at"]


def has_gone_live(article, now):
    """Has a reader been able to see this article at some point before ``now``?"""
    # Withdrawing or unscheduling a story that never went live clears first_published_at,
    # so a past value means readers did see it.
    return article.first_published_at is not None and article.first_published_at <= now


def latest_return(article):
    """The editor's most recent return note, if the article is (still) back with its writer."""
    if article.status != Status.DRAFT:
        return None
    last = article.events.order_by("-at", "-id").first()
    if last is not None and last.action == RETURN:
        return last
    return None


def _lock(article):
    """Re-read the article under a row lock so two transitions cannot interleave."""
    return Article.objects.select_for_update().get(pk=article.pk)


def _move(article, *, to, action, by, note, extra_fields=()):
    event = ArticleEvent.objects.create(
        article=article,
        action=action,
        from_status=article.status,
        to_status=to,
        actor=by,
        note=note.strip(),
    )
    article.status = to
    if action == SUBMIT:
        article.submitted_at = event.at
        extra_fields = (*extra_fields, "submitted_at")
    # A transition changes what an open form was based on: a save from it must be refused.
    article.version += 1
    article.modified_by = by
    article.save(update_fields=["status", "version", "modified_by", *extra_fields])
    return event


def annotate(queryset):
    """Add `last_action` (the latest event) per row. (When a story was last submitted is its
    own column, `Article.submitted_at`.)"""
    from django.db.models import OuterRef, Subquery

    events = ArticleEvent.objects.filter(article=OuterRef("pk")).order_by("-at", "-id")
    return queryset.annotate(last_action=Subquery(events.values("action")[:1]))


def mine(queryset, user):
    """Articles ``user`` created or is on the byline of, without duplicate rows.

    Two indexed reads joined by UNION: one condition "created by or credited to", across the
    bylines join, could use no index and read every story (3.4 s at a million)."""
    created = Article.objects.filter(created_by=user).values("pk")
    credited = Byline.objects.filter(author__user=user).values("article_id")
    return queryset.filter(pk__in=created.union(credited))
