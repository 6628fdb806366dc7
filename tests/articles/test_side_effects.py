"""Side effects of the workflow (cache purges, e-mails): after commit, at go-live for a
scheduled story, never for a stale schedule, and exactly once however many workers run."""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.models import QuerySet

from articles import tasks, workflow
from articles.models import Article, SideEffect
from tests.factories import make_article, make_user

Status = Article.Status
NOW = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)


@pytest.fixture
def purged(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "articles.caching.purge_keys", lambda keys, **options: calls.append(set(keys))
    )
    return calls


@pytest.fixture
def newsroom(db):
    writer = make_user("Journalist", first_name="Ana", last_name="Lee")
    editor = make_user("Editor", first_name="Tom", last_name="Ruiz")
    article = make_article(status=Status.DRAFT, created_by=writer, authors=[writer.author_profile])
    return {"writer": writer, "editor": editor, "article": article}


def subjects():
    return [m.subject for m in mail.outbox]


def test_submitting_mails_the_editors_after_commit(newsroom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(newsroom["article"], by=newsroom["writer"], note="Checked names.")
        assert mail.outbox == []  # nothing leaves before the transaction commits
    (message,) = mail.outbox
    assert message.to == [newsroom["editor"].email]
    assert "Checked names." in message.body


def test_returning_mails_the_writer_with_the_note(newsroom, django_capture_on_commit_callbacks):
    article = newsroom["article"]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(article, by=newsroom["writer"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_to_writer(article, by=newsroom["editor"], note="Name misspelt.")
    (message,) = mail.outbox
    assert message.to == [newsroom["writer"].email]
    assert "Name misspelt." in message.body


def test_publishing_now_mails_the_byline_and_purges_the_pages_that_show_it(
    newsroom, purged, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(article, by=newsroom["editor"])
    assert subjects() == [f"Published: {article.headline}"]
    assert mail.outbox[0].to == [newsroom["writer"].email]
    assert purged and all(f"article-{article.pk}" in keys for keys in purged)


def test_scheduled_go_live_side_effects_wait_for_publish_at_and_happen_once(
    newsroom, purged, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    go_live = NOW + timedelta(hours=2)
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            workflow.schedule(article, by=newsroom["editor"], at=go_live)
        purges_at_schedule = len(purged)
        assert subjects() == []
    with time_machine.travel(go_live - timedelta(seconds=1), tick=False):
        assert tasks.sweep() == {}
        assert subjects() == []
    with time_machine.travel(go_live, tick=False):
        assert tasks.sweep() == {"done": 2}
        assert tasks.sweep() == {}
    assert subjects() == [f"Published: {article.headline}"]
    assert len(purged) == purges_at_schedule + 1


def test_a_rescheduled_story_mails_at_the_new_time_only(
    newsroom, purged, django_capture_on_commit_callbacks
):
    article = newsroom["article"]
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=2))
        workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=4))
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        tasks.sweep()
    assert subjects() == []
    with time_machine.travel(NOW + timedelta(hours=4), tick=False):
        tasks.sweep()
    assert len(mail.outbox) == 1


def test_a_stale_task_does_nothing(newsroom, purged, django_capture_on_commit_callbacks):
    article = newsroom["article"]
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=2))
    old_mail = SideEffect.objects.get(article=article, kind="golive_mail")
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        workflow.withdraw(article, by=newsroom["editor"], reason="Source retracted.")
    old_mail.refresh_from_db()
    assert old_mail.state == SideEffect.State.CANCELLED
    # Even a row that escaped cancellation is checked against the article when it runs.
    SideEffect.objects.filter(pk=old_mail.pk).update(state=SideEffect.State.PENDING)
    purges = len(purged)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert tasks.execute(old_mail.pk) == "stale"
        assert tasks.execute(old_mail.pk) == "skipped"
    assert subjects() == []
    assert len(purged) == purges


