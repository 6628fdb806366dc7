"""Importing the test export (a small WordPress site with every status, post type,
shortcode and attachment case) as a user would: through the command."""

from datetime import UTC, datetime

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag, TaggedItem

from articles import revisions
from articles.models import Article, ArticleEvent, Byline, Image, Revision, Section
from articles.sanitize import sanitize_body
from authors.models import Author
from bench import wxr as generated
from wordpress.importer import Importer
from wordpress.models import OldAddress, WordPressPost

from .conftest import EXPORT, run_import

Status = Article.Status
pytestmark = pytest.mark.django_db


def article(slug):
    return Article.objects.get(slug=slug)


def test_published_post_keeps_its_date_section_tags_bylines_and_seo(imported):
    story = article("summit-opens")
    assert story.status == Status.PUBLISHED
    assert story.publish_at == datetime(2019, 5, 14, 8, 0, tzinfo=UTC)
    assert story.first_published_at == story.publish_at
    assert story.is_live
    assert story.headline == "Leaders meet on the quay as the summit opens"
    assert story.dek == "The first session was held in a converted warehouse on the old quay."
    # The first category is the section; the second and the tags are tags.
    assert story.section.name == "Harbour & Shipping"
    assert story.section.slug == "harbour"
    assert sorted(story.tags.names()) == ["Council", "NATO"]
    # Co-Authors Plus: the WordPress user and the guest author, in the export's order.
    assert [b.author.name for b in story.bylines.order_by("position")] == [
        "Mette Hansen",
        "Ingrid Dahl",
    ]
    guest = Author.objects.get(name="Ingrid Dahl")
    assert guest.user is None
    assert guest.bio == "Ingrid Dahl covers shipping for the Nordic Freight Review."
    # Yoast's template variables are filled in.
    assert story.seo_title == "Summit opens on the quay – The Harbour Times"
    assert story.meta_description == "Leaders met in a converted warehouse on the old quay."


def test_each_status_and_post_type_becomes_the_right_state_or_is_skipped(imported):
    assert article("dredging-vote").status == Status.PUBLISHED
    scheduled = article("ferry-timetable")
    assert scheduled.status == Status.PUBLISHED and scheduled.is_scheduled
    assert scheduled.publish_at == datetime(2030, 6, 1, 6, 0, tzinfo=UTC)
    assert article("draft-the-new-lighthouse-keeper").status == Status.DRAFT
    assert article("cruise-ship-numbers").status == Status.IN_REVIEW
    assert article("staff-rota").status == Status.DRAFT  # private
    # Password-protected text was never public: a draft, and the history says why.
    protected = article("harbour-accounts")
    assert protected.status == Status.DRAFT
    assert "Password-protected" in protected.events.get().note
    assert Article.objects.count() == 7
    for skipped in ("old-post", "auto-draft", "about", "home", "footer", "too-long"):
        assert not Article.objects.filter(slug__startswith=skipped).exists()
    assert "skipped, in the trash: 1" in imported
    assert "skipped, auto-draft: 1" in imported
    assert "skipped, post type “page”: 1" in imported
    assert "skipped, post type “nav_menu_item”: 1" in imported
    assert "skipped, post type “wp_template_part”: 1" in imported


def test_every_imported_story_has_an_import_event_and_a_revision(imported):
    for story in Article.objects.all():
        event = story.events.get()
        assert event.action == "import"
        assert event.actor is None
        assert "Imported from WordPress" in event.note
        assert event.to_status == story.status
        assert story.revisions.count() == 1


def test_body_goes_through_the_editors_sanitiser_with_captions_and_links(imported):
    body = article("summit-opens").body
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body
    assert "wp:paragraph" not in body  # block editor comments
    assert "harbour-times.example/wp-content" not in body
    assert "Pictures in post bodies: 2, now figures of the image library" in imported
    # Embeds (block, [embed]) are kept as links.
    assert '<a href="https://www.youtube.com/watch?v=abc123"' in body
    assert '<a href="https://twitter.com/harbourtimes/status/1128"' in body
    # Other shortcodes go, their writer's text stays; the report counts them.
    assert "[gallery" not in body and "[contact-form-7" not in body and "[pullquote" not in body
    assert "<p>Nobody expected the ferries to stop.</p>" in body
    assert "Shortcodes removed: [contact-form-7] ×1, [gallery] ×1, [pullquote] ×1." in imported
    assert "Embeds kept as links: 3." in imported


def test_classic_post_gets_paragraphs_and_keeps_bracketed_text(imported):
    body = article("dredging-vote").body
    assert body.startswith("<p>The council voted 9 to 4 on Monday")
    assert "<p>Work starts in the autumn.<br>The harbour master" in body
    assert "said [sic] the cost" in body
    assert '<a href="https://www.youtube.com/watch?v=dredge42"' in body


