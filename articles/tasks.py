"""Side effects of the workflow (cache purges, e-mails), each done once and never lost.

A transition writes one `SideEffect` row per effect inside its own transaction (the outbox),
then, after commit, enqueues a task of Django's tasks framework to run it. The row is the
truth; the task is only a wake-up call:

* the row's unique `key` makes recording idempotent (the same go-live is recorded once);
* a worker claims a due row: in a transaction of its own it marks it RUNNING under a fresh
  `claim` token with a lease (`claimed_until`), and commits, before it starts the effect;
  nobody else (another worker, `manage.py run_side_effects`) takes a row whose lease lasts;
* when the effect is done, the row is marked DONE, on condition that the claim is still
  ours; a database that is away at that moment is waited for, within the lease, so the
  record of completion is written before anyone could start a retry;
* a worker that died mid-effect leaves its row RUNNING: once the lease is over, the row is
  due again and the next sweep claims it (the lease outlasts any one effect: the SMTP and
  purge timeouts are shorter);
* a scheduled go-live's effects are due at the go-live time and their task is deferred to
  it (`run_after`); a reschedule or withdrawal makes them stale, and a stale row is
  cancelled instead of run;
* a failure is kept on the row (attempts, last error) and retried with back-off; rows still
  pending well after they were due are counted on the admin dashboard;
* every effect that can carry an idempotency key carries the row's (`idempotency_key`): an
  e-mail as its `Message-ID`, a webhook delivery as its `webhook-id` header.
  Purges are idempotent by nature;
* webhook deliveries (one row per endpoint and event, recorded by `webhooks.events` from the
  hooks below) are run and retried by the `webhooks` app, which registers its handler and its
  own retry policy (`RETRY_POLICIES`: back-off for a day instead of `MAX_ATTEMPTS`).

What this guarantees: an effect is never lost (a row leaves the outbox only as done,
cancelled as stale, or failed after `MAX_ATTEMPTS` or its kind's retry policy, shown to
editors or, for webhooks, with the endpoint's deliveries), and it is started again only
when the process running it died, or lost the database for longer than the lease, between
doing it and committing DONE. An SMTP delivery and a database commit cannot
be one atomic step, so that short window remains: delivery is at-least-once, and a resent
e-mail has the same `Message-ID` as the first, so mail systems and readers can tell it is
the same message. Two workers, or a worker and `run_side_effects`, never run one row at once.

`sweep` (also `manage.py run_side_effects`, and every minute or so `manage.py run_worker`
by itself) runs every due row: it catches up after a worker was down or a wake-up was lost.
"""

import hashlib
import logging
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
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
DATABASE_ERRORS = (OperationalError, InterfaceError)


def lease():
    """How long a claim lasts: longer than any one effect may take (SMTP and purge timeouts)."""
    return timedelta(seconds=settings.NEWSROOM_SIDE_EFFECT_LEASE_SECONDS)


PURGE = "purge"
MAIL_SUBMITTED = "mail_submitted"
MAIL_RETURNED = "mail_returned"
MAIL_PUBLISHED = "mail_published"
# Webhook deliveries: now, at a go-live, at an expiry (their handler is the `webhooks` app's).
WEBHOOK = "webhook"
GOLIVE_WEBHOOK = "golive_webhook"
EXPIRY_WEBHOOK = "expiry_webhook"
WEBHOOK_KINDS = {WEBHOOK, GOLIVE_WEBHOOK, EXPIRY_WEBHOOK}
GO_LIVE_KINDS = {"golive_purge", "golive_mail", GOLIVE_WEBHOOK}
EXPIRY_PURGE = "expiry_purge"
# A CDN purge that failed when a save made it: keys in the payload, no story needed.
CDN_PURGE = "cdn_purge"
CDN_RETRY_AFTER = timedelta(seconds=30)
EXPIRY_KINDS = {EXPIRY_PURGE, EXPIRY_WEBHOOK}


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


def record_cdn_purge(keys, *, error="", hard=False):
    """A CDN purge that failed after a save: kept in the outbox and retried (`_cdn_purge`)
    until the CDN takes it, hard or soft as it was. Never raises: a save is committed and
    must not fail now."""
    keys = sorted(keys)
    try:
        row = SideEffect.objects.create(
            kind=CDN_PURGE,
            key=f"{CDN_PURGE}:{uuid.uuid4().hex}",
            payload={"keys": keys, "hard": hard},
            due_at=timezone.now() + CDN_RETRY_AFTER,
            attempts=1,
            last_error=error[:2000],
        )
    except Exception:  # noqa: BLE001 - nothing more can be kept; the CDN's max-age bounds it
        logger.exception("Could not keep the failed CDN purge of %s", " ".join(keys))
        return None
    transaction.on_commit(lambda: wake(row.pk, row.due_at))
    return row


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
    cancel_stale(article)
    moment = article.go_live_at
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
    webhook_events().published(article)
    schedule_expiry(article)


