"""Pictures: what uploads are refused, what readers can download, and the renditions."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage

from articles import images
from articles.models import Image
from tests.factories import make_user

GPS_IFD = ExifTags.IFD.GPSInfo


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root):
    root = Path(media_root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def picture_bytes(size=(1600, 900), fmt="JPEG", colour=(30, 90, 160), mode="RGB", **save):
    picture = PILImage.new(mode, size, colour)
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **save)
    return buffer.getvalue()


def photo_with_gps_and_rotation(size=(400, 200)):
    """A camera JPEG: stored sideways with Orientation=6 (rotate 90° clockwise) and GPS."""
    picture = PILImage.new("RGB", size, (200, 40, 40))
    # Mark the top-left corner so the rotation can be checked.
    picture.paste((0, 255, 0), (0, 0, 40, 40))
    exif = picture.getexif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Camera"
    exif.get_ifd(GPS_IFD).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (35.0, 41.0, 22.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (139.0, 41.0, 30.0),
        }
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, comment=b"<html><script>alert(1)</script></html>")
    return buffer.getvalue()


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def saved_image(content, name="photo.jpg", **extra):
    image = Image(alt_text=extra.pop("alt_text", "A test picture"), **extra)
    image.file = images.prepare_upload(upload(name, content))
    image.save()
    return image


def png_header_claiming(width, height):
    """A tiny PNG whose header claims a huge size: a decompression bomb's calling card."""
    raw = bytearray(picture_bytes(size=(8, 8), fmt="PNG", mode="L", colour=0))
    ihdr = struct.pack(">II", width, height) + bytes(raw[24:29])
    raw[16:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(raw)


# The original readers can download --------------------------------------------------------------


def test_stored_original_is_upright_and_has_no_gps_or_any_exif(db):
    image = saved_image(photo_with_gps_and_rotation())
    with PILImage.open(image.file.path) as stored:
        exif = stored.getexif()
        assert len(exif) == 0
        assert not exif.get_ifd(GPS_IFD)
        assert "exif" not in stored.info and "comment" not in stored.info
        # Orientation 6 applied: the 400×200 picture is now 200×400, marker top-right.
        assert stored.size == (200, 400)
        r, g, b = stored.convert("RGB").getpixel((195, 5))
        assert g > 200 and r < 60
    assert (image.width, image.height) == (200, 400)


def test_html_hidden_in_a_jpeg_does_not_reach_the_stored_file(db):
    image = saved_image(photo_with_gps_and_rotation())
    assert b"<script" not in Path(image.file.path).read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\evil.jpg", "evil.jpg"),
        ("nul\x00byte.jpg", "nulbyte.jpg"),
        ("x" * 300 + ".jpg", "x" * 50 + ".jpg"),
        ("Grüße aus Tōkyō.PNG", "grue-aus-tokyo.jpg"),
        ("../", "image.jpg"),
    ],
)
def test_file_names_are_made_short_and_safe(name, expected):
    assert images.safe_name(name, "jpg") == expected


def test_uploaded_name_keeps_no_path_and_the_extension_follows_the_content(db):
    image = saved_image(picture_bytes(fmt="PNG"), name="../../../tmp/holiday.jpg")
    assert image.file.name.startswith("images/")
    assert image.file.name.endswith("/holiday.png")
    assert ".." not in image.file.name


