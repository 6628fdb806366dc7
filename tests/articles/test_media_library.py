"""The media library in the article form: browsing, searching, paging, uploading with alt text,
framing a picture, seeing where it is used, and who may do which."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from articles.admin.media_library import PAGE_SIZE
from articles.models import Article, Image
from tests.factories import make_article, make_section, make_user

from .admin_forms import post_data
from .test_images import picture_bytes, stored_files, upload

BROWSE_URL = "admin:articles_image_library"
UPLOAD_URL = "admin:articles_image_library_upload"
DETAIL_URL = "admin:articles_image_library_detail"
ARTICLE_ADD_URL = "admin:articles_article_add"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def journalist(db):
    return make_user("Journalist")


def image_row(alt_text="A picture", *, age_minutes=0, **extra):
    """An image row without a file on disk: the library only lists rows."""
    image = Image.objects.create(
        file=extra.pop("file", "images/shared.jpg"),
        alt_text=alt_text,
        width=1600,
        height=900,
        **extra,
    )
    if age_minutes:
        Image.objects.filter(pk=image.pk).update(
            created_at=timezone.now() - timedelta(minutes=age_minutes)
        )
    return image


def stored_focal_x(image):
    return Image.objects.filter(pk=image.pk).values_list("focal_x", flat=True).get()


def browse(client, **params):
    response = client.get(reverse(BROWSE_URL), params)
    assert response.status_code == 200
    return response


def listed_ids(response):
    return [int(pk) for pk in re.findall(r'data-image-id="(\d+)"', response.content.decode())]


def upload_data(file, alt_text="NATO flags outside the summit venue", **extra):
    return {
        "library-file": file,
        "library-alt_text": alt_text,
        "library-caption": extra.get("caption", ""),
        "library-credit": extra.get("credit", "Photo: Demo Ledger / Priya Nair"),
        "library-copyright": "",
        "library-focal_x": "0.5",
        "library-focal_y": "0.5",
    }


# Browsing and searching ---------------------------------------------------------------------------


def test_library_lists_newest_pictures_first_with_their_credit(client, journalist):
    older = image_row("Harbour cranes at dawn", credit="Photo: Reuters", age_minutes=60)
    newer = image_row("Flags outside the summit", credit="Photo: AP / Jane Roe")
    client.force_login(journalist)

    response = browse(client)

    assert listed_ids(response) == [newer.pk, older.pk]
    html = response.content.decode()
    assert "Photo: AP / Jane Roe" in html and "Photo: Reuters" in html
    assert "2 pictures, newest first." in html


def test_library_pages_through_pictures_and_survives_odd_page_numbers(client, journalist):
    rows = [image_row(f"Picture {n}", age_minutes=n) for n in range(PAGE_SIZE + 5)]
    client.force_login(journalist)

    first = listed_ids(browse(client))
    second = listed_ids(browse(client, page=2))

    assert first == [image.pk for image in rows[:PAGE_SIZE]]
    assert second == [image.pk for image in rows[PAGE_SIZE:]]
    assert "Page 2 of 2" in browse(client, page=2).content.decode()
    # A page past the end shows the last one; nonsense shows the first.
    assert listed_ids(browse(client, page=99)) == second
    assert listed_ids(browse(client, page="x")) == first


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("summit", ["flags"]),
        ("REUTERS", ["cranes"]),
        ("tokyo office", ["flags"]),
        ("cranes AP", []),
    ],
)
def test_library_search_matches_alt_text_caption_and_credit_with_every_word(
    client, journalist, query, expected
):
    pictures = {
        "flags": image_row("Flags outside the summit", caption="The Tokyo office opens"),
        "cranes": image_row("Harbour cranes at dawn", credit="Photo: Reuters"),
        "other": image_row("Wheat in a field", credit="Photo: AP"),
    }
    client.force_login(journalist)

    response = browse(client, q=query)

    assert listed_ids(response) == [pictures[name].pk for name in expected]
    if not expected:
        assert "No picture matches" in response.content.decode()


def test_library_shows_how_many_articles_lead_with_each_picture(client, journalist):
    used = image_row("Used twice")
    unused = image_row("Never used", age_minutes=5)
    make_article(headline="First story", lead_image=used)
    make_article(headline="Second story", lead_image=used)
    client.force_login(journalist)

    html = browse(client).content.decode()

    usage = r'data-image-id="(\d+)".*?class="nr-media-item-used">([^<]+)<'
    items = dict(re.findall(usage, html, re.S))
    assert items == {str(used.pk): "Lead image of 2 articles", str(unused.pk): "Not used yet"}


def test_library_page_costs_the_same_few_queries_however_many_pictures(
    client, journalist, django_assert_max_num_queries
):
    for n in range(PAGE_SIZE * 2):
        make_article(headline=f"Story {n}", lead_image=image_row(f"Picture {n}"))
    client.force_login(journalist)
    # Session, user, the user's and the groups' permissions; the count, the page, the usage.
    with django_assert_max_num_queries(7):
        browse(client)


# A picture's details and where it is used ---------------------------------------------------------


def test_picture_details_name_the_articles_it_leads(client, journalist):
    image = image_row("Flags outside the summit")
    make_article(headline="NATO to open an office in Tokyo", lead_image=image)
    make_article(headline="Another story")
    client.force_login(journalist)

    response = client.get(reverse(DETAIL_URL, args=[image.pk]))

    assert response.status_code == 200
    html = response.json()["html"]
    assert "NATO to open an office in Tokyo" in html
    assert "Another story" not in html
    assert 'name="picked-focal_x"' in html


def test_moving_the_focal_point_saves_it_and_remakes_the_crops(
    client, journalist, django_capture_on_commit_callbacks
):
    client.force_login(journalist)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(UPLOAD_URL), upload_data(upload("flags.jpg", picture_bytes())))
    image = Image.objects.get()
    old_square = image.rendition("1x1", 480).name

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(DETAIL_URL, args=[image.pk]),
            {
                "picked-alt_text": image.alt_text,
                "picked-caption": "",
                "picked-credit": image.credit,
                "picked-copyright": "",
                "picked-focal_x": "0.9",
                "picked-focal_y": "0.2",
            },
        )

    assert response.status_code == 200, response.content
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (0.9, 0.2)
    assert image.rendition("1x1", 480).name != old_square


def test_a_focal_point_outside_the_picture_is_refused_and_not_saved(client, journalist):
    image = image_row("Flags")
    client.force_login(journalist)

    response = client.post(
        reverse(DETAIL_URL, args=[image.pk]),
        {"picked-alt_text": "Flags", "picked-focal_x": "1.5", "picked-focal_y": "0.5"},
    )

    assert response.status_code == 400
    assert "id_picked-focal_x" in response.json()["errors"]
    assert stored_focal_x(image) == 0.5


def test_details_of_a_missing_picture_are_not_found(client, journalist):
    client.force_login(journalist)
    assert client.get(reverse(DETAIL_URL, args=[987654])).status_code == 404


# Uploading ----------------------------------------------------------------------------------------


def test_journalist_uploads_a_picture_with_alt_text_and_can_frame_it_at_once(
    client, journalist, django_capture_on_commit_callbacks
):
    client.force_login(journalist)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(UPLOAD_URL), upload_data(upload("Summit Flags.JPG", picture_bytes()))
        )

    assert response.status_code == 201, response.content
    image = Image.objects.get()
    assert response.json()["id"] == image.pk
    assert image.uploaded_by == journalist
    assert image.alt_text == "NATO flags outside the summit venue"
    assert image.credit == "Photo: Demo Ledger / Priya Nair"
    assert image.file.name.endswith("summit-flags.jpg")
    assert image.renditions.exists()
    # The answer is the picture's details, ready for the focal point.
    html = response.json()["html"]
    assert "newsroom-focal" in html and 'name="picked-focal_y"' in html


@pytest.mark.parametrize("alt_text", ["", "   \n "])
def test_upload_without_alt_text_is_refused_and_keeps_nothing(
    client, journalist, media_root, alt_text
):
    client.force_login(journalist)

    response = client.post(
        reverse(UPLOAD_URL), upload_data(upload("flags.jpg", picture_bytes()), alt_text=alt_text)
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "id_library-alt_text": ["Describe what the picture shows for readers who cannot see it."]
    }
    assert not Image.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("report.jpg", b"%PDF-1.7 not a picture" * 20), "This file is not a picture"),
        (upload("photo.jpg", picture_bytes()[:600]), "damaged or incomplete"),
        (upload("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "SVG"),
        (upload("big.jpg", b"\xff\xd8" + b"\0" * (21 * 1024 * 1024)), "at most 20.0"),
    ],
    ids=["not a picture", "cut off", "svg", "over 20 MB"],
)
def test_bad_upload_is_refused_with_a_clear_message_and_keeps_nothing(
    client, journalist, media_root, file, message
):
    client.force_login(journalist)

    response = client.post(reverse(UPLOAD_URL), upload_data(file))

    assert response.status_code == 400
    [said] = response.json()["errors"]["id_library-file"]
    assert message in said.replace("\xa0", " ")
    assert not Image.objects.exists()
    assert stored_files(media_root) == []


def test_upload_without_a_file_asks_for_one(client, journalist):
    client.force_login(journalist)
    response = client.post(reverse(UPLOAD_URL), upload_data(""))
    assert response.status_code == 400
    assert response.json()["errors"]["id_library-file"] == ["Choose a picture to upload."]


def test_upload_only_answers_posts(client, journalist):
    client.force_login(journalist)
    assert client.get(reverse(UPLOAD_URL)).status_code == 405


# Who may do what ----------------------------------------------------------------------------------


def staff_without_roles():
    user = make_user(None)
    user.is_staff = True
    user.save()
    return user


def test_staff_without_picture_rights_can_neither_browse_nor_upload(client, db, media_root):
    client.force_login(staff_without_roles())
    image = image_row("Flags")

    assert client.get(reverse(BROWSE_URL)).status_code == 403
    assert client.get(reverse(DETAIL_URL, args=[image.pk])).status_code == 403
    response = client.post(reverse(UPLOAD_URL), upload_data(upload("f.jpg", picture_bytes())))
    assert response.status_code == 403
    assert Image.objects.count() == 1
    assert stored_files(media_root) == []


def test_someone_who_may_only_view_pictures_cannot_change_their_focal_point(client, db):
    viewer = staff_without_roles()
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_image", "view_article"])
    )
    image = image_row("Flags")
    client.force_login(viewer)

    assert client.get(reverse(BROWSE_URL)).status_code == 200
    details = client.get(reverse(DETAIL_URL, args=[image.pk]))
    assert "picked-focal_x" not in details.json()["html"]
    response = client.post(
        reverse(DETAIL_URL, args=[image.pk]),
        {"picked-alt_text": "Flags", "picked-focal_x": "0.1", "picked-focal_y": "0.1"},
    )
    assert response.status_code == 403
    assert stored_focal_x(image) == 0.5


def test_the_library_is_behind_the_admin_login(client, db):
    response = client.get(reverse(BROWSE_URL))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# The article form's field -------------------------------------------------------------------------


def test_article_form_opens_the_library_in_the_page_not_a_popup(client, journalist):
    client.force_login(journalist)

    html = client.get(reverse(ARTICLE_ADD_URL)).content.decode()

    assert "data-media-library" in html
    assert '<dialog class="nr-media"' in html
    assert 'id="add_id_lead_image"' not in html  # the old pop-up's "+" link
    assert 'name="library-file"' in html  # journalists may upload


def test_article_saves_with_the_picture_chosen_in_the_library(client, journalist):
    image = image_row("Flags outside the summit", credit="Photo: AP")
    client.force_login(journalist)
    form = client.get(reverse(ARTICLE_ADD_URL))
    section = make_section("World")
    data = post_data(
        form,
        headline="NATO to open an office in Tokyo",
        body="<p>NATO plans an office.</p>",
        section=section.pk,
        lead_image=image.pk,
    )

    response = client.post(reverse(ARTICLE_ADD_URL), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.lead_image == image
    page = client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    assert b"Change the lead image" in page and b"Photo: AP" in page


def test_a_picture_without_alt_text_cannot_lead_an_article(client, journalist):
    image = image_row("")
    client.force_login(journalist)
    form = client.get(reverse(ARTICLE_ADD_URL))
    section = make_section("World")
    data = post_data(
        form, headline="NATO office", body="<p>Text.</p>", section=section.pk, lead_image=image.pk
    )

    response = client.post(reverse(ARTICLE_ADD_URL), data)

    assert response.status_code == 200
    assert "has no alt text" in " ".join(response.context["adminform"].form.errors["lead_image"])
    assert not Article.objects.exists()


def test_a_story_keeps_a_picture_that_came_without_alt_text_when_edited(client, journalist):
    imported = image_row("")
    client.force_login(journalist)
    article = make_article(
        headline="Imported story",
        status=Article.Status.DRAFT,
        lead_image=imported,
        created_by=journalist,
    )
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = post_data(client.get(change), headline="Imported story, rewritten")

    response = client.post(change, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert (article.headline, article.lead_image) == ("Imported story, rewritten", imported)
