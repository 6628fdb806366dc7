"""Side effects of the workflow (cache purges, e-mails), each done exactly once.

A transition writes one `SideEffect` row per effect inside its own transaction (the outbox),
then, after commit, enqueues a task of Django's tasks framework to run it. The row is the
truth; the task is only a wake-up call:

* the row's unique `key` makes recording idempotent (the same go-live is recorded once);
* a worker claims a due row under a row lock (`select_for_update(skip_locked=True)`) and
  marks it done in the same transaction, so two workers never both run it;
* a scheduled go-live's effects are due at the go-live time and their task is deferred to
  it (`run_after`); a reschedule or withdrawal makes them stale, and a stale row is
  cancelled instead of run;
* a failure is kept on the row (attempts, last error) and retried with back-off; rows still
  pending well after they were due are counted on the admin dashboard.

`run_due_side_effects` (also `manage.py run_side_effects`) sweeps every due row: it is what
catches up after a worker was down, and what a deployment without deferred tasks runs.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import caching
from .models import Article, SideEffect

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Pending this long after it was due, a side effect counts as overdue on the dashboard.
OVERDUE_AFTER = timedelta(minutes=5)

PURGE = "purge"
MAIL_SUBMITTED = "mail_submitted"
MAIL_RETURNED = "mail_returned"
MAIL_PUBLISHED = "mail_published"
GO_LIVE_KINDS = {"golive_purge", "golive_mail"}
EXPIRY_PURGE = "expiry_purge"


# Recording (inside the transition's transaction) ---------------------------------------------


def record(*, article, kind, key, due_at=None, payload=None):
    """Record one side effect (idempotent on ``key``) and wake a worker after commit."""
    due_at = due_at or timezone.now()
    row, created = SideEffect.objects.get_or_create(
        key=key,
        defaults={"article": article, "kind": kind, "due_at": due_at, "payload": payload or {}},
    )
    if not created and row.state == SideEffect.State.CANCELLED:
        # Scheduled again for the very same minute after an unschedule: it never ran.
        row.state = SideEffect.State.PENDING
        row.due_at = due_at
        row.save(update_fields=["state", "due_at"])
    elif not created:
        return row
    transaction.on_commit(lambda: wake(row.pk, due_at))
    return row


def wake(side_effect_id, due_at):
    """Enqueue the task that runs one side effect, deferred to its due time if possible."""
    try:
        job = run_side_effect
        if due_at > timezone.now() and job.get_backend().supports_defer:
            job = job.using(run_after=due_at)
        job.enqueue(side_effect_id)
    except Exception:  # noqa: BLE001 - the row stays pending; the sweep and dashboard catch it
        logger.exception("Could not enqueue side effect %s", side_effect_id)


def after_submit(article, event):
    record(
        article=article,
        kind=MAIL_SUBMITTED,
        key=f"{MAIL_SUBMITTED}:{article.pk}:{event.pk}",
        payload={"event": event.pk},
    )


def after_return(article, event):
    record(
        article=article,
        kind=MAIL_RETURNED,
        key=f"{MAIL_RETURNED}:{article.pk}:{event.pk}",
        payload={"event": event.pk},
    )


def after_publish(article, event):
    """Purge now (a live story may have been re-timed) and at go-live; mail the byline."""
    from .workflow import go_live_at

    cancel_stale(article)
    moment = go_live_at(article)
    stamp = moment.isoformat()
    payload = {"go_live": stamp, "event": event.pk}
    record(
        article=article,
        kind="golive_purge",
        key=f"golive_purge:{article.pk}:{stamp}",
        due_at=moment,
        payload=payload,
    )
    if not SideEffect.objects.filter(article=article, kind="golive_mail", state="done").exists():
        # The byline hears once that the story is out, not on every republication.
        record(
            article=article,
            kind="golive_mail",
            key=f"golive_mail:{article.pk}:{stamp}",
            due_at=moment,
            payload=payload,
        )
    schedule_expiry(article)


def after_unpublish(article, event):
    cancel_stale(article)


def after_save(article, *, version):
    """An edit by a person: follow a changed embargo/expiry. (The save itself purged the
    pages showing the story: `caching`'s signals purge after every commit.)"""
    from .workflow import go_live_at

    if article.status == Article.Status.PUBLISHED:
        cancel_stale(article)
        moment = go_live_at(article)
        if moment and moment > timezone.now():
            stamp = moment.isoformat()
            record(
                article=article,
                kind="golive_purge",
                key=f"golive_purge:{article.pk}:{stamp}",
                due_at=moment,
                payload={"go_live": stamp},
            )
            record(
                article=article,
                kind="golive_mail",
                key=f"golive_mail:{article.pk}:{stamp}",
                due_at=moment,
                payload={"go_live": stamp},
            )
        schedule_expiry(article)


def schedule_expiry(article):
    if article.expires_at and article.expires_at > timezone.now():
        stamp = article.expires_at.isoformat()
        record(
            article=article,
            kind=EXPIRY_PURGE,
            key=f"{EXPIRY_PURGE}:{article.pk}:{stamp}",
            due_at=article.expires_at,
            payload={"expires_at": stamp},
        )


def cancel_stale(article):
    """Cancel pending timed effects that no longer match the article's times."""
    for row in SideEffect.objects.filter(
        article=article,
        state=SideEffect.State.PENDING,
        kind__in=[*GO_LIVE_KINDS, EXPIRY_PURGE],
    ):
        if is_stale(row, article):
            row.state = SideEffect.State.CANCELLED
            row.save(update_fields=["state"])


def is_stale(row, article):
    from .workflow import go_live_at

    if row.kind in GO_LIVE_KINDS:
        moment = go_live_at(article)
        return (
            article.status != Article.Status.PUBLISHED
            or moment is None
            or moment.isoformat() != row.payload.get("go_live")
        )
    if row.kind == EXPIRY_PURGE:
        return article.expires_at is None or article.expires_at.isoformat() != row.payload.get(
            "expires_at"
        )
    return False


# Running (in a worker) ------------------------------------------------------------------------


@task()
def run_side_effect(side_effect_id):
    return execute(side_effect_id)


@task()
def run_due_side_effects():
    return sweep()


def sweep(*, now=None):
    """Run every due, pending side effect once. Returns {outcome: count}."""
    now = now or timezone.now()
    outcomes = {}
    due = SideEffect.objects.filter(state=SideEffect.State.PENDING, due_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        outcome = execute(pk, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def execute(side_effect_id, *, now=None):
    """Claim one due side effect and run it. Returns what happened, as a word."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            SideEffect.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=side_effect_id, state=SideEffect.State.PENDING, due_at__lte=now)
            .select_related("article")
            .first()
        )
        if row is None:
            # Done, cancelled, not yet due, or being run by another worker right now.
            return "skipped"
        article = row.article
        if article is None or is_stale(row, article):
            row.state = SideEffect.State.CANCELLED
            row.save(update_fields=["state"])
            return "stale"
        row.attempts += 1
        try:
            with transaction.atomic():
                HANDLERS[row.kind](row, article)
        except Exception as exc:  # noqa: BLE001 - kept on the row, retried, shown to editors
            logger.exception("Side effect %s (%s) failed", row.pk, row.kind)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = SideEffect.State.FAILED
            else:
                row.due_at = now + timedelta(minutes=2**row.attempts)
                retry_at = row.due_at
                transaction.on_commit(lambda: wake(row.pk, retry_at))
            row.save(update_fields=["attempts", "last_error", "state", "due_at"])
            return "failed"
        row.state = SideEffect.State.DONE
        row.done_at = timezone.now()
        row.save(update_fields=["attempts", "state", "done_at"])
        return "done"


def overdue(*, now=None):
    """Side effects that should have happened and have not: failed, or pending long past due."""
    now = now or timezone.now()
    return SideEffect.objects.filter(
        Q(state=SideEffect.State.FAILED)
        | Q(state=SideEffect.State.PENDING, due_at__lt=now - OVERDUE_AFTER)
    )


# Handlers -------------------------------------------------------------------------------------


def _purge(row, article):
    """At a go-live, embargo lift or expiry: the page cache follows the schedule by itself,
    but a CDN's copy must hear of it. Strict, so a CDN that failed is retried."""
    caching.purge_keys(caching.article_keys(article), strict=True)


def _mail_submitted(row, article):
    User = get_user_model()
    editors = (
        User.objects.with_perm(
            "articles.review_article", backend="django.contrib.auth.backends.ModelBackend"
        )
        .filter(is_active=True)
        .exclude(email="")
        .exclude(pk=_actor_id(row))
    )
    event = article.events.filter(pk=row.payload.get("event")).first()
    note = event.note if event else ""
    who = _name(event.actor) if event and event.actor else _("Someone")
    body = _("%(who)s submitted “%(headline)s” for review.") % {
        "who": who,
        "headline": article.headline,
    }
    if note:
        body += "\n\n" + _("Their note: %(note)s") % {"note": note}
    body += "\n\n" + _admin_url(article)
    _send(
        _("For review: %(headline)s") % {"headline": article.headline},
        body,
        [u.email for u in editors],
    )


def _mail_returned(row, article):
    event = article.events.filter(pk=row.payload.get("event")).first()
    who = _name(event.actor) if event and event.actor else _("An editor")
    body = _("%(who)s returned “%(headline)s” to you.\n\nTheir note: %(note)s\n\n%(url)s") % {
        "who": who,
        "headline": article.headline,
        "note": event.note if event else "",
        "url": _admin_url(article),
    }
    _send(
        _("Returned to you: %(headline)s") % {"headline": article.headline},
        body,
        _writer_emails(article, exclude=_actor_id(row)),
    )


def _mail_published(row, article):
    body = _("“%(headline)s” is now live.\n\n%(url)s") % {
        "headline": article.headline,
        "url": settings.SITE_URL + article.get_absolute_url(),
    }
    _send(
        _("Published: %(headline)s") % {"headline": article.headline},
        body,
        _byline_emails(article),
    )


HANDLERS = {
    # Recorded by earlier versions after every save; the save signals purge now.
    PURGE: _purge,
    "golive_purge": _purge,
    EXPIRY_PURGE: _purge,
    MAIL_SUBMITTED: _mail_submitted,
    MAIL_RETURNED: _mail_returned,
    "golive_mail": _mail_published,
    MAIL_PUBLISHED: _mail_published,
}


def _send(subject, body, recipients):
    recipients = sorted(set(recipients))
    if recipients:
        send_mail(subject, body, None, recipients)


def _byline_emails(article):
    return [
        b.author.user.email
        for b in article.bylines.select_related("author__user")
        if b.author.user_id and b.author.user.email and b.author.user.is_active
    ]


def _writer_emails(article, *, exclude=None):
    emails = _byline_emails(article)
    if article.created_by_id and article.created_by.email and article.created_by_id != exclude:
        emails.append(article.created_by.email)
    return emails


def _actor_id(row):
    from .models import ArticleEvent

    return (
        ArticleEvent.objects.filter(pk=row.payload.get("event"))
        .values_list("actor_id", flat=True)
        .first()
    )


def _name(user):
    return user.get_full_name() or user.get_username()


def _admin_url(article):
    return settings.SITE_URL + reverse("admin:articles_article_change", args=[article.pk])
