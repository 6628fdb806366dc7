"""Every picture lists its stored renditions on its own row, so pages draw pictures without
asking for renditions; the Rendition rows stay the source of truth."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from articles import images
from articles.models import Image, Rendition
from tests.factories import make_article

from .public_helpers import jpeg_bytes, json_ld


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pictured(alt_text="Harbour cranes at dusk", width=1000, height=600):
    image = Image(alt_text=alt_text)
    image.file.save("picture.jpg", ContentFile(jpeg_bytes(width, height)), save=False)
    image.save()
    images.make_renditions(image)
    return image


def index_from_rows(image):
    """What the index should say, worked out from the Rendition rows and the stored files."""
    return sorted(
        (
            r.crop,
            r.format,
            r.width,
            r.height,
            r.file.name,
            default_storage.size(r.file.name),
        )
        for r in Rendition.objects.filter(image=image)
    )


def index_entries(image):
    return sorted(
        (e["crop"], e["format"], e["width"], e["height"], e["name"], e["size"])
        for e in Image.objects.get(pk=image.pk).rendition_index
    )


def test_making_renditions_lists_each_of_them_with_its_size_on_the_image(db):
    image = pictured()
    assert image.renditions.count() > 0
    assert index_entries(image) == index_from_rows(image)
    assert image.rendition_index == Image.objects.get(pk=image.pk).rendition_index


def test_a_picture_renders_from_a_freshly_loaded_image_without_asking_for_renditions(db):
    image = Image.objects.get(pk=pictured().pk)
    with CaptureQueriesContext(connection) as captured:
        html = Template('{% load images %}{% picture image crop="16x9" %}').render(
            Context({"image": image})
        )
    assert not captured.captured_queries
    rendition = Rendition.objects.get(image=image, spec="16x9-w800", format="jpeg")
    assert f"{rendition.file.url} 800w" in html
    assert 'type="image/webp"' in html


def test_saving_a_copy_loaded_before_the_renditions_were_made_keeps_the_list(db):
    image = Image(alt_text="Ferry at the quay")
    image.file.save("ferry.jpg", ContentFile(jpeg_bytes(900, 500)), save=False)
    image.save()
    stale = Image.objects.get(pk=image.pk)
    images.make_renditions(Image.objects.get(pk=image.pk))
    stale.caption = "The morning ferry."
    stale.save()
    assert index_entries(image) == index_from_rows(image)
    assert index_entries(image)


def test_moving_the_focal_point_lists_the_new_crops_not_the_old(
    db, django_capture_on_commit_callbacks
):
    image = pictured()
    old_names = {e["name"] for e in image.rendition_index}
    image.focal_x = 0.1
    with django_capture_on_commit_callbacks(execute=True):
        image.save()
    assert index_entries(image) == index_from_rows(image)
    square = Image.objects.get(pk=image.pk).rendition("1x1", 480)
    assert square is not None and square.name not in old_names


def test_the_migration_fills_the_list_from_existing_renditions(db):
    image = pictured()
    expected = index_entries(image)
    Image.objects.filter(pk=image.pk).update(rendition_index=[])
    migration = importlib.import_module("articles.migrations.0009_image_rendition_index")
    migration.fill_rendition_index(apps, None)
    assert index_entries(image) == expected


def test_a_restored_backup_lists_the_renditions_again(db, tmp_path):
    from django.contrib.contenttypes.models import ContentType

    image = pictured()
    expected = index_entries(image)
    call_command("export_newsroom", str(tmp_path / "backup"), stdout=io.StringIO())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    try:
        call_command("import_newsroom", str(tmp_path / "backup"), stdout=io.StringIO())
        restored = Image.objects.get(alt_text="Harbour cranes at dusk")
        assert index_entries(restored) == expected
    finally:
        ContentType.objects.clear_cache()


def test_feed_enclosure_gives_the_rendition_length_and_type(client, db):
    image = pictured()
    make_article(headline="Cranes return to the harbour", lead_image=image)
    rendition = image.rendition("16x9", 1200)
    feed = client.get("/feeds/latest/rss/").content.decode()
    assert f'url="https://news.example{rendition.url}"' in feed
    assert f'length="{default_storage.size(rendition.name)}"' in feed
    assert 'type="image/jpeg"' in feed


def news_article(page):
    return next(block for block in json_ld(page) if block["@type"] == "NewsArticle")


def test_social_card_and_structured_data_use_rendition_addresses(client, db):
    image = pictured(width=1600, height=900)
    article = make_article(headline="Cranes return to the harbour", lead_image=image)
    page = client.get(article.get_absolute_url()).content.decode()
    wide = image.rendition("16x9", 1200)
    square = image.rendition("1x1", 1200)
    assert f'<meta property="og:image" content="https://news.example{wide.url}">' in page
    assert news_article(page)["image"] == [
        f"https://news.example{wide.url}",
        f"https://news.example{square.url}",
    ]
