"""The workflow as people use it in the admin: transitions from the change form, the return
note, the review queue, stale saves refused without losing a word, the "is editing" banner,
revisions and the public "updated" time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from articles import revisions, workflow
from articles.models import Article, EditingSession, Revision
from tests.articles.admin_forms import change_url, post_data, transition_url
from tests.factories import make_article, make_source, make_user

Status = Article.Status


@pytest.fixture
def journalist(db):
    return make_user("Journalist", username="ana", first_name="Ana", last_name="Lee")


@pytest.fixture
def editor(db):
    return make_user("Editor", username="tom", first_name="Tom", last_name="Ruiz")


def test_journalist_submits_with_a_note_from_the_transition_page(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    page = client.get(transition_url(article, "submit"))
    assert "Note for the editor" in page.text
    response = client.post(transition_url(article, "submit"), {"note": "Names checked."})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert article.events.get().note == "Names checked."


def test_returning_without_a_note_is_refused_and_the_writer_sees_the_note(
    client, journalist, editor
):
    article = make_article(status=Status.IN_REVIEW, created_by=journalist)
    client.force_login(editor)
    response = client.post(transition_url(article, "return"), {"note": ""})
    assert response.status_code == 200
    assert "This field is required" in response.text
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    client.post(transition_url(article, "return"), {"note": "Spell Tsuruoka correctly."})
    article.refresh_from_db()
    assert article.status == Status.DRAFT

    client.force_login(journalist)
    form_page = client.get(change_url(article))
    assert "Returned to you by Tom Ruiz" in form_page.text
    assert "Spell Tsuruoka correctly." in form_page.text
    home = client.get(reverse("admin:index"))
    assert "Returned to me" in home.text
    assert "Spell Tsuruoka correctly." in home.text
    mine = client.get(reverse("admin:articles_article_changelist") + "?mine=yes")
    assert "Returned to writer" in mine.text


def test_scheduling_in_the_spring_gap_is_refused_with_a_message(client, editor):
    article = make_article(status=Status.DRAFT)
    client.force_login(editor)
    with time_machine.travel(datetime(2026, 3, 20, 8, 0, tzinfo=UTC)):
        response = client.post(
            transition_url(article, "schedule"), {"at_0": "2026-03-29", "at_1": "02:30"}
        )
    assert response.status_code == 200
    assert "does not exist in Europe/Berlin" in response.text
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_editor_schedules_for_nine_in_the_newsroom_zone(client, editor):
    article = make_article(status=Status.IN_REVIEW)
    client.force_login(editor)
    with time_machine.travel(datetime(2026, 6, 15, 18, 0, tzinfo=UTC)):
        response = client.post(
            transition_url(article, "schedule"),
            {"at_0": "2026-06-16", "at_1": "09:00"},
            follow=True,
        )
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert article.publish_at == datetime(2026, 6, 16, 7, 0, tzinfo=UTC)
    assert "Tue 16 Jun, 09:00 CEST" in " ".join(str(m) for m in response.context["messages"])


def test_the_review_queue_lists_the_longest_waiting_first(client, journalist, editor):
    stories = []
    for hour, headline in [(9, "Second in"), (8, "First in"), (10, "Third in")]:
        article = make_article(status=Status.DRAFT, created_by=journalist, headline=headline)
        with time_machine.travel(datetime(2026, 6, 16, hour, 0, tzinfo=UTC)):
            workflow.submit(article, by=journalist)
        stories.append(article)
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_changelist") + "?state=in_review")
    headlines = [a.headline for a in response.context["cl"].result_list]
    assert headlines == ["First in", "Second in", "Third in"]


def test_returned_to_writer_lists_drafts_whose_last_step_was_a_return(client, journalist, editor):
    sent_back = make_article(status=Status.DRAFT, created_by=journalist, headline="Sent back")
    workflow.submit(sent_back, by=journalist)
    workflow.return_to_writer(sent_back, by=editor, note="Check the name.")
    again = make_article(status=Status.DRAFT, created_by=journalist, headline="Sent in again")
    workflow.submit(again, by=journalist)
    workflow.return_to_writer(again, by=editor, note="Shorter, please.")
    workflow.submit(again, by=journalist)
    make_article(status=Status.DRAFT, created_by=journalist, headline="Never sent")
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_changelist") + "?state=returned")
    assert [a.headline for a in response.context["cl"].result_list] == ["Sent back"]


def test_a_stale_save_is_refused_naming_who_saved_and_both_texts_survive(client, editor):
    other = make_user("Editor", username="priya", first_name="Priya", last_name="Nair")
    article = make_article(headline="Original headline", body="<p>Original body.</p>")
    revisions.store(article, by=other)  # what both forms start from
    client.force_login(editor)
    opened = client.get(change_url(article))
    mine = post_data(opened, headline="My headline", body="<p>My careful rewrite.</p>")

    # Priya saves first, from a form she opened at the same time.
    client.force_login(other)
    theirs = post_data(client.get(change_url(article)), body="<p>Priya's new body.</p>")
    with time_machine.travel(datetime(2026, 6, 16, 8, 7, tzinfo=UTC)):
        assert client.post(change_url(article), theirs).status_code == 302

    client.force_login(editor)
    response = client.post(change_url(article), mine)
    assert response.status_code == 200
    assert "Priya Nair saved this article at Tue 16 Jun, 10:07 CEST" in response.text
    # What she changed is shown, word by word...
    assert "<ins>Priya&#x27;s new</ins>" in response.text or "<ins>Priya" in response.text
    # ...and my text is still in the form, not lost.
    form = response.context["adminform"].form
    assert form.data["headline"] == "My headline"
    assert "My careful rewrite." in form.data["body"]
    article.refresh_from_db()
    assert article.headline == "Original headline"
    assert "Priya's new body." in article.body

    # Saving again without choosing is refused again: we both changed the body, and it is
    # shown side by side. Nothing of Priya's is lost.
    again = {**mine, **resubmitted(response)}
    response = client.post(change_url(article), again)
    assert response.status_code == 200
    assert "you and Priya Nair both changed “Body”" in response.text
    sides = response.context["workflow"]["conflict"]["side_by_side"]
    assert [side["name"] for side in sides] == ["body"]
    assert "Priya" in str(sides[0]["theirs"]) and "careful rewrite" in str(sides[0]["mine"])
    article.refresh_from_db()
    assert "Priya's new body." in article.body

    # Choosing mine for the body saves: my headline and my body.
    response = client.post(
        change_url(article), {**mine, **resubmitted(response), "resolve_body": "mine"}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "My headline"
    assert "My careful rewrite." in article.body


def resubmitted(response):
    """The hidden versions a refused form carries into the next save, as the browser posts them."""
    context = response.context["workflow"]
    return {"base_version": context["base_version"], "seen_version": context["seen_version"]}


def test_saving_again_after_a_refusal_keeps_the_other_editors_change(client, editor):
    """Tom saves a new standfirst; Lena's form, opened before, changes headline and body. Her
    first save is refused; her second, made without touching the standfirst, carries Tom's
    standfirst forward instead of emptying it."""
    lena = make_user("Editor", username="lena", first_name="Lena", last_name="Vogel")
    article = make_article(headline="Old headline", dek="", body="<p>Old body.</p>")
    client.force_login(editor)
    # Tom's first save stores the revision both forms start from.
    assert (
        client.post(change_url(article), post_data(client.get(change_url(article)))).status_code
        == 302
    )
    toms_form = post_data(client.get(change_url(article)), dek="Tom's standfirst.")
    client.force_login(lena)
    lenas_form = post_data(
        client.get(change_url(article)), headline="Lena's headline", body="<p>Lena's body.</p>"
    )
    client.force_login(editor)
    assert client.post(change_url(article), toms_form).status_code == 302

    client.force_login(lena)
    refused = client.post(change_url(article), lenas_form)
    assert refused.status_code == 200
    assert "Your changes were NOT saved" in refused.text
    assert refused.context["workflow"]["conflict"]["side_by_side"] == []

    saved = client.post(change_url(article), {**lenas_form, **resubmitted(refused)}, follow=True)
    assert saved.redirect_chain
    article.refresh_from_db()
    assert article.dek == "Tom's standfirst."
    assert article.headline == "Lena's headline"
    assert "Lena's body." in article.body
    told = " ".join(str(m) for m in saved.context["messages"])
    assert "Saved together with Tom Ruiz’s changes" in told and "standfirst" in told.lower()


def test_a_save_made_after_the_refusal_is_shown_before_anything_is_merged(client, editor):
    """A third save between the refusal and saving again is refused too: nothing merges
    with changes the person has not seen."""
    article = make_article(headline="Old headline", dek="Old standfirst.")
    client.force_login(editor)
    assert (
        client.post(change_url(article), post_data(client.get(change_url(article)))).status_code
        == 302
    )
    mine = post_data(client.get(change_url(article)), headline="My headline")
    client.post(change_url(article), post_data(client.get(change_url(article)), dek="Second."))
    refused = client.post(change_url(article), mine)
    client.post(change_url(article), post_data(client.get(change_url(article)), dek="Third."))
    again = client.post(change_url(article), {**mine, **resubmitted(refused)})
    assert again.status_code == 200
    assert "Your changes were NOT saved" in again.text
    article.refresh_from_db()
    assert (article.headline, article.dek) == ("Old headline", "Third.")


def test_a_form_whose_starting_version_is_unknown_merges_nothing_by_guess(client, editor):
    """No revision records what the form showed (an article older than revisions): every
    field that differs must be chosen, not guessed."""
    article = make_article(headline="Old headline", dek="Old standfirst.")
    client.force_login(editor)
    mine = post_data(client.get(change_url(article)), headline="My headline")
    article.dek = "Their standfirst."
    article.version += 1
    article.save()
    refused = client.post(change_url(article), mine)
    again = client.post(change_url(article), {**mine, **resubmitted(refused)})
    assert again.status_code == 200
    names = [side["name"] for side in again.context["workflow"]["conflict"]["side_by_side"]]
    assert names == ["headline", "dek"] or set(names) == {"headline", "dek"}
    article.refresh_from_db()
    assert article.dek == "Their standfirst."


def editing_url(article):
    return reverse("admin:articles_article_editing", args=[article.pk])


def banner_absent(page_text):
    """No "X is editing" banner (the page keeps the banner's wording for its script)."""
    return 'id="nr-editing"' not in page_text


def test_the_form_shows_who_else_is_editing_the_article(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    with time_machine.travel(datetime(2026, 6, 16, 8, 4, tzinfo=UTC)):
        client.force_login(journalist)
        client.get(change_url(article))
    with time_machine.travel(datetime(2026, 6, 16, 8, 4, 40, tzinfo=UTC)):
        client.force_login(editor)
        response = client.get(change_url(article))
    assert "Ana Lee is editing this article (since 10:04)." in response.text
    assert EditingSession.objects.filter(article=article).count() == 2


def test_an_open_form_stays_announced_by_its_heartbeat(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    start = datetime(2026, 6, 16, 8, 4, tzinfo=UTC)
    with time_machine.travel(start):
        client.get(change_url(article))
    for beat in range(1, 60):  # twenty minutes of heartbeats, one every 20 seconds
        with time_machine.travel(start + timedelta(seconds=20 * beat)):
            assert client.post(editing_url(article)).status_code == 200
    client.force_login(editor)
    with time_machine.travel(start + timedelta(minutes=20, seconds=10)):
        response = client.get(change_url(article))
    assert "Ana Lee is editing this article (since 10:04)." in response.text


def test_the_heartbeat_answers_who_else_is_editing(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    with time_machine.travel(datetime(2026, 6, 16, 8, 4, tzinfo=UTC)):
        client.force_login(journalist)
        client.get(change_url(article))
    with time_machine.travel(datetime(2026, 6, 16, 8, 4, 30, tzinfo=UTC)):
        client.force_login(editor)
        answer = client.post(editing_url(article)).json()
    assert answer == {"editing": [{"name": "Ana Lee", "since": "10:04"}]}
    with time_machine.travel(datetime(2026, 6, 16, 8, 5, 31, tzinfo=UTC)):
        # Ana's page has not been heard from for over a minute.
        assert client.post(editing_url(article)).json() == {"editing": []}


def test_a_form_closed_without_a_word_stops_being_announced_within_a_minute(
    client, journalist, editor
):
    """Tom's page crashed or lost its connection: no goodbye, no more heartbeats. The banner
    goes a minute later, not a quarter of an hour."""
    article = make_article(status=Status.DRAFT, created_by=journalist)
    with time_machine.travel(datetime(2026, 6, 16, 8, 4, tzinfo=UTC)):
        client.force_login(journalist)
        client.get(change_url(article))
    with time_machine.travel(datetime(2026, 6, 16, 8, 5, 1, tzinfo=UTC)):
        client.force_login(editor)
        response = client.get(change_url(article))
    assert banner_absent(response.text)


def test_leaving_the_page_ends_the_banner_at_once(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    client.get(change_url(article))
    assert client.get(editing_url(article)).status_code == 405
    assert client.post(editing_url(article), {"left": "1"}).status_code == 204
    client.force_login(editor)
    assert banner_absent(client.get(change_url(article)).text)


def test_every_save_stores_a_revision_with_bylines_tags_and_sources(client, journalist):
    client.force_login(journalist)
    source = make_source("korrespondent")
    article = make_article(status=Status.DRAFT, created_by=journalist, sources=[source])
    response = client.get(change_url(article))
    client.post(change_url(article), post_data(response, headline="Edited", tags="NATO, Japan"))
    revision = Revision.objects.get(article=article)
    assert revision.created_by == journalist
    assert revision.data["headline"] == "Edited"
    assert revision.data["tags"] == ["Japan", "NATO"]
    assert [s["name"] for s in revision.data["sources"]] == ["korrespondent"]
    assert revision.status == Status.DRAFT
    history = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert "Saved revision #1" in history.text


def test_new_article_by_a_journalist_is_a_draft_with_them_on_the_byline(client, journalist):
    from articles.models import Section

    section = Section.objects.create(name="World", slug="world")
    client.force_login(journalist)
    response = client.get(reverse("admin:articles_article_add"))
    data = post_data(response, headline="A new story", body="<p>Text.</p>", section=section.pk)
    response = client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    article = Article.objects.get(headline="A new story")
    assert (article.status, article.created_by, article.version) == (Status.DRAFT, journalist, 1)
    assert [b.author for b in article.bylines.all()] == [journalist.author_profile]
    assert Revision.objects.filter(article=article).count() == 1


def test_editing_a_live_article_keeps_it_live_and_moves_updated_only_when_ticked(client, editor):
    article = make_article(publish_at=timezone.now() - timedelta(hours=3))
    client.force_login(editor)
    response = client.get(change_url(article))
    client.post(change_url(article), post_data(response, body="<p>Typo fixed.</p>"))
    article.refresh_from_db()
    assert article.is_live
    assert article.updated_at is None
    assert Revision.objects.filter(article=article).count() == 1

    response = client.get(change_url(article))
    assert "Substantive update" in response.text
    client.post(
        change_url(article),
        post_data(response, body="<p>New figures.</p>", substantive_update="on"),
    )
    article.refresh_from_db()
    assert article.is_live
    assert article.updated_at is not None
    assert timezone.now() - article.updated_at < timedelta(minutes=1)


def test_the_change_form_shows_the_embargo_prominently(client, editor):
    embargo = timezone.now() + timedelta(hours=5)
    article = make_article(embargo_until=embargo)
    client.force_login(editor)
    response = client.get(change_url(article))
    assert "EMBARGOED until" in response.text
    listing = client.get(reverse("admin:articles_article_changelist"))
    assert "Embargo until" in listing.text


def test_saving_and_leaving_the_form_ends_the_editing_banner(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    response = client.get(change_url(article))
    assert EditingSession.objects.filter(article=article, user=journalist).exists()
    client.post(change_url(article), post_data(response, headline="Done for today"))
    assert not EditingSession.objects.filter(article=article, user=journalist).exists()
    client.force_login(editor)
    assert banner_absent(client.get(change_url(article)).text)


def test_each_submission_moves_the_story_to_the_back_of_the_review_queue(journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    first, again = datetime(2026, 6, 16, 8, 0, tzinfo=UTC), datetime(2026, 6, 16, 11, 0, tzinfo=UTC)
    with time_machine.travel(first, tick=False):
        workflow.submit(article, by=journalist)
    article.refresh_from_db()
    assert article.submitted_at == first
    workflow.return_to_writer(article, by=editor, note="One more source, please.")
    article.refresh_from_db()
    assert article.submitted_at == first  # a return leaves it; the queue no longer shows it
    with time_machine.travel(again, tick=False):
        workflow.submit(article, by=journalist)
    article.refresh_from_db()
    assert article.submitted_at == again


def test_internal_notes_write_times_as_the_rest_of_the_admin(client, editor):
    from articles.models import InternalNote

    article = make_article()
    with time_machine.travel(datetime(2026, 6, 16, 8, 7, tzinfo=UTC)):
        InternalNote.objects.create(article=article, author=editor, text="Check the name.")
        client.force_login(editor)
        page = client.get(change_url(article)).text
    notes = page[page.index('id="internal_notes-group"') :]
    notes = notes[: notes.index("</fieldset>")]
    assert "Tue 16 Jun, 10:07 CEST" in notes
    # The empty row for a new note has no time yet, and no time in another style anywhere.
    assert "a.m." not in notes and "p.m." not in notes
    assert "16 Jun 2026" not in notes


def test_history_names_steps_in_the_workflows_words(client, journalist, editor):
    article = make_article(status=Status.DRAFT, created_by=journalist, section=None)
    from articles.models import Section

    article.section = Section.objects.create(name="World", slug="world")
    article.save()
    workflow.submit(article, by=journalist)
    workflow.return_to_writer(article, by=editor, note="Shorter.")
    workflow.submit(article, by=journalist)
    workflow.publish(article, by=editor, at=timezone.now() + timedelta(hours=3))
    client.force_login(editor)
    history = client.get(reverse("admin:articles_article_history", args=[article.pk])).text
    form = client.get(change_url(article)).text
    for page in (history, form):
        assert "Returned to writer" in page and "Scheduled" in page
        assert "In review → Draft" not in page and "In review → Published" not in page
    assert "Submitted for review" in history


def test_a_story_one_may_only_read_shows_its_body_as_text_not_html_source(client, journalist):
    other = make_user("Journalist", username="maya", first_name="Maya", last_name="Okafor")
    article = make_article(
        status=Status.IN_REVIEW, created_by=other, body="<p>Dock workers <em>resumed</em>.</p>"
    )
    client.force_login(journalist)
    page = client.get(change_url(article)).text
    assert "&lt;p&gt;" not in page
    assert '<div class="newsroom-body-read"><p>Dock workers <em>resumed</em>.</p></div>' in page
