"""The editorial workflow's transitions: who may make which one from which state, and what
each leaves behind (an event, the publish times, the article's visibility)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from articles import workflow
from articles.models import Article, ArticleEvent
from tests.factories import make_article, make_section, make_user

Status = Article.Status
NOW = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    owner = make_user("Journalist", first_name="Ana", last_name="Lee")
    other = make_user("Journalist", first_name="Priya", last_name="Nair")
    editor = make_user("Editor", first_name="Tom", last_name="Ruiz")
    return {"owner": owner, "other journalist": other, "editor": editor}


def article_in(state, owner):
    """An article owned by ``owner`` in one of the newsroom's states."""
    now = timezone.now()
    if state == "draft":
        return make_article(status=Status.DRAFT, created_by=owner)
    if state == "returned":
        article = make_article(status=Status.DRAFT, created_by=owner)
        ArticleEvent.objects.create(
            article=article,
            action=workflow.RETURN,
            from_status=Status.IN_REVIEW,
            to_status=Status.DRAFT,
            note="Check the name.",
        )
        return article
    if state == "in_review":
        return make_article(status=Status.IN_REVIEW, created_by=owner)
    if state == "scheduled":
        return make_article(
            publish_at=now + timedelta(hours=3),
            first_published_at=now + timedelta(hours=3),
            created_by=owner,
        )
    if state == "live":
        return make_article(created_by=owner)
    if state == "withdrawn":
        return make_article(status=Status.WITHDRAWN, created_by=owner)
    raise AssertionError(state)


STATES = ["draft", "returned", "in_review", "scheduled", "live", "withdrawn"]
ACTIONS = [
    workflow.SUBMIT,
    workflow.RETURN,
    workflow.PUBLISH,
    workflow.SCHEDULE,
    workflow.WITHDRAW,
    workflow.BACK_TO_DRAFT,
]

# (role, state) → the transitions that role may make in that state; everything else refused.
ALLOWED = {
    ("owner", "draft"): {workflow.SUBMIT},
    ("owner", "returned"): {workflow.SUBMIT},
    ("editor", "draft"): {workflow.SUBMIT, workflow.PUBLISH, workflow.SCHEDULE},
    ("editor", "returned"): {workflow.SUBMIT, workflow.PUBLISH, workflow.SCHEDULE},
    ("editor", "in_review"): {workflow.RETURN, workflow.PUBLISH, workflow.SCHEDULE},
    ("editor", "scheduled"): {
        workflow.PUBLISH,
        workflow.SCHEDULE,
        workflow.WITHDRAW,
        workflow.BACK_TO_DRAFT,
    },
    ("editor", "live"): {workflow.WITHDRAW},
    ("editor", "withdrawn"): {workflow.BACK_TO_DRAFT},
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ["owner", "other journalist", "editor"])
def test_permission_matrix_every_role_every_transition_every_state(people, role, state):
    article = article_in(state, people["owner"])
    user = people[role]
    allowed = ALLOWED.get((role, state), set())
    assert set(workflow.allowed_actions(article, user)) == allowed
    for action in ACTIONS:
        article.refresh_from_db()
        before = (article.status, article.publish_at, ArticleEvent.objects.count())
        note = "A note for the record."
        at = timezone.now() + timedelta(hours=5)
        if action in allowed:
            workflow.perform(action, article, by=user, note=note, at=at)
            article.refresh_from_db()
            assert ArticleEvent.objects.count() == before[2] + 1
            # Undo, so the next action starts from the same state.
            article = article_in(state, people["owner"])
        else:
            with pytest.raises(workflow.WorkflowError):
                workflow.perform(action, article, by=user, note=note, at=at)
            article.refresh_from_db()
            assert (article.status, article.publish_at, ArticleEvent.objects.count()) == before


def test_each_transition_records_who_when_from_to_and_the_note(people):
    article = make_article(status=Status.DRAFT, created_by=people["owner"])
    with time_machine.travel(NOW, tick=False):
        workflow.submit(article, by=people["owner"], note="Checked with the ministry.")
    event = article.events.get()
    assert (event.actor, event.at, event.from_status, event.to_status, event.note) == (
        people["owner"],
        NOW,
        Status.DRAFT,
        Status.IN_REVIEW,
        "Checked with the ministry.",
    )


def test_returning_a_story_requires_a_note_and_the_writer_sees_it(people):
    article = make_article(status=Status.IN_REVIEW, created_by=people["owner"])
    with pytest.raises(workflow.MissingInformation):
        workflow.return_to_writer(article, by=people["editor"], note="   ")
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    workflow.return_to_writer(article, by=people["editor"], note="The second name is misspelt.")
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert workflow.latest_return(article).note == "The second name is misspelt."
    assert workflow.can_edit(people["owner"], article)


def test_withdrawing_requires_a_reason(people):
    article = make_article()
    with pytest.raises(workflow.MissingInformation):
        workflow.withdraw(article, by=people["editor"], reason="")
    workflow.withdraw(article, by=people["editor"], reason="Legal asked us to.")
    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN
    assert Article.objects.gone().filter(pk=article.pk).exists()