def test_a_failing_side_effect_is_kept_retried_and_counted_as_overdue(
    newsroom, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(row, article):
        raise ConnectionError("cache unreachable")

    monkeypatch.setitem(tasks.HANDLERS, "golive_purge", broken)
    article = newsroom["article"]
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        workflow.publish(article, by=newsroom["editor"])
    row = SideEffect.objects.get(kind="golive_purge")
    assert (row.state, row.attempts) == (SideEffect.State.PENDING, 1)
    assert "cache unreachable" in row.last_error
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.overdue().filter(pk=row.pk).exists()
        monkeypatch.setitem(tasks.HANDLERS, "golive_purge", lambda row, article: None)
        tasks.sweep()
        row.refresh_from_db()
        assert (row.state, row.attempts) == (SideEffect.State.DONE, 2)
        assert not tasks.overdue().exists()


def test_recording_the_same_side_effect_twice_keeps_one_row(newsroom):
    article = newsroom["article"]
    tasks.record(article=article, kind=tasks.PURGE, key="purge:x")
    tasks.record(article=article, kind=tasks.PURGE, key="purge:x")
    assert SideEffect.objects.filter(key="purge:x").count() == 1


def test_after_a_worker_was_down_for_hours_each_overdue_effect_runs_once(
    newsroom, purged, django_capture_on_commit_callbacks
):
    stories = [newsroom["article"], *(make_article(status=Status.DRAFT) for _ in range(2))]
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        for hours, article in enumerate(stories, start=1):
            workflow.schedule(article, by=newsroom["editor"], at=NOW + timedelta(hours=hours))
    with time_machine.travel(NOW + timedelta(hours=9), tick=False):
        first, second = tasks.sweep(), tasks.sweep()
    assert first == {"done": 6}  # a go-live purge and a byline e-mail per story
    assert second == {}
    assert len(mail.outbox) == 1
    assert not SideEffect.objects.filter(state=SideEffect.State.PENDING).exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_the_same_due_rows_run_each_side_effect_once(purged):
    editor = make_user("Editor")
    writers = [make_user("Journalist") for _ in range(3)]
    articles = [
        make_article(status=Status.DRAFT, created_by=w, authors=[w.author_profile])
        for w in writers * 4
    ]
    with time_machine.travel(NOW, tick=False):
        for article in articles:
            workflow.schedule(article, by=editor, at=NOW + timedelta(minutes=5))
    due = SideEffect.objects.filter(kind__in=tasks.GO_LIVE_KINDS).count()
    assert due == 2 * len(articles)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(tasks.sweep(now=NOW + timedelta(hours=1)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = sum(r.get("done", 0) for r in results)
    assert done == due
    assert len(mail.outbox) == len(articles)
    assert set(
        SideEffect.objects.filter(kind__in=tasks.GO_LIVE_KINDS).values_list("state", "attempts")
    ) == {(SideEffect.State.DONE, 1)}


class UnreachableCdn:
    def purge(self, keys, *, hard=False):
        raise ConnectionRefusedError("CDN unreachable")


def test_a_cdn_purge_that_fails_is_kept_for_a_retry_not_marked_done(
    newsroom, settings, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_PURGE_BACKEND = f"{__name__}.UnreachableCdn"
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        workflow.publish(newsroom["article"], by=newsroom["editor"])
    row = SideEffect.objects.get(kind="golive_purge")
    assert row.state == SideEffect.State.PENDING
    assert "CDN unreachable" in row.last_error
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.overdue().filter(pk=row.pk).exists()


# Claims, leases and idempotency keys ----------------------------------------------------------


def published_mail(newsroom):
    """A byline e-mail that is due now and not yet run (the only one: the rest are done)."""
    article = newsroom["article"]
    with time_machine.travel(NOW, tick=False):
        workflow.publish(article, by=newsroom["editor"])
    row = SideEffect.objects.get(article=article, kind="golive_mail")
    SideEffect.objects.exclude(pk=row.pk).update(state=SideEffect.State.DONE)
    return row


def test_the_claim_is_on_record_before_the_effect_starts(newsroom, monkeypatch, purged):
    row = published_mail(newsroom)
    seen = []

    def handler(claimed, article):
        seen.append(SideEffect.objects.values("state", "attempts", "claimed_until").get(pk=row.pk))

    monkeypatch.setitem(tasks.HANDLERS, "golive_mail", handler)
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        assert tasks.execute(row.pk) == "done"
    (during,) = seen
    assert during["state"] == SideEffect.State.RUNNING
    assert during["attempts"] == 1
    assert during["claimed_until"] > NOW + timedelta(seconds=1)
    row.refresh_from_db()
    assert (row.state, row.claim, row.claimed_until) == (SideEffect.State.DONE, "", None)


def test_a_side_effect_whose_worker_died_is_claimed_again_once_its_lease_is_over(newsroom, purged):
    row = published_mail(newsroom)
    # What a worker killed in the middle of sending leaves behind.
    SideEffect.objects.filter(pk=row.pk).update(
        state=SideEffect.State.RUNNING,
        attempts=1,
        claim="dead-worker",
        claimed_until=NOW + tasks.lease(),
    )
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert tasks.sweep() == {}
        call_command("run_side_effects", stdout=io.StringIO())
    assert mail.outbox == []  # the worker may still be sending it: nobody else does
    with time_machine.travel(NOW + tasks.lease() + timedelta(seconds=1), tick=False):
        assert tasks.sweep() == {"done": 1}
        assert tasks.sweep() == {}
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (SideEffect.State.DONE, 2)


def test_a_dead_workers_claim_counts_as_overdue(newsroom, purged):
    row = published_mail(newsroom)
    SideEffect.objects.filter(pk=row.pk).update(
        state=SideEffect.State.RUNNING, claim="dead-worker", claimed_until=NOW
    )
    with time_machine.travel(NOW + tasks.OVERDUE_AFTER + timedelta(seconds=1), tick=False):
        assert list(tasks.overdue()) == [row]


def test_a_resent_email_carries_the_same_message_id(newsroom, purged):
    row = published_mail(newsroom)
    with time_machine.travel(NOW, tick=False):
        tasks.execute(row.pk)
        SideEffect.objects.filter(pk=row.pk).update(state=SideEffect.State.PENDING)
        tasks.execute(row.pk)
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.message()["Message-ID"] == tasks.message_id(row)
    assert tasks.message_id(row).endswith("@news.example>")
    other = SideEffect(key="golive_mail:other")
    assert tasks.idempotency_key(other) != tasks.idempotency_key(row)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_completion_the_database_refused_is_written_when_it_returns(monkeypatch, purged):
    writer = make_user("Journalist")
    article = make_article(publish_at=NOW, created_by=writer, authors=[writer.author_profile])
    row = SideEffect.objects.create(
        article=article, kind=tasks.MAIL_PUBLISHED, key="mail_published:1", due_at=NOW
    )
    real_update = QuerySet.update
    refusals = []

    def update(queryset, **fields):
        if fields.get("state") == SideEffect.State.DONE and not refusals:
            refusals.append(fields)
            raise OperationalError("the database system is shutting down")
        return real_update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    monkeypatch.setattr(tasks.time, "sleep", lambda seconds: None)
    with time_machine.travel(NOW, tick=False):
        assert tasks.execute(row.pk) == "done"
    assert refusals
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (SideEffect.State.DONE, 1)


def test_a_database_error_inside_an_effect_is_retried_at_once_not_counted(
    newsroom, monkeypatch, purged
):
    row = published_mail(newsroom)

    def handler(row, article):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setitem(tasks.HANDLERS, "golive_mail", handler)
    with time_machine.travel(NOW, tick=False):
        assert tasks.execute(row.pk) == "failed"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.due_at) == (SideEffect.State.PENDING, 0, NOW)
    assert "shutting down" in row.last_error