def test_featured_image_becomes_the_lead_image_and_a_missing_file_is_reported(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        imported = run_import()
    lead = article("summit-opens").lead_image
    assert lead.alt_text == "Two leaders shake hands on the harbour quay"
    assert lead.caption == "Leaders walk along the quay before the summit."
    assert lead.width == 1200 and lead.rendition_index  # renditions made
    assert Image.objects.count() == 2
    assert "Pictures not found: 1" in imported
    assert "crane-at-night.jpg: file not found" in imported
    # The post lacking its picture still imported.
    assert "crane" not in article("dredging-vote").body


def test_without_uploads_pictures_are_reported_and_a_later_run_brings_them_in(db):
    first = run_import(uploads=None)
    assert Image.objects.count() == 0
    assert "no --uploads folder given" in first
    assert article("summit-opens").lead_image is None
    second = run_import()
    assert "Posts: imported 0, updated 1," in second
    assert article("summit-opens").lead_image.alt_text == (
        "Two leaders shake hands on the harbour quay"
    )
    assert Image.objects.count() == 2


def test_failed_post_is_reported_by_title_and_the_others_import(imported):
    assert "Failed posts “A headline far too long for any front page" in imported
    assert "(WordPress id 210): The title is 236 characters long; at most 200 fit." in imported
    assert "Posts: imported 7, skipped 5, failed 1" in imported


def test_a_post_failing_in_the_database_leaves_nothing_half_saved(db, monkeypatch):
    real = Byline.objects.bulk_create

    def failing(objs, *args, **kwargs):
        objs = list(objs)
        if any(byline.article.slug == "dredging-vote" for byline in objs):
            raise DatabaseError("disk full")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(Byline.objects, "bulk_create", failing)
    report = run_import()
    assert (
        "Failed posts “Council votes to dredge the inner basin” (WordPress id 202): disk full"
        in (report)
    )
    assert not Article.objects.filter(headline__startswith="Council votes").exists()
    assert not ArticleEvent.objects.filter(note__contains="post 202").exists()
    assert not WordPressPost.objects.filter(post_id=202).exists()
    assert Article.objects.count() == 6


def test_a_batch_whose_shared_write_fails_for_one_post_imports_the_others_whole(
    db, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = media = tmp_path / "media"
    # The revisions are written after the batch's events, bylines and tags: all of the failed
    # post's rows must go, and every other post must keep all of its own.
    real = Revision.objects.bulk_create

    def failing(objs, *args, **kwargs):
        objs = list(objs)
        if any(revision.article.slug == "dredging-vote" for revision in objs):
            raise DatabaseError("disk full")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(Revision.objects, "bulk_create", failing)
    report = run_import()
    assert "(WordPress id 202): disk full" in report
    assert "Posts: imported 6, skipped 5, failed 2" in report
    assert not Article.objects.filter(headline__startswith="Council votes").exists()
    assert not ArticleEvent.objects.filter(note__contains="post 202").exists()
    assert not WordPressPost.objects.filter(post_id=202).exists()
    assert not OldAddress.objects.filter(path__endswith="p=202").exists()
    stories = Article.objects.all()
    assert len(stories) == 6
    assert not TaggedItem.objects.exclude(object_id__in=[story.pk for story in stories]).exists()
    for story in stories:
        assert story.events.count() == 1
        assert story.revisions.count() == 1
        assert story.bylines.exists()
        assert WordPressPost.objects.filter(article=story).exists()
        assert OldAddress.objects.filter(article=story).exists()
    # The pictures the rolled-back pass brought in were brought in again, their files once.
    assert Image.objects.count() == 2
    files = sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())
    assert files == sorted(image.file.name for image in Image.objects.all())


def test_imported_revisions_hold_the_snapshot_the_editors_save_would(imported, export_copy):
    for story in Article.objects.all():
        assert story.revisions.get().data == revisions.snapshot(story)
    text = export_copy.read_text(encoding="utf-8")
    export_copy.write_text(text.replace("inner basin", "outer basin"), encoding="utf-8")
    run_import(export_copy)
    story = article("dredging-vote")
    assert story.revisions.count() == 2
    assert story.revisions.order_by("number").last().data == revisions.snapshot(story)


def test_a_batch_of_posts_costs_a_few_queries_a_post_not_one_per_row(db, tmp_path):
    export = tmp_path / "generated.xml"
    generated.main(
        [str(export), "--posts", "60", "--authors", "5", "--tags", "20", "--categories", "4"]
    )
    with CaptureQueriesContext(connection) as captured:
        report = Importer(export).run()
    imported = report.posts["imported"]
    assert imported > 40
    # A post's own statements are its savepoint, slug look-up and article (and a first-use
    # author, tag or section); its other rows are written with the batch's.
    assert len(captured) / imported < 12


def test_dates_without_a_zone_use_the_sites_offset_from_the_export(imported):
    # The draft has only a local time (11:00); the export's other posts are at UTC+02:00.
    draft = article("draft-the-new-lighthouse-keeper")
    assert draft.created_at == datetime(2019, 7, 1, 9, 0, tzinfo=UTC)
    assert "Time zone assumed for dates without one: UTC+02:00" in imported


def test_time_zone_option_names_the_zone_assumed(db):
    report = Importer(str(EXPORT), time_zone="America/New_York").run()
    draft = article("draft-the-new-lighthouse-keeper")
    assert draft.created_at == datetime(2019, 7, 1, 15, 0, tzinfo=UTC)
    text = "\n".join(report.lines())
    assert "America/New_York (given with --time-zone)" in text
    assert "disagree with America/New_York" in text


def test_running_again_changes_nothing(imported):
    before = {
        "articles": list(
            Article.objects.order_by("pk").values_list("pk", "version", "modified_at")
        ),
        "revisions": Revision.objects.count(),
        "events": ArticleEvent.objects.count(),
        "images": Image.objects.count(),
        "authors": Author.objects.count(),
        "sections": Section.objects.count(),
        "tags": Tag.objects.count(),
        "addresses": OldAddress.objects.count(),
    }
    again = run_import()
    after = {
        "articles": list(
            Article.objects.order_by("pk").values_list("pk", "version", "modified_at")
        ),
        "revisions": Revision.objects.count(),
        "events": ArticleEvent.objects.count(),
        "images": Image.objects.count(),
        "authors": Author.objects.count(),
        "sections": Section.objects.count(),
        "tags": Tag.objects.count(),
        "addresses": OldAddress.objects.count(),
    }
    assert after == before
    assert "Posts: imported 0, unchanged 7, skipped 5, failed 1" in again


def test_a_changed_post_is_updated_in_place(imported, export_copy):
    text = export_copy.read_text()
    export_copy.write_text(
        text.replace("Council votes to dredge the inner basin", "Council votes to dredge the basin")
        .replace(
            "<wp:status><![CDATA[draft]]></wp:status>", "<wp:status><![CDATA[publish]]></wp:status>"
        )
        .replace(
            "<wp:post_date_gmt><![CDATA[0000-00-00 00:00:00]]></wp:post_date_gmt>\n"
            "\t\t<wp:post_name><![CDATA[]]></wp:post_name>",
            "<wp:post_date_gmt><![CDATA[2019-07-01 09:00:00]]></wp:post_date_gmt>\n"
            "\t\t<wp:post_name><![CDATA[]]></wp:post_name>",
        )
    )
    report = run_import(export_copy)
    assert "Posts: imported 0, updated 2, unchanged 5" in report
    assert Article.objects.count() == 7
    story = article("dredging-vote")
    assert story.headline == "Council votes to dredge the basin"
    assert story.revisions.count() == 2
    published = article("draft-the-new-lighthouse-keeper")
    assert published.status == Status.PUBLISHED
    assert published.publish_at == datetime(2019, 7, 1, 9, 0, tzinfo=UTC)
    assert published.events.filter(from_status="draft", to_status="published").exists()


def test_a_story_changed_in_newsroom_is_left_alone(imported, export_copy):
    story = article("dredging-vote")
    story.headline = "Council backs dredging"
    story.version += 1
    story.save()
    export_copy.write_text(export_copy.read_text().replace("ending a year", "after a year"))
    report = run_import(export_copy)
    assert "skipped, changed in Newsroom since it was imported: 1" in report
    assert article("dredging-vote").headline == "Council backs dredging"


def test_a_second_site_adds_its_posts(imported):
    report = run_import(EXPORT, "--site-url", "https://weekly.example")
    assert "Posts: imported 7," in report
    assert Article.objects.count() == 14
    assert Article.objects.filter(slug="summit-opens-2").exists()
    # The first site's old addresses stay its own.
    assert "old addresses already used by another site (left as they were): " in report
    assert OldAddress.objects.get(path="/?p=201").article.slug == "summit-opens"


def test_dry_run_reports_and_writes_nothing(db):
    report = run_import(EXPORT, "--dry-run")
    assert report.startswith("Dry run: nothing was written.")
    assert "Posts: imported 7, skipped 5, failed 1" in report
    assert Article.objects.count() == 0
    assert Image.objects.count() == 0
    assert Author.objects.count() == 0
    assert OldAddress.objects.count() == 0


def test_without_a_featured_image_the_first_body_picture_leads(db, export_copy):
    export_copy.write_text(
        export_copy.read_text().replace(
            "<wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>", "<wp:meta_key>x</wp:meta_key>"
        )
    )
    run_import(export_copy)
    assert article("summit-opens").lead_image.alt_text == (
        "Two leaders shake hands on the harbour quay"
    )


def test_body_pictures_become_figures_of_the_image_library(imported):
    story = article("summit-opens")
    chart = Image.objects.get(alt_text="Bar chart of cargo handled each year")
    assert (
        f'<figure class="figure"><img src="{chart.file.url}" '
        f'alt="Bar chart of cargo handled each year" width="640" height="400" '
        f'data-file="{chart.pk}"></figure>'
    ) in story.body
    # The [caption] picture is the featured one: shown once, above the text, with the
    # caption the writer gave it in the body.
    assert story.lead_image.alt_text == "Two leaders shake hands on the harbour quay"
    assert story.body.count("<img") == 1
    assert story.lead_image_caption == "The leaders on the quay on Tuesday. Photo: Mette Hansen"
    # What the editor's sanitiser keeps: saving the story in the editor changes nothing.
    assert sanitize_body(story.body) == story.body


def test_caption_shortcode_becomes_a_figure_with_its_caption(db, export_copy):
    export_copy.write_text(
        export_copy.read_text().replace(
            "<wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[101]]>",
            "<wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[102]]>",
        )
    )
    run_import(export_copy)
    story = article("summit-opens")
    leaders = Image.objects.get(alt_text="Two leaders shake hands on the harbour quay")
    assert story.lead_image.alt_text == "Bar chart of cargo handled each year"
    assert (
        f'<figure class="figure"><img src="{leaders.file.url}" '
        'alt="Two leaders shake hands on the harbour quay" width="1200" height="675" '
        f'data-file="{leaders.pk}"><figcaption>The leaders on the quay on Tuesday. '
        "Photo: Mette Hansen</figcaption></figure>"
    ) in story.body
    assert story.body.count("<img") == 1  # the lead picture is not repeated


def test_a_missing_body_picture_leaves_its_caption_and_is_reported(db, export_copy):
    imported = run_import(export_copy, uploads=None)
    body = article("summit-opens").body
    assert "<img" not in body and "<figure" not in body
    assert "<p>The leaders on the quay on Tuesday. Photo: Mette Hansen</p>" in body
    assert "no --uploads folder given" in imported


def test_a_wxr_1_1_export_imports_the_same(db, export_copy):
    export_copy.write_text(
        export_copy.read_text()
        .replace("http://wordpress.org/export/1.2/", "http://wordpress.org/export/1.1/")
        .replace("<wp:wxr_version>1.2</wp:wxr_version>", "<wp:wxr_version>1.1</wp:wxr_version>")
    )
    report = run_import(export_copy)
    assert "(WXR 1.1)" in report
    assert "Posts: imported 7, skipped 5, failed 1" in report
    assert [b.author.name for b in article("summit-opens").bylines.order_by("position")] == [
        "Mette Hansen",
        "Ingrid Dahl",
    ]


def test_an_import_purges_the_site_once_a_batch_not_once_a_story(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    purged = []
    monkeypatch.setattr("articles.caching.purge_keys", lambda keys, **kw: purged.append(keys))
    with django_capture_on_commit_callbacks(execute=True):
        run_import()
    # The test export is one batch: one purge of the whole site, none per story.
    assert purged == [{"site"}]


def test_an_import_rebuilds_search_vectors_once_a_batch(db, monkeypatch):
    rebuilt = []
    monkeypatch.setattr("articles.search.update_search_vector", lambda pk: rebuilt.append([pk]))
    monkeypatch.setattr(
        "articles.search.rebuild_search_vectors", lambda ids: rebuilt.append(sorted(ids))
    )
    run_import()
    assert rebuilt == [sorted(Article.objects.values_list("pk", flat=True))]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search needs PostgreSQL")
def test_postgres_imported_stories_are_found_by_their_tags_and_guest_authors(db):
    run_import()
    summit = article("summit-opens")
    found = Article.objects.filter(search_vector=SearchQuery("NATO", config="english"))
    assert list(found) == [summit]
    # Bylines are written after the story's own save; the batch's rebuild includes them.
    found = Article.objects.filter(search_vector=SearchQuery("Dahl", config="english"))
    assert summit in found