def test_publishing_without_a_section_is_refused(people):
    article = make_article(status=Status.DRAFT)
    Article.objects.filter(pk=article.pk).update(section=None)
    article.refresh_from_db()
    with pytest.raises(workflow.MissingInformation, match="section"):
        workflow.publish(article, by=people["editor"])
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_journalists_may_edit_their_own_drafts_only(people):
    own_draft = make_article(status=Status.DRAFT, created_by=people["owner"])
    author = people["owner"].author_profile
    on_byline = make_article(status=Status.DRAFT, authors=[author])
    own_in_review = make_article(status=Status.IN_REVIEW, created_by=people["owner"])
    someone_elses = make_article(status=Status.DRAFT, created_by=people["other journalist"])
    assert workflow.can_edit(people["owner"], own_draft)
    assert workflow.can_edit(people["owner"], on_byline)
    assert not workflow.can_edit(people["owner"], own_in_review)
    assert not workflow.can_edit(people["owner"], someone_elses)
    assert workflow.can_edit(people["editor"], someone_elses)
    assert workflow.can_edit(people["editor"], make_article())


def test_first_published_follows_the_schedule_until_the_story_has_gone_live(people):
    article = make_article(status=Status.DRAFT)
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(article, by=people["editor"], at=NOW + timedelta(hours=2))
        article.refresh_from_db()
        assert article.first_published_at == NOW + timedelta(hours=2)
        workflow.schedule(article, by=people["editor"], at=NOW + timedelta(hours=4))
        article.refresh_from_db()
        assert article.first_published_at == NOW + timedelta(hours=4)
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        assert Article.objects.published().filter(pk=article.pk).exists()
        workflow.withdraw(article, by=people["editor"], reason="Wrong figures.")
        workflow.back_to_draft(article, by=people["editor"])
        workflow.publish(article, by=people["editor"])
        article.refresh_from_db()
    # It went live at hour 4: republishing never moves the first publication.
    assert article.first_published_at == NOW + timedelta(hours=4)
    assert article.publish_at == NOW + timedelta(hours=5)


def test_unscheduling_a_story_that_never_went_live_leaves_no_first_publication(people):
    article = make_article(status=Status.DRAFT)
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(article, by=people["editor"], at=NOW + timedelta(hours=2))
        workflow.back_to_draft(article, by=people["editor"])
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert article.first_published_at is None
    assert not Article.objects.gone().filter(pk=article.pk).exists()


def test_an_embargo_later_than_the_schedule_is_the_first_publication(people):
    article = make_article(status=Status.DRAFT, embargo_until=NOW + timedelta(hours=6))
    with time_machine.travel(NOW, tick=False):
        workflow.publish(article, by=people["editor"])
    article.refresh_from_db()
    assert article.publish_at == NOW
    assert article.first_published_at == NOW + timedelta(hours=6)


def test_a_transition_bumps_the_version_so_open_forms_become_stale(people):
    article = make_article(status=Status.DRAFT, created_by=people["owner"])
    version = article.version
    workflow.submit(article, by=people["owner"])
    article.refresh_from_db()
    assert article.version == version + 1


# Visibility at the edges -----------------------------------------------------------------------

SECOND = timedelta(seconds=1)


def visible(article, at):
    with time_machine.travel(at, tick=False):
        return Article.objects.published().filter(pk=article.pk).exists()


def test_scheduled_article_is_invisible_one_second_before_go_live_and_visible_at_it(people):
    article = make_article(status=Status.DRAFT)
    with time_machine.travel(NOW, tick=False):
        workflow.schedule(article, by=people["editor"], at=NOW + timedelta(hours=2))
    go_live = NOW + timedelta(hours=2)
    assert not visible(article, go_live - SECOND)
    assert visible(article, go_live)
    assert visible(article, go_live + SECOND)


def test_embargoed_article_is_invisible_until_its_embargo_even_when_published(people):
    embargo = NOW + timedelta(hours=3)
    article = make_article(status=Status.DRAFT, embargo_until=embargo)
    with time_machine.travel(NOW, tick=False):
        workflow.publish(article, by=people["editor"])
    assert not visible(article, embargo - SECOND)
    assert visible(article, embargo)
    assert visible(article, embargo + SECOND)


def test_expired_article_disappears_at_its_expiry(people):
    expiry = NOW + timedelta(hours=3)
    article = make_article(status=Status.DRAFT, expires_at=expiry)
    with time_machine.travel(NOW, tick=False):
        workflow.publish(article, by=people["editor"])
    assert visible(article, expiry - SECOND)
    assert not visible(article, expiry)
    assert not visible(article, expiry + SECOND)
    with time_machine.travel(expiry + SECOND, tick=False):
        assert Article.objects.gone().filter(pk=article.pk).exists()


def test_publishing_with_an_expiry_before_the_publish_time_is_refused(people):
    article = make_article(status=Status.DRAFT, expires_at=NOW + timedelta(hours=1))
    with time_machine.travel(NOW, tick=False), pytest.raises(workflow.MissingInformation):
        workflow.schedule(article, by=people["editor"], at=NOW + timedelta(hours=2))


def test_is_live_agrees_with_the_published_queryset_in_every_state(people):
    section = make_section()
    for state in STATES:
        article = article_in(state, people["owner"])
        article.section = section
        assert article.is_live == Article.objects.published().filter(pk=article.pk).exists()