def after_unpublish(article, event):
    cancel_stale(article)
    if event.action == "withdraw":
        webhook_events().withdrawn(article, event)


def after_save(article, *, version, corrected=False):
    """An edit by a person: follow a changed embargo/expiry, and tell webhooks of a change
    to a live story (``corrected``: the save added a correction). (The save itself purged
    the pages showing the story: `caching`'s signals purge after every commit.)"""
    if article.status == Article.Status.PUBLISHED:
        cancel_stale(article)
        webhook_events().changed(article, version=version, corrected=corrected)
        moment = article.go_live_at
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
            webhook_events().published(article)
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
        webhook_events().expiring(article)


def webhook_events():
    # Imported when used: `webhooks` builds on this module.
    from webhooks import events

    return events


def cancel_stale(article):
    """Cancel pending timed effects that no longer match the article's times."""
    for row in SideEffect.objects.filter(
        article=article,
        state=SideEffect.State.PENDING,
        kind__in=[*GO_LIVE_KINDS, *EXPIRY_KINDS],
    ):
        if is_stale(row, article):
            row.state = SideEffect.State.CANCELLED
            row.save(update_fields=["state"])


def is_stale(row, article):
    if row.kind in GO_LIVE_KINDS:
        moment = article.go_live_at
        return (
            article.status != Article.Status.PUBLISHED
            or moment is None
            or moment.isoformat() != row.payload.get("go_live")
        )
    if row.kind in EXPIRY_KINDS:
        if row.kind == EXPIRY_WEBHOOK and article.status != Article.Status.PUBLISHED:
            return True  # withdrawn or back to draft before it expired: nothing to announce
        return article.expires_at is None or article.expires_at.isoformat() != row.payload.get(
            "expires_at"
        )
    return False


# Kinds with a retry policy of their own: kind -> function(row, attempts, now) returning when
# to try again, or None to give up. Registered by the app that runs the kind (`webhooks`).
RETRY_POLICIES = {}


def retry_at(row, attempts, now):
    """When a failed side effect is tried again, or None when it has failed for good."""
    policy = RETRY_POLICIES.get(row.kind)
    if policy is not None:
        return policy(row, attempts, now)
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(minutes=2**attempts)


# Running (in a worker) ------------------------------------------------------------------------


@task()
def run_side_effect(side_effect_id):
    return execute(side_effect_id)


