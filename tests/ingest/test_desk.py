"""The wire desk: reading incoming copy and writing a draft from it, with its provenance."""

from datetime import timedelta

import pytest
from django.urls import reverse
from taggit.models import Tag

from articles.models import Article, ArticleSource, Revision
from articles.workflow import NotAllowed
from authors.models import Author
from ingest.drafts import ItemWithdrawn, write_story
from ingest.models import IncomingItem, IngestSource, StoryFromItem
from ingest.receive import receive
from tests.factories import make_section, make_user

from .samples import as_bytes, ingest_source, newsml, ninjs3_item

Kind = IngestSource.Kind


@pytest.fixture
def item(db):
    source = ingest_source(
        Kind.NINJS_3,
        drop_lines="Subscribe to our channel\n/^Follow .* on Telegram/",
        default_section=make_section("World"),
        default_tags="Wire",
        expiry_days=7,
    )
    body = (
        "<p>Dock workers voted to accept the offer.</p>"
        "<p>news Partner on Telegram. Subscribe to our channel</p>"
        "<p>Follow Partner on Telegram today.</p>"
        "<p>Ships began unloading at noon.</p>"
    )
    receive(
        source,
        as_bytes(
            ninjs3_item(
                bodies=[{"role": "main", "contentType": "text/html", "value": body}],
                embargoedUntil="2030-01-01T06:00:00Z",
            )
        ),
    )
    return IncomingItem.objects.get()


def test_a_draft_from_an_item_has_its_text_sources_byline_tags_and_embargo(item):
    Tag.objects.create(name="shipping")
    journalist = make_user("Journalist")
    article = write_story(item, by=journalist)

    assert article.status == Article.Status.DRAFT
    assert article.headline == "Harbour strike ends after three days"
    assert article.dek == "Dock workers accept a new offer."
    assert article.body == (
        "<p>Dock workers voted to accept the offer.</p><p>Ships began unloading at noon.</p>"
    )
    assert article.section.name == "World"
    assert sorted(article.tags.names()) == ["Wire", "shipping"]  # "Labour" is no tag yet
    assert article.embargo_until.year == 2030
    assert article.expires_at == item.received_at + timedelta(days=7)
    assert article.created_by == journalist

    source = article.article_sources.get()
    assert source.source == item.source.outlet
    assert source.relation == ArticleSource.Relation.WIRE
    assert source.original_url == "https://wire.example/story/1"
    assert source.original_headline == "Harbour strike ends after three days"

    assert [b.author.name for b in article.bylines.all()] == ["Maria Jensen", "Ole Berg"]
    assert all(b.author.is_guest for b in article.bylines.all())
    assert Revision.objects.filter(article=article).count() == 1
    item.refresh_from_db()
    assert item.used_at is not None
    assert list(item.stories.values_list("article", flat=True)) == [article.pk]


def test_the_agency_byline_is_found_again_by_name_not_duplicated(item):
    journalist = make_user("Journalist")
    write_story(item, by=journalist)
    write_story(item, by=journalist)
    assert Author.objects.filter(name="Maria Jensen").count() == 1


def test_nothing_from_an_item_is_public_until_a_person_publishes(item, client):
    article = write_story(item, by=make_user("Journalist"))
    assert not Article.objects.published().filter(pk=article.pk).exists()
    assert client.get("/").status_code == 200
    assert item.headline not in client.get("/").text


def test_a_user_without_the_right_may_not_write_from_copy(item):
    with pytest.raises(NotAllowed):
        write_story(item, by=make_user(None))
    assert not Article.objects.exists()


def test_a_withdrawn_item_makes_no_story(db):
    source = ingest_source(Kind.NEWSML_G2)
    receive(source, newsml(status="withheld"))
    with pytest.raises(ItemWithdrawn):
        write_story(IncomingItem.objects.get(), by=make_user("Journalist"))
    assert not Article.objects.exists()


def test_the_desk_lists_items_newest_first_with_source_and_first_lines(item, client):
    client.force_login(make_user("Journalist"))
    older = IncomingItem.objects.create(
        source=item.source,
        guid="older",
        headline="An older item",
        body="<p>Old.</p>",
        updated_at=item.updated_at - timedelta(hours=1),
    )
    response = client.get(reverse("admin:ingest_incomingitem_changelist"))
    assert response.status_code == 200
    text = response.text
    assert text.index(item.headline) < text.index(older.headline)
    assert "Dock workers accept a new offer." in text
    assert "Write a story from this" in text


def test_the_desk_filters_items_not_used_yet(item, client):
    journalist = make_user("Journalist")
    client.force_login(journalist)
    write_story(item, by=journalist)
    IncomingItem.objects.create(source=item.source, guid="n", headline="Fresh", body="<p>F</p>")
    response = client.get(reverse("admin:ingest_incomingitem_changelist") + "?used=no")
    assert "Fresh" in response.text
    assert item.headline not in response.text


def test_write_a_story_from_the_desk_opens_the_draft_in_the_article_form(item, client):
    client.force_login(make_user("Journalist"))
    response = client.post(reverse("admin:ingest_incomingitem_write", args=[item.pk]))
    article = Article.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:articles_article_change", args=[article.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert "A draft was made from" in page.text

    preview = client.get(reverse("admin:ingest_incomingitem_change", args=[item.pk]))
    assert article.headline in preview.text  # the item lists the drafts made from it


def test_write_needs_a_post_and_the_right(item, client):
    url = reverse("admin:ingest_incomingitem_write", args=[item.pk])
    client.force_login(make_user("Journalist"))
    assert client.get(url).url == reverse("admin:ingest_incomingitem_change", args=[item.pk])
    staff_without_rights = make_user(None)
    staff_without_rights.is_staff = True
    staff_without_rights.save()
    client.force_login(staff_without_rights)
    assert client.post(url).status_code == 403
    assert not Article.objects.exists()


def test_an_updated_item_flags_its_story_with_a_diff(db, client):
    source = ingest_source(Kind.NEWSML_G2)
    receive(source, newsml(version=1, headline="First headline"))
    journalist = make_user("Journalist")
    article = write_story(IncomingItem.objects.get(), by=journalist)
    client.force_login(journalist)
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    assert "see what changed" not in client.get(change_url).text

    receive(source, newsml(version=2, headline="Second headline"))
    page = client.get(change_url)
    assert "made from “Second headline” (Wire newsml_g2): the agency updated the item at" in (
        page.text
    )
    assert "see what changed" in page.text
    use = StoryFromItem.objects.get()
    diff = client.get(reverse("admin:ingest_incomingitem_changes", args=[use.item_id, article.pk]))
    assert diff.status_code == 200
    assert "<del>First</del><ins>Second</ins>" in diff.text


def test_a_killed_item_is_flagged_on_every_story_made_from_it(db, client):
    source = ingest_source(Kind.NEWSML_G2)
    receive(source, newsml(version=1))
    item = IncomingItem.objects.get()
    journalist, editor = make_user("Journalist"), make_user("Editor")
    first = write_story(item, by=journalist)
    second = write_story(item, by=editor)
    receive(source, newsml(version=2, status="canceled"))
    client.force_login(editor)
    for article in (first, second):
        page = client.get(reverse("admin:articles_article_change", args=[article.pk]))
        assert "the agency withdrew the item at" in page.text
        assert "(canceled by the agency)" in page.text
