"""Hostile uploads through the admin's image form: refused with a clear message and nothing
left in the media folder, or, where the file is a real picture, stored only as clean pixels
under a safe name. The upload is never read whole into memory."""

import io
import os
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import RequestFactory
from django.test.client import ClientHandler
from PIL import Image as PILImage

from articles.models import Image
from tests.factories import make_user

ADD = "/admin/articles/image/add/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def journalist_client(client, db):
    client.force_login(make_user("Journalist"))
    return client


def files_in(root):
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def picture(fmt="JPEG", size=(320, 200), mode="RGB", **options):
    buffer = io.BytesIO()
    PILImage.new(mode, size, (200, 40, 40) if mode == "RGB" else 1).save(buffer, fmt, **options)
    return buffer.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def post(client, name, content, content_type="application/octet-stream"):
    return client.post(
        ADD,
        {
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "alt_text": "A test picture",
            "focal_x": "0.5",
            "focal_y": "0.5",
        },
    )


def form_errors(response):
    form = response.context["adminform"].form
    return " ".join(str(e) for e in form.errors.get("file", []))


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML_THEN_JPEG = b"<html><body><script>alert(1)</script></body></html>" + picture()


REFUSED = {
    "decompression bomb": ("bomb.png", png_claiming(100_000, 100_000), "megapixels"),
    "just over 50 megapixels": ("wide.png", png_claiming(10_001, 5_000), "megapixels"),
    "oversized file": ("huge.jpg", picture()[:-2] + b"\0" * (21 * 1024 * 1024), "20"),
    "truncated image": ("cut.jpg", picture(size=(1200, 800))[:1500], "damaged or incomplete"),
    "svg with script": ("logo.svg", SVG, "SVG"),
    "svg renamed to jpg": ("logo.jpg", SVG, "SVG"),
    "html then jpeg polyglot": ("page.jpg", HTML_THEN_JPEG, "SVG and other drawings made of code"),
    "renamed text file": (
        "notes.jpg",
        b"Meeting notes: call the ministry.\n" * 20,
        "not a picture",
    ),
    "renamed pdf": (
        "scan.jpg",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        "not a picture",
    ),
    "empty file": ("empty.jpg", b"", ""),
    "bmp": ("old.bmp", picture("BMP"), "not a picture"),
    "tiff": ("scan.tiff", picture("TIFF"), "not a picture"),
    "ico": ("favicon.ico", picture("ICO", size=(32, 32)), "not a picture"),
    "ppm": ("raw.ppm", picture("PPM"), "not a picture"),
    "tga": ("game.tga", picture("TGA"), "not a picture"),
    "pcx": ("paint.pcx", picture("PCX"), "not a picture"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_hostile_upload_is_refused_with_a_clear_message_and_leaves_nothing(
    journalist_client, media_root, case
):
    name, content, message = REFUSED[case]
    before = files_in(media_root)
    response = post(journalist_client, name, content)
    assert response.status_code == 200, case  # the form again, not a crash or a redirect
    errors = form_errors(response)
    assert errors, case
    assert message in errors, errors
    assert Image.objects.count() == 0
    assert files_in(media_root) == before


def test_html_inside_a_real_jpeg_is_stored_as_pixels_only(journalist_client, media_root):
    # A JPEG carrying an HTML page in a comment and after its end: a browser sniffing the
    # file must find no markup in what is stored and served.
    polyglot = picture(comment=b"<html><script>alert(1)</script>") + b"<script>alert(2)</script>"
    response = post(journalist_client, "photo.jpg", polyglot)
    assert response.status_code == 302
    stored = Image.objects.get()
    data = Path(stored.file.path).read_bytes()
    assert b"<script" not in data.lower()
    assert b"<html" not in data.lower()
    assert data.startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd.jpg",
        "..\\..\\windows\\evil.jpg",
        "a\x00b.jpg",
        "x" * 300 + ".jpg",
        "photo.jpg.php",
        ".htaccess",
        "<script>.jpg",
        "ünïcødé   spaced name.JPG",
    ],
)
def test_hostile_file_names_are_normalised_inside_the_media_folder(
    journalist_client, media_root, name
):
    response = post(journalist_client, name, picture())
    assert response.status_code == 302, form_errors(response)
    stored = Image.objects.get()
    path = Path(stored.file.path).resolve()
    assert path.is_relative_to(Path(media_root).resolve())
    base = os.path.basename(stored.file.name)
    assert base.endswith(".jpg")
    assert "\x00" not in stored.file.name and ".." not in stored.file.name
    assert "<" not in base and "\\" not in base and " " not in base
    assert len(stored.file.name) <= Image._meta.get_field("file").max_length
    assert files_in(media_root) == [path]


def noisy_png(megabytes):
    """A real picture whose file is about ``megabytes`` big (noise does not compress)."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    noise = PILImage.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


def test_large_uploads_stream_to_a_temporary_file_not_memory(db):
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    request = RequestFactory().post(
        ADD, {"file": SimpleUploadedFile("big.png", noisy_png(4), content_type="image/png")}
    )
    assert isinstance(request.FILES["file"], TemporaryUploadedFile)


def test_a_15_megabyte_upload_is_never_read_whole_into_memory(client, db, media_root):
    client.force_login(make_user("Journalist"))
    content = noisy_png(15)
    assert len(content) > 14 * 1024 * 1024
    # Build the request before measuring: the test's own copy of the body is not the server's.
    request = RequestFactory().post(
        ADD,
        {
            "file": SimpleUploadedFile("big.png", content, content_type="image/png"),
            "alt_text": "Noise",
            "focal_x": "0.5",
            "focal_y": "0.5",
        },
        HTTP_COOKIE=f"{django_settings.SESSION_COOKIE_NAME}={client.session.session_key}",
    )
    del content
    environ = request.environ
    handler = ClientHandler(enforce_csrf_checks=False)
    tracemalloc.start()
    try:
        response = handler(environ)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 302, response.content[:500]
    assert Image.objects.count() == 1
    # Python-side allocations while parsing, checking and re-encoding a 15 MB upload stay far
    # below its size: chunks, never the whole file.
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