def sweep(*, now=None):
    """Run every due side effect once. Returns {outcome: count}."""
    now = now or timezone.now()
    outcomes = {}
    for pk in list(claimable(now).values_list("pk", flat=True)):
        outcome = execute(pk, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def claimable(now):
    """Rows a worker may take: pending and due at ``now``, or RUNNING under a claim whose
    lease is over (always judged by the clock, whatever ``now`` a caller asks about)."""
    return SideEffect.objects.filter(
        Q(state=SideEffect.State.PENDING, due_at__lte=now)
        | Q(state=SideEffect.State.RUNNING, claimed_until__lte=timezone.now())
    )


def execute(side_effect_id, *, now=None):
    """Claim one due side effect and run it. Returns what happened, as a word."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        row = (
            claimable(now)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=side_effect_id)
            .select_related("article")
            .first()
        )
        if row is None:
            # Done, cancelled, not yet due, or claimed by another worker right now.
            return "skipped"
        article = row.article
        # A row recorded without an article (a webhook test, a mail about an endpoint) is
        # never stale; one about an article is judged against it.
        if article is not None and is_stale(row, article):
            row.state = SideEffect.State.CANCELLED
            row.save(update_fields=["state"])
            return "stale"
        if row.state == SideEffect.State.RUNNING:
            logger.warning(
                "Side effect %s (%s): its claim expired, so it runs again (attempt %s)",
                row.pk,
                row.kind,
                row.attempts + 1,
            )
        row.state = SideEffect.State.RUNNING
        row.attempts += 1
        row.claim = token
        row.claimed_until = timezone.now() + lease()
        row.save(update_fields=["state", "attempts", "claim", "claimed_until"])
    # The claim is committed: from here on, a crash leaves the row RUNNING until its lease ends.
    try:
        HANDLERS[row.kind](row, article)
    except Exception as exc:  # noqa: BLE001 - kept on the row, retried, shown to editors
        logger.exception("Side effect %s (%s) failed", row.pk, row.kind)
        attempts = row.attempts
        if isinstance(exc, DATABASE_ERRORS):
            # Our own database went away, not the effect's target: not the effect's fault.
            attempts -= 1
            state, due_at = SideEffect.State.PENDING, timezone.now()
        elif (retry := retry_at(row, attempts, now)) is None:
            state, due_at = SideEffect.State.FAILED, row.due_at
        else:
            state, due_at = SideEffect.State.PENDING, retry
        error = f"{type(exc).__name__}: {exc}"
        recorded = finish(row, token, state=state, due_at=due_at, attempts=attempts, error=error)
        if recorded and state == SideEffect.State.PENDING:
            transaction.on_commit(lambda: wake(row.pk, due_at))
        return "failed"
    finish(row, token, state=SideEffect.State.DONE, done_at=timezone.now())
    return "done"


def finish(row, token, *, state, due_at=None, done_at=None, attempts=None, error=None):
    """Record how a claimed effect ended, if the claim is still ours. Returns whether it was.

    A database that is away is waited for while the lease lasts, so that nobody starts the
    effect again only because its completion could not be written yet.
    """
    fields = {"state": state, "claim": "", "claimed_until": None}
    if due_at is not None:
        fields["due_at"] = due_at
    if done_at is not None:
        fields["done_at"] = done_at
    if attempts is not None:
        fields["attempts"] = attempts
    if error is not None:
        fields["last_error"] = error[:2000]
    mine = SideEffect.objects.filter(pk=row.pk, state=SideEffect.State.RUNNING, claim=token)
    deadline = time.monotonic() + lease().total_seconds()
    delay = 0.5
    while True:
        try:
            updated = mine.update(**fields)
            break
        except DATABASE_ERRORS:
            # Inside someone's transaction nothing can be retried; and past the lease,
            # someone else may already be running it.
            if transaction.get_connection().in_atomic_block or time.monotonic() > deadline:
                raise
            if delay == 0.5:
                logger.warning("Side effect %s: waiting for the database to record it", row.pk)
            time.sleep(delay)
            delay = min(delay * 2, 5)
            close_old_connections()
    if not updated:
        logger.warning(
            "Side effect %s (%s) finished after its claim was taken over", row.pk, row.kind
        )
    return bool(updated)


def overdue(*, now=None):
    """Side effects that should have happened and have not: failed (but for webhook
    deliveries a receiver refused), pending long past due,
    or RUNNING under a claim that ended (its worker died) that long ago."""
    now = now or timezone.now()
    return SideEffect.objects.filter(
        # A webhook delivery that failed for good is its receiver's doing, not the worker's:
        # it is listed with its endpoint's deliveries (a day of failures pauses the endpoint
        # and mails its owner).
        Q(state=SideEffect.State.FAILED) & ~Q(kind__in=WEBHOOK_KINDS)
        | Q(state=SideEffect.State.PENDING, due_at__lt=now - OVERDUE_AFTER)
        | Q(state=SideEffect.State.RUNNING, claimed_until__lt=now - OVERDUE_AFTER)
    )


def queue_age(*, now=None):
    """How long the oldest due side effect has been waiting (a timedelta), or None."""
    now = now or timezone.now()
    oldest = claimable(now).order_by("due_at").values_list("due_at", flat=True).first()
    return now - oldest if oldest else None


def idempotency_key(row):
    """A stable name for one side effect, the same on every attempt: what an e-mail's
    `Message-ID` and a webhook's `webhook-id` carry, so a receiver can spot a repeat."""
    return "nr-" + hashlib.sha256(row.key.encode()).hexdigest()[:32]


def message_id(row):
    host = urlsplit(settings.SITE_URL).hostname or "newsroom.invalid"
    return f"<{idempotency_key(row)}@{host}>"


# Handlers -------------------------------------------------------------------------------------


def _purge(row, article):
    """At a go-live, embargo lift or expiry: the page cache follows the schedule by itself,
    but a CDN's copy must hear of it. Strict, so a CDN that failed is retried. Hard once
    readers may no longer see the story (an expiry): not even an outage brings it back."""
    caching.purge_keys(caching.article_keys(article), strict=True, hard=not article.is_live)


def _cdn_purge(row, article):
    # Rows kept before soft purges existed carry no "hard": they were hard.
    caching.purge_cdn(row.payload.get("keys", []), hard=row.payload.get("hard", True))


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
        row,
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
        row,
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
        row,
        _("Published: %(headline)s") % {"headline": article.headline},
        body,
        _byline_emails(article),
    )


HANDLERS = {
    # Recorded by earlier versions after every save; the save signals purge now.
    PURGE: _purge,
    "golive_purge": _purge,
    EXPIRY_PURGE: _purge,
    CDN_PURGE: _cdn_purge,
    MAIL_SUBMITTED: _mail_submitted,
    MAIL_RETURNED: _mail_returned,
    "golive_mail": _mail_published,
    MAIL_PUBLISHED: _mail_published,
}


def _send(row, subject, body, recipients):
    recipients = sorted(set(recipients))
    if recipients:
        EmailMessage(subject, body, to=recipients, headers={"Message-ID": message_id(row)}).send()


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
