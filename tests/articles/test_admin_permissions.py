"""Rights enforced on the server: crafted POSTs to forms, transitions, bulk actions and
workflow pages are refused whatever the page showed."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleEvent, Byline
from tests.articles.admin_forms import change_url, post_data, transition_url
from tests.factories import make_article, make_author, make_user

Status = Article.Status
CHANGELIST = "admin:articles_article_changelist"


@pytest.fixture
def journalist(db):
    return make_user("Journalist", first_name="Ana", last_name="Lee")


@pytest.fixture
def editor(db):
    return make_user("Editor", first_name="Tom", last_name="Ruiz")


def test_journalist_cannot_save_someone_elses_article_by_crafting_a_post(client, journalist):
    article = make_article(status=Status.DRAFT, headline="Original")
    client.force_login(journalist)
    response = client.post(change_url(article), {"headline": "Hijacked", "base_version": 1})
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "Original"


def test_journalist_sees_others_articles_read_only(client, journalist):
    article = make_article(status=Status.DRAFT)
    client.force_login(journalist)
    response = client.get(change_url(article))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]


def test_journalist_cannot_edit_own_article_once_submitted(client, journalist):
    article = make_article(status=Status.IN_REVIEW, created_by=journalist, headline="Mine")
    client.force_login(journalist)
    response = client.post(change_url(article), {"headline": "Changed"})
    assert response.status_code == 403


def test_journalist_cannot_change_bylines_of_others_articles(client, journalist):
    guest = make_author("Guest Writer")
    article = make_article(status=Status.DRAFT, authors=[guest])
    client.force_login(journalist)
    response = client.post(
        change_url(article),
        {
            "headline": article.headline,
            "bylines-TOTAL_FORMS": "1",
            "bylines-INITIAL_FORMS": "0",
            "bylines-0-author": journalist.author_profile.pk,
            "bylines-0-role": "written_by",
        },
    )
    assert response.status_code == 403
    assert [b.author for b in Byline.objects.filter(article=article)] == [guest]


def test_journalist_cannot_set_embargo_expiry_or_lead_story_on_own_draft(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist, headline="Mine")
    client.force_login(journalist)
    response = client.get(change_url(article))
    form = response.context["adminform"].form
    assert not {"embargo_until", "expires_at", "featured"} & set(form.fields)
    data = post_data(
        response,
        headline="Mine, edited",
        embargo_until_0="2030-01-01",
        embargo_until_1="09:00",
        featured="on",
    )
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    article.refresh_from_db()
    assert article.headline == "Mine, edited"
    assert article.embargo_until is None
    assert not article.featured
    assert article.status == Status.DRAFT


@pytest.mark.parametrize("action", ["publish", "schedule", "withdraw", "return"])
def test_journalist_cannot_publish_schedule_withdraw_or_return_by_post(client, journalist, action):
    status = Status.PUBLISHED if action == "withdraw" else Status.DRAFT
    if action == "return":
        status = Status.IN_REVIEW
    article = make_article(status=status, created_by=journalist)
    client.force_login(journalist)
    before = (article.status, article.publish_at)
    later = timezone.localtime() + timedelta(days=1)
    response = client.post(
        transition_url(article, action),
        {"note": "Because.", "at_0": f"{later:%Y-%m-%d}", "at_1": "09:00"},
    )
    assert response.status_code in {302, 403}
    article.refresh_from_db()
    assert (article.status, article.publish_at) == before
    assert not ArticleEvent.objects.filter(article=article).exists()


def test_the_change_form_offers_exactly_the_allowed_transitions(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    actions = [a for a, _, _ in client.get(change_url(article)).context["workflow"]["actions"]]
    assert actions == ["submit"]
    client.force_login(editor)
    actions = [a for a, _, _ in client.get(change_url(article)).context["workflow"]["actions"]]
    assert actions == ["submit", "publish", "schedule"]


def test_bulk_publish_is_not_offered_to_journalists_and_refused_when_posted(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    response = client.get(reverse(CHANGELIST))
    offered = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "bulk_publish" not in offered and "bulk_submit" in offered
    response = client.post(
        reverse(CHANGELIST), {"action": "bulk_publish", ACTION_CHECKBOX_NAME: [article.pk]}
    )
    assert response.status_code in {200, 302}
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_bulk_submit_reports_per_article_what_happened(client, journalist):
    mine = make_article(status=Status.DRAFT, created_by=journalist, headline="My story")
    theirs = make_article(status=Status.DRAFT, headline="Their story")
    live = make_article(created_by=journalist, headline="Live story")
    client.force_login(journalist)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "bulk_submit", ACTION_CHECKBOX_NAME: [mine.pk, theirs.pk, live.pk]},
        follow=True,
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert "“My story”: submitted for review." in texts
    assert any(t.startswith("“Their story”: You may submit only your own") for t in texts)
    assert any(t.startswith("“Live story”: Only a draft") for t in texts)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Status.IN_REVIEW, Status.DRAFT)


def test_bulk_withdraw_asks_for_a_reason_then_withdraws(client, editor):
    live = make_article(headline="Live story")
    client.force_login(editor)
    data = {"action": "bulk_withdraw", ACTION_CHECKBOX_NAME: [live.pk]}
    response = client.post(reverse(CHANGELIST), data)
    assert response.status_code == 200
    assert "Reason" in response.text
    response = client.post(reverse(CHANGELIST), {**data, "confirm": "1", "reason": ""})
    assert "Give a reason" in response.text
    live.refresh_from_db()
    assert live.status == Status.PUBLISHED
    response = client.post(
        reverse(CHANGELIST), {**data, "confirm": "1", "reason": "Legal"}, follow=True
    )
    live.refresh_from_db()
    assert live.status == Status.WITHDRAWN
    assert live.events.get().note == "Legal"


def test_a_journalist_may_not_create_share_links_or_open_the_calendar_reset_by_get(
    client, journalist
):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    assert client.get(reverse("admin:articles_article_share", args=[article.pk])).status_code == 403
    assert (
        client.post(reverse("admin:articles_article_share", args=[article.pk])).status_code == 403
    )
    assert client.get(reverse("admin:articles_article_calendar_reset")).status_code == 405


def test_a_journalist_cannot_restore_a_revision_of_someone_elses_article(
    client, journalist, editor
):
    from articles import revisions

    article = make_article(status=Status.DRAFT, headline="Theirs")
    revision = revisions.store(article, by=editor)
    Article.objects.filter(pk=article.pk).update(headline="Theirs, edited")
    client.force_login(journalist)
    response = client.post(
        reverse("admin:articles_article_restore", args=[article.pk, revision.number])
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "Theirs, edited"


def test_a_published_article_cannot_be_deleted_it_is_withdrawn(client, db):
    admin_user = make_user(None, is_superuser=True)
    admin_user.is_staff = True
    admin_user.save()
    article = make_article()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()
