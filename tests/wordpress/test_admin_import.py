"""An editor imports a small site from the admin: the import runs as a task and the page
shows its progress and report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.models import Article
from tests.factories import make_user
from wordpress.models import ImportRun

from .conftest import EXPORT

pytestmark = pytest.mark.django_db
ADD = reverse("admin:wordpress_importrun_add")


def upload(client, content, name="harbour-times.xml"):
    return client.post(ADD, {"upload": SimpleUploadedFile(name, content, "text/xml")})


def test_editor_uploads_an_export_and_sees_the_report(client, django_capture_on_commit_callbacks):
    client.force_login(make_user("Editor", username="tom"))
    page = client.get(ADD)
    assert page.status_code == 200
    assert "Import from WordPress" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, EXPORT.read_bytes())
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:wordpress_importrun_change", args=[run.pk])
    assert run.state == ImportRun.State.DONE
    assert run.posts_done == run.posts_total == 10
    assert bytes(run.export) == b""  # drafts and e-mail addresses are not kept
    assert Article.objects.filter(slug="summit-opens", status="published").exists()
    page = client.get(response["Location"]).content.decode()
    assert "Posts: imported 7, skipped 5, failed 1" in page
    assert "no --uploads folder given" in page
    assert 'http-equiv="refresh"' not in page


def test_a_running_import_page_refreshes_itself(client):
    client.force_login(make_user("Editor", username="tom"))
    run = ImportRun.objects.create(
        file_name="x.xml", export=b"<rss/>", posts_total=10, posts_done=3
    )
    page = client.get(reverse("admin:wordpress_importrun_change", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    assert '<progress value="3" max="10">' in page


def test_a_broken_export_is_reported_on_the_page(client, django_capture_on_commit_callbacks):
    client.force_login(make_user("Editor", username="tom"))
    text = EXPORT.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, text[: len(text) // 2])
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.FAILED
    assert "the export is incomplete (cut off)" in run.error
    assert Article.objects.count() == 0


def test_a_file_that_is_not_xml_is_refused_by_the_form(client):
    client.force_login(make_user("Editor", username="tom"))
    response = upload(client, b"PK\x03\x04 a zip file", name="export.zip")
    assert response.status_code == 200
    assert "This is not an XML file." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_journalists_may_not_import(client):
    client.force_login(make_user("Journalist", username="ana"))
    assert client.get(ADD).status_code == 403
    assert upload(client, EXPORT.read_bytes()).status_code == 403
    assert not ImportRun.objects.exists()
