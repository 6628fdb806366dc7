"""The article form as a writing desk, on the server side: rows kept in the order the page
sends, a workflow step taken from the action bar saves first, and what a journalist sees in
place of the editors' own fields."""

import pytest

from articles.models import Article
from tests.articles.admin_forms import change_url, post_data, transition_url
from tests.factories import make_article, make_author, make_user

Status = Article.Status


@pytest.fixture
def journalist(db):
    return make_user("Journalist", username="ana")  # with her author profile, Ana Lee


@pytest.fixture
def editor(db):
    return make_user("Editor", username="tom", first_name="Tom", last_name="Ruiz")


def bylines(article):
    return list(article.bylines.order_by("position").values_list("author__name", flat=True))


def test_bylines_are_saved_in_the_order_of_their_hidden_positions(client, journalist):
    authors = [journalist.author_profile, make_author("David Wyatt"), make_author("Maya Okafor")]
    article = make_article(status=Status.DRAFT, created_by=journalist, authors=authors)
    client.force_login(journalist)
    page = client.get(change_url(article))
    assert 'type="hidden" name="bylines-0-position"' in page.text
    # The page moved Maya Okafor to the top: the rows keep their numbers, positions change.
    data = post_data(page, **{"bylines-0-position": 1, "bylines-1-position": 2})
    data["bylines-2-position"] = 0
    data["_continue"] = "Save and continue editing"
    assert client.post(change_url(article), data).status_code == 302
    assert bylines(article) == ["Maya Okafor", "Ana Lee", "David Wyatt"]


def test_an_empty_new_row_that_was_only_renumbered_is_not_a_row(client, journalist):
    article = make_article(
        status=Status.DRAFT, created_by=journalist, authors=[journalist.author_profile]
    )
    client.force_login(journalist)
    page = client.get(change_url(article))
    data = post_data(page)
    # "Add another" then nothing chosen: the page still gave the row its place.
    data.update({"bylines-TOTAL_FORMS": 2, "bylines-1-position": 1, "bylines-1-role": "written_by"})
    data["_continue"] = "Save and continue editing"
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.context["errors"]
    assert bylines(article) == ["Ana Lee"]


def test_submit_from_the_action_bar_saves_the_changes_and_submits_with_the_note(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    page = client.get(change_url(article))
    data = post_data(page, headline="Harbour pilots end strike")
    data.update({"_workflow": "submit", "_workflow_note": "Names checked."})
    response = client.post(change_url(article), data)
    assert response.status_code == 302
    assert response["Location"] == change_url(article)
    article.refresh_from_db()
    assert article.headline == "Harbour pilots end strike"
    assert article.status == Status.IN_REVIEW
    assert article.events.get().note == "Names checked."


def test_a_new_story_is_saved_and_submitted_in_one_click(client, journalist):
    client.force_login(journalist)
    add = client.get("/admin/articles/article/add/")
    assert 'name="_workflow" value="submit"' in add.text
    assert 'value="publish"' not in add.text  # a journalist never publishes
    data = post_data(add, headline="Ships queue off the port", body="<p>Pilots agreed.</p>")
    data["_workflow"] = "submit"
    response = client.post("/admin/articles/article/add/", data)
    article = Article.objects.get(headline="Ships queue off the port")
    assert response["Location"] == change_url(article)
    assert article.status == Status.IN_REVIEW


def test_a_step_that_needs_its_page_opens_it_after_saving(client, editor):
    article = make_article(status=Status.IN_REVIEW)
    client.force_login(editor)
    page = client.get(change_url(article))
    data = post_data(page, dek="A sharper standfirst.")
    data["_workflow"] = "schedule"
    response = client.post(change_url(article), data)
    assert response["Location"] == transition_url(article, "schedule")
    article.refresh_from_db()
    assert article.dek == "A sharper standfirst."
    assert article.status == Status.IN_REVIEW  # scheduled only once the time is given


def test_a_step_the_person_may_not_take_is_refused_after_saving_nothing_lost(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    page = client.get(change_url(article))
    data = post_data(page, dek="Kept whatever happens.")
    data["_workflow"] = "publish"
    response = client.post(change_url(article), data, follow=True)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.dek == "Kept whatever happens."
    assert article.status == Status.DRAFT
    assert "Only editors may publish" in response.text


def test_a_journalist_sees_words_not_a_red_cross_for_the_lead_story(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    text = client.get(change_url(article)).text
    assert "Editors choose the home page&#x27;s lead story." in text
    assert "icon-no.svg" not in text


def test_the_source_address_is_a_plain_address_box(client, journalist):
    from articles.models import ArticleSource
    from tests.factories import make_source

    article = make_article(status=Status.DRAFT, created_by=journalist)
    ArticleSource.objects.create(
        article=article, source=make_source("korrespondent"), original_url="https://k.example/1"
    )
    client.force_login(journalist)
    text = client.get(change_url(article)).text
    assert 'type="url" name="article_sources-0-original_url"' in text
    assert "Currently:" not in text


def test_the_picture_form_promises_no_preview_before_the_upload(admin_client):
    text = admin_client.get("/admin/articles/image/add/").text
    assert "Click the preview" not in text
    assert "Once the picture is saved you can click its preview" in text
