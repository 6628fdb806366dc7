"""Backup and restore: export the whole newsroom, wipe it, import it, and find it all again."""

import io
import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from articles.backup import _rows, backup_models, collect
from articles.models import (
    Article,
    ArticleEvent,
    ArticleRedirect,
    Correction,
    Image,
    InternalNote,
    PreviewLink,
    Revision,
    SectionRedirect,
)
from authors.models import Author, AuthorLink
from tests.factories import make_user


def snapshot():
    """Every backed-up row (references by natural key where ids may change) and file bytes."""
    rows = {model._meta.label: _rows(model) for model in backup_models()}
    _, names, _ = collect()
    files = {}
    for name in names:
        with default_storage.open(name, "rb") as fh:
            files[name] = fh.read()
    return rows, files


@pytest.fixture(autouse=True)
def _forget_content_type_ids():
    """A flush re-creates content types under new ids; once the test's transaction rolls
    back, the cached ids would point at nothing for every later test."""
    from django.contrib.contenttypes.models import ContentType

    yield
    ContentType.objects.clear_cache()


def wipe():
    """Empty every table, as a freshly created database would be."""
    if connection.vendor == "postgresql":
        # Inside the test's transaction, foreign-key checks are still pending; TRUNCATE
        # refuses to run until they have been made.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def full_newsroom(demo):
    """The demo newsroom plus one of every record the demo lacks."""
    editor = make_user("Editor", username="backup-editor")
    article = Article.objects.published().filter(lead_image__isnull=False).first()
    assert article is not None
    Revision.objects.create(
        article=article, number=99, status=article.status, data={"headline": article.headline}
    )
    Correction.objects.create(
        article=article, text="An earlier version misspelt a name.", created_by=editor
    )
    ArticleEvent.objects.create(
        article=article,
        action="publish",
        from_status="in_review",
        to_status="published",
        actor=editor,
        note="Checked twice.",
    )
    InternalNote.objects.create(article=article, author=editor, text="Call the ministry back.")
    ArticleRedirect.objects.create(article=article, old_path="/world/2020/01/01/old-slug/")
    SectionRedirect.objects.create(section=article.section, old_slug="world-news")
    PreviewLink.objects.create(
        article=article,
        revision=article.revisions.get(number=99),
        created_by=editor,
        expires_at=timezone.now() + timedelta(hours=3),
    )
    AuthorLink.objects.get_or_create(
        author=Author.objects.first(), label="Mastodon", url="https://social.example/@x"
    )
    return article


def test_export_flush_import_restores_every_row_and_every_picture_byte(full_newsroom, tmp_path):
    before_rows, before_files = snapshot()
    assert before_files, "the demo newsroom should have pictures"
    for label in [
        "articles.Byline",
        "articles.ArticleSource",
        "articles.RelatedArticle",
        "articles.Correction",
        "articles.Revision",
        "articles.ArticleEvent",
        "taggit.TaggedItem",
        "authors.AuthorLink",
        "auth.User",
        "articles.Image",
    ]:
        assert before_rows[label], f"nothing to prove for {label}"

    call_command("export_newsroom", str(tmp_path / "backup"), stdout=io.StringIO())
    wipe()
    for name in before_files:
        default_storage.delete(name)
    assert not Article.objects.exists()

    out = io.StringIO()
    call_command("import_newsroom", str(tmp_path / "backup"), stdout=out)

    after_rows, after_files = snapshot()
    assert after_rows == before_rows
    assert after_files == before_files
    assert "Imported" in out.getvalue()
    # The restored logins still work and keep their roles.
    editor = Author.objects.get(user__username="backup-editor").user
    assert editor.check_password("correct horse battery staple")
    assert editor.has_perm("articles.publish_article")


def test_single_json_file_backup_carries_the_pictures_inside_it(full_newsroom, tmp_path):
    before_rows, before_files = snapshot()
    target = tmp_path / "newsroom-backup.json"
    call_command("export_newsroom", str(target), stdout=io.StringIO())
    document = json.loads(target.read_text())
    assert set(document["files"]) == set(before_files)
    assert all("base64" in entry for entry in document["files"].values())

    wipe()
    for name in before_files:
        default_storage.delete(name)
    call_command("import_newsroom", str(target), stdout=io.StringIO())
    assert snapshot() == (before_rows, before_files)


def test_restored_newsroom_accepts_new_articles_without_id_collisions(full_newsroom, tmp_path):
    call_command("export_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    highest = Article.objects.order_by("-pk").first().pk
    wipe()
    call_command("import_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    created = Article.objects.create(headline="After the restore", slug="after-the-restore")
    assert created.pk > highest


def test_import_refuses_a_newsroom_that_already_has_content(full_newsroom, tmp_path):
    call_command("export_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    count = Article.objects.count()
    with pytest.raises(CommandError, match="already has content"):
        call_command("import_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    assert Article.objects.count() == count


def test_a_damaged_picture_in_the_backup_changes_nothing(full_newsroom, tmp_path):
    call_command("export_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    picture = next((tmp_path / "b" / "media").rglob("*.*"))
    picture.write_bytes(picture.read_bytes()[:-10])
    wipe()
    with pytest.raises(CommandError, match="damaged"):
        call_command("import_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    assert not Article.objects.exists()
    assert not Image.objects.exists()


def test_export_refuses_to_write_into_a_folder_that_is_not_empty(db, tmp_path):
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_newsroom", str(tmp_path), stdout=io.StringIO())
    assert (tmp_path / "old.txt").read_text() == "keep me"


def test_import_names_a_file_that_is_not_a_backup(db, tmp_path):
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="not a newsroom backup"):
        call_command("import_newsroom", str(bogus), stdout=io.StringIO())


def test_a_backup_cannot_write_outside_the_media_folder(db, tmp_path):
    target = tmp_path / "evil.json"
    call_command("export_newsroom", str(target), stdout=io.StringIO())
    document = json.loads(target.read_text())
    document["files"]["../../escape.txt"] = {"sha256": "0", "base64": ""}
    target.write_text(json.dumps(document))
    with pytest.raises(CommandError):
        call_command("import_newsroom", str(target), stdout=io.StringIO())
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.postgres
def test_restored_articles_are_found_by_full_text_search(full_newsroom, tmp_path, client):
    if connection.vendor != "postgresql":
        pytest.skip("full-text search runs on PostgreSQL")
    call_command("export_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    wipe()
    call_command("import_newsroom", str(tmp_path / "b"), stdout=io.StringIO())
    response = client.get("/search/", {"q": "liaison office Tokyo"})
    assert "NATO to open first Asian liaison office in Tokyo" in response.text