# Refusals ----------------------------------------------------------------------------------------

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.svg", SVG, "SVG and other drawings made of code are not accepted"),
        ("logo.png", SVG, "SVG and other drawings made of code are not accepted"),
        ("report.jpg", b"%PDF-1.7 not a picture at all" * 20, "This file is not a picture"),
        ("page.jpg", b"<html><body>hi</body></html>", "not accepted"),
        ("photo.jpg", picture_bytes()[:600], "damaged or incomplete"),
        ("photo.png", picture_bytes(fmt="PNG", size=(300, 300))[:-40], "damaged or incomplete"),
        ("photo.bmp", picture_bytes(fmt="BMP", size=(10, 10)), "This file is not a picture"),
        ("bomb.png", png_header_claiming(40_000, 40_000), "too many pixels"),
        ("huge.png", png_header_claiming(10_000, 5_001), "10000 × 5001 pixels"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(db, media_root, name, content, message):
    with pytest.raises(ValidationError) as refused:
        images.prepare_upload(upload(name, content))
    assert message in refused.value.messages[0]
    assert stored_files(media_root) == []


def test_an_upload_over_20_megabytes_is_refused_before_it_is_read(db):
    big = upload("big.jpg", b"\xff\xd8" + b"\0" * (25 * 1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        images.prepare_upload(big)
    message = refused.value.messages[0].replace("\xa0", " ")
    assert message == "This file is 25.0 MB; pictures may be at most 20.0 MB."


def test_a_picture_of_exactly_50_megapixels_header_passes_the_size_check():
    # 10000 × 5000 is the limit itself; refusing it would be off by one.
    with pytest.raises(ValidationError) as refused:
        images.prepare_upload(upload("edge.png", png_header_claiming(10_000, 5_000)))
    assert "damaged or incomplete" in refused.value.messages[0]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "AVIF"])
def test_every_accepted_format_is_stored(db, fmt):
    image = saved_image(picture_bytes(size=(640, 360), fmt=fmt), name=f"pic.{fmt.lower()}")
    assert (image.width, image.height) == (640, 360)
    with PILImage.open(image.file.path) as stored:
        stored.load()


# Uploading through the admin --------------------------------------------------------------------


@pytest.fixture
def journalist(db):
    return make_user("Journalist")


def post_image(client, file, alt_text="NATO flags outside the summit venue"):
    return client.post(
        reverse("admin:articles_image_add"),
        {"file": file, "alt_text": alt_text, "caption": "", "focal_x": 0.5, "focal_y": 0.5},
    )


def test_journalist_uploads_a_picture_and_sees_its_preview(
    client, journalist, django_capture_on_commit_callbacks
):
    client.force_login(journalist)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_image(client, upload("summit.jpg", photo_with_gps_and_rotation()))
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.uploaded_by == journalist
    assert image.renditions.exists()
    page = client.get(reverse("admin:articles_image_change", args=[image.pk]))
    assert 'class="newsroom-thumb"' in page.content.decode()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("x.svg", SVG, "image/svg+xml"), "SVG and other drawings"),
        (upload("x.jpg", b"just text, renamed"), "This file is not a picture"),
        (upload("x.jpg", picture_bytes()[:700]), "damaged or incomplete"),
    ],
)
def test_admin_refuses_bad_uploads_and_keeps_nothing(client, journalist, media_root, file, message):
    client.force_login(journalist)
    response = post_image(client, file)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["file"])
    assert not Image.objects.exists()
    assert stored_files(media_root) == []


def test_alt_text_is_required_before_a_picture_saves(client, journalist, media_root):
    client.force_login(journalist)
    response = post_image(client, upload("summit.jpg", picture_bytes()), alt_text="   ")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["alt_text"]
    assert not Image.objects.exists()
    assert stored_files(media_root) == []


# Renditions --------------------------------------------------------------------------------------


def test_renditions_cover_each_width_crop_and_format_capped_at_the_original(db):
    image = saved_image(picture_bytes(size=(1600, 900)))
    made = images.make_renditions(image)
    specs = {(r.spec, r.format): (r.width, r.height) for r in made}
    for fmt in ("webp", "jpeg"):
        assert specs[("w480", fmt)] == (480, 270)
        assert specs[("w1600", fmt)] == (1600, 900)
        assert specs[("16x9-w1200", fmt)] == (1200, 675)
        assert specs[("1x1-w480", fmt)] == (480, 480)
        assert specs[("1x1-w900", fmt)] == (900, 900)
        assert ("1x1-w1200", fmt) not in specs  # never upscaled
    for rendition in made:
        with PILImage.open(rendition.file.path) as stored:
            assert stored.format == rendition.format.upper()
            assert stored.size == (rendition.width, rendition.height)
            assert not stored.getexif()


def test_making_renditions_twice_makes_nothing_new(db):
    image = saved_image(picture_bytes(size=(800, 450)))
    first = images.make_renditions(image)
    assert first
    assert images.make_renditions(image) == []
    assert image.renditions.count() == len(first)


def test_a_small_picture_gets_one_rendition_at_its_own_width(db):
    image = saved_image(picture_bytes(size=(300, 200)))
    images.make_renditions(image)
    assert sorted(image.renditions.filter(format="jpeg").values_list("spec", flat=True)) == [
        "16x9-w300",
        "1x1-w200",
        "w300",
    ]


def test_a_transparent_picture_falls_back_to_png_not_jpeg(db):
    image = saved_image(
        picture_bytes(size=(600, 400), fmt="PNG", mode="RGBA", colour=(0, 0, 0, 0)), "logo.png"
    )
    images.make_renditions(image)
    assert set(image.renditions.values_list("format", flat=True)) == {"webp", "png"}


def test_focal_point_decides_what_a_square_crop_keeps(db):
    picture = PILImage.new("RGB", (1600, 900), (255, 0, 0))
    picture.paste((0, 0, 255), (800, 0, 1600, 900))  # right half blue
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    for focal_x, expected in [(0.1, "red"), (0.9, "blue")]:
        image = saved_image(buffer.getvalue(), name="halves.png", focal_x=focal_x)
        images.make_renditions(image)
        square = image.renditions.get(spec="1x1-w480", format="jpeg")
        with PILImage.open(square.file.path) as crop:
            r, g, b = crop.convert("RGB").getpixel((240, 240))
        assert (r > b) == (expected == "red"), (focal_x, (r, g, b))


def test_focal_crop_box_stays_inside_the_picture():
    assert images.focal_crop_box(1600, 900, (1, 1), 0.0, 0.5) == (0, 0, 900, 900)
    assert images.focal_crop_box(1600, 900, (1, 1), 1.0, 0.5) == (700, 0, 1600, 900)
    assert images.focal_crop_box(900, 1600, (16, 9), 0.5, 0.0) == (0, 0, 900, 506)


def test_moving_the_focal_point_remakes_the_crops(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = saved_image(picture_bytes(size=(800, 450)))
    before = set(image.renditions.values_list("pk", flat=True))
    assert before
    with django_capture_on_commit_callbacks(execute=True):
        image.focal_x = 0.2
        image.save()
    after = set(image.renditions.values_list("pk", flat=True))
    assert after and not (before & after)


def test_deleting_an_image_deletes_its_files(db, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = saved_image(picture_bytes(size=(800, 450)))
    assert len(stored_files(media_root)) > 1
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    assert stored_files(media_root) == []


# The template tags -------------------------------------------------------------------------------


def render(template, **context):
    return Template("{% load images %}" + template).render(Context(context))


def test_picture_tag_renders_webp_sources_and_a_sized_fallback(db):
    image = saved_image(picture_bytes(size=(1600, 900)), alt_text='Flags & "poles"')
    images.make_renditions(image)
    html = render('{% picture image crop="16x9" sizes="100vw" %}', image=image)
    assert html.startswith('<picture><source type="image/webp" srcset="')
    assert "16x9-w480.webp 480w" in html and "16x9-w1600.webp 1600w" in html
    assert 'srcset="/media/renditions/' in html and "16x9-w800.jpg 800w" in html
    assert 'width="1600" height="900"' in html
    assert 'alt="Flags &amp; &quot;poles&quot;"' in html
    assert 'loading="lazy"' in html
    assert 'sizes="100vw"' in html


def test_picture_tag_loads_eagerly_when_asked(db):
    image = saved_image(picture_bytes(size=(800, 450)))
    images.make_renditions(image)
    html = render("{% picture image crop='1x1' eager=True %}", image=image)
    assert 'loading="eager"' in html and 'fetchpriority="high"' in html
    assert 'width="450" height="450"' in html


def test_picture_tag_shows_the_clean_original_until_renditions_exist(db):
    image = saved_image(picture_bytes(size=(800, 450)))
    html = render("{% picture image %}", image=image)
    assert html.startswith(f'<img src="{image.file.url}" width="800" height="450"')


def test_picture_tag_without_an_image_renders_nothing():
    assert render("{% picture image %}", image=None) == ""


def test_rendition_url_gives_the_open_graph_picture(db):
    image = saved_image(picture_bytes(size=(1600, 900)))
    images.make_renditions(image)
    url = render('{% rendition_url image crop="16x9" width=1200 %}', image=image)
    assert url.endswith("-16x9-w1200.jpg")
    assert render("{{ image|og_image_url }}", image=image) == url
