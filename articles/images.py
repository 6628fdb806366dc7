"""Pictures: upload checks, the metadata-free original, and renditions made once per size.

Everything a reader can download is re-encoded by Pillow from pixels alone: EXIF (with the
photographer's GPS position), XMP, comments and ICC blobs never reach the public, and a file
that is both a JPEG and an HTML page comes out as just a JPEG.
"""

import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
# Pillow's own names for what it found inside the file (never the file name).
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "AVIF"}
# What the stored original is re-encoded as, by detected format.
ORIGINAL_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "WEBP", "AVIF": "AVIF"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}

# Renditions: widths for srcset (capped at the picture's own width) per crop.
WIDTHS = (480, 800, 1200, 1600)
CROPS = {"original": None, "16x9": (16, 9), "1x1": (1, 1)}
SPOOL_BYTES = settings.FILE_UPLOAD_MAX_MEMORY_SIZE


@dataclass(frozen=True)
class RenditionSpec:
    crop: str
    width: int
    format: str  # "webp", "jpeg" or "png"

    @property
    def name(self):
        return f"w{self.width}" if self.crop == "original" else f"{self.crop}-w{self.width}"


class StoredRendition(NamedTuple):
    """One entry of `Image.rendition_index`: a stored rendition, known without a query."""

    crop: str
    format: str
    width: int
    height: int
    name: str  # the file's name in storage
    size: int  # bytes

    @property
    def url(self):
        return default_storage.url(self.name)


def crop_of(spec):
    """ "16x9", "1x1" or "original", read from a rendition's spec ("16x9-w800", "w800")."""
    head, _, _ = spec.rpartition("-w")
    return head or "original"


def read_index(entries):
    """`Image.rendition_index` as StoredRendition objects (entries it cannot read are left out)."""
    found = []
    for entry in entries or ():
        try:
            found.append(
                StoredRendition(
                    crop=str(entry["crop"]),
                    format=str(entry["format"]),
                    width=int(entry["width"]),
                    height=int(entry["height"]),
                    name=str(entry["name"]),
                    size=int(entry.get("size") or 0),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


# Upload checks -----------------------------------------------------------------------------------


def safe_name(name, extension):
    """A short file name without paths, NUL bytes or odd characters: "nato-summit.jpg"."""
    base = os.path.basename(str(name).replace("\x00", "").replace("\\", "/"))
    stem = slugify(os.path.splitext(base)[0])[:50].strip("-_") or "image"
    return f"{stem}.{extension}"


def _open_checked(upload):
    """Open ``upload`` with Pillow and refuse anything that is not a safe, whole picture.

    Pillow reads the header lazily from the file object; the pixels are decoded only once
    the dimensions are known to be reasonable.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("This file is %(size)s; pictures may be at most %(max)s.")
            % {"size": filesizeformat(size), "max": filesizeformat(MAX_UPLOAD_BYTES)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    if b"<svg" in head.lower() or head.lstrip().startswith(b"<"):
        raise ValidationError(
            _("SVG and other drawings made of code are not accepted; upload a JPEG or PNG."),
            code="svg",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            picture = PILImage.open(upload, formats=sorted(ACCEPTED_FORMATS))
        except UnidentifiedImageError:
            raise ValidationError(
                _(
                    "This file is not a picture we can use. "
                    "Upload a JPEG, PNG, WebP, GIF or AVIF image."
                ),
                code="not_an_image",
            ) from None
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            raise ValidationError(_too_many_pixels(), code="too_many_pixels") from None
        except (OSError, SyntaxError, ValueError):
            raise ValidationError(_truncated(), code="truncated") from None
        if picture.width * picture.height > MAX_PIXELS:
            raise ValidationError(
                _too_many_pixels(picture.width, picture.height), code="too_many_pixels"
            )
        try:
            picture.load()
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            raise ValidationError(_too_many_pixels(), code="too_many_pixels") from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(_truncated(), code="truncated") from None
    return picture


def _too_many_pixels(width=None, height=None):
    if width and height:
        return _(
            "This picture is %(width)s × %(height)s pixels; at most %(max)s megapixels "
            "are accepted. Resize it and upload it again."
        ) % {"width": width, "height": height, "max": MAX_PIXELS // 1_000_000}
    return _("This picture has too many pixels; at most %(max)s megapixels are accepted.") % {
        "max": MAX_PIXELS // 1_000_000
    }


def _truncated():
    return _("This picture is damaged or incomplete (was the upload cut off?). Upload it again.")


def _has_transparency(picture):
    return picture.mode in {"RGBA", "LA"} and picture.getchannel("A").getextrema()[0] < 255


def _pixels_only(picture):
    """The picture upright, in sRGB, as RGB or RGBA, with no metadata attached at all."""
    picture = ImageOps.exif_transpose(picture)
    icc = picture.info.get("icc_profile")
    if picture.mode == "P":
        picture = picture.convert("RGBA" if "transparency" in picture.info else "RGB")
    elif picture.mode in {"LA", "PA"}:
        picture = picture.convert("RGBA")
    elif picture.mode not in {"RGB", "RGBA", "L"}:
        picture = picture.convert("RGB")
    if icc and picture.mode in {"RGB", "RGBA"}:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            picture = ImageCms.profileToProfile(
                picture, source, ImageCms.createProfile("sRGB"), outputMode=picture.mode
            )
        except (ImageCms.PyCMSError, OSError):
            pass  # An unreadable profile is dropped; the pixels stay as they were.
    clean = picture.copy()
    clean.info = {}
    return clean


def _encode(picture, fmt, target):
    if fmt == "JPEG":
        if picture.mode != "RGB":
            picture = picture.convert("RGB")
        picture.save(target, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        picture.save(target, "PNG", optimize=True)
    elif fmt == "WEBP":
        picture.save(target, "WEBP", quality=80, method=4)
    elif fmt == "AVIF":
        picture.save(target, "AVIF", quality=70)
    else:  # pragma: no cover - the formats above are the only ones produced
        raise ValueError(fmt)


def prepare_upload(upload):
    """Check an uploaded picture and return it re-encoded, upright and metadata-free.

    Raises ValidationError with a message for the person uploading. The result is a File
    backed by a temporary file (in memory while small), named safely after the upload.
    """
    picture = _open_checked(upload)
    detected = picture.format
    fmt = ORIGINAL_FORMAT[detected]
    clean = _pixels_only(picture)
    if fmt == "JPEG" and clean.mode == "RGBA":
        fmt = "PNG"
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the caller
    _encode(clean, fmt, spool)
    spool.seek(0)
    return File(spool, name=safe_name(getattr(upload, "name", "") or "", EXTENSIONS[fmt]))


# Renditions ---------------------------------------------------------------------------------------


def focal_crop_box(width, height, ratio, focal_x=0.5, focal_y=0.5):
    """The largest box of aspect ``ratio`` (w, h) inside the picture, centred on the focus."""
    rw, rh = ratio
    if width * rh > height * rw:  # too wide: cut the sides
        crop_w, crop_h = round(height * rw / rh), height
    else:  # too tall: cut top and bottom
        crop_w, crop_h = width, round(width * rh / rw)
    left = min(max(round(focal_x * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(focal_y * height - crop_h / 2), 0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def widths_for(original_width):
    """The srcset widths for a picture this wide: never upscaled."""
    widths = [w for w in WIDTHS if w <= original_width]
    if not widths or (original_width < WIDTHS[-1] and original_width not in widths):
        widths.append(original_width)
    return sorted(set(widths))


def make_renditions(image, *, replace=False):
    """Create every rendition ``image`` lacks (all of them with ``replace``). Idempotent."""
    # The models are reached through the image: `models` imports this module.
    Rendition = image.renditions.model  # noqa: N806 - a model class

    if replace:
        for rendition in image.renditions.all():
            rendition.delete()
    existing = {(r.spec, r.format) for r in image.renditions.all()}
    image.file.open("rb")
    try:
        with PILImage.open(image.file) as source:
            source.load()
            source = _pixels_only(source)
    finally:
        image.file.close()
    alpha = _has_transparency(source)
    fallback = "png" if alpha else "jpeg"
    made, sizes = [], {}
    for crop, ratio in CROPS.items():
        if ratio is None:
            cropped = source
        else:
            cropped = source.crop(
                focal_crop_box(source.width, source.height, ratio, image.focal_x, image.focal_y)
            )
        for width in widths_for(cropped.width):
            height = max(1, round(cropped.height * width / cropped.width))
            resized = None
            for fmt in ("webp", fallback):
                spec = RenditionSpec(crop, width, fmt)
                if (spec.name, fmt) in existing:
                    continue
                if resized is None:
                    resized = (
                        cropped
                        if width == cropped.width
                        else cropped.resize((width, height), PILImage.Resampling.LANCZOS)
                    )
                    if not alpha and resized.mode != "RGB":
                        resized = resized.convert("RGB")
                buffer = io.BytesIO()
                _encode(resized, fmt.upper(), buffer)
                rendition = Rendition(
                    image=image, spec=spec.name, format=fmt, width=width, height=height
                )
                ext = "jpg" if fmt == "jpeg" else fmt
                rendition.file.save(f"{image.pk}-{spec.name}.{ext}", File(buffer), save=False)
                rendition.save()
                made.append(rendition)
                sizes[rendition.file.name] = buffer.getbuffer().nbytes
    refresh_rendition_index(image, sizes)
    return made


def refresh_rendition_index(image, sizes=None):
    """Write `image.rendition_index` from its Rendition rows, the source of truth.

    ``sizes`` ({file name: bytes}) saves asking the storage about files just written; sizes
    already in the index are kept, so only unknown files are looked up.
    """
    known = {entry.name: entry.size for entry in read_index(image.rendition_index)}
    known.update(sizes or {})
    index = []
    for rendition in image.renditions.order_by("spec", "format"):
        name = rendition.file.name
        if name not in known:
            try:
                known[name] = rendition.file.size
            except OSError:  # a missing file: listed, with an unknown length
                known[name] = 0
        index.append(
            {
                "crop": rendition.crop,
                "format": rendition.format,
                "width": rendition.width,
                "height": rendition.height,
                "name": name,
                "size": known[name],
            }
        )
    index.sort(key=lambda entry: (entry["crop"], entry["format"], entry["width"]))
    type(image).objects.filter(pk=image.pk).update(rendition_index=index)
    image.rendition_index = index
    return index


def make_renditions_after_commit(image, *, replace=False):
    pk, model = image.pk, type(image)

    def run():
        fresh = model.objects.filter(pk=pk).first()
        if fresh is not None and fresh.file:
            make_renditions(fresh, replace=replace)

    transaction.on_commit(run)


# Files follow their rows ------------------------------------------------------------------------


def _delete_file_after_commit(sender, instance, **kwargs):
    field_file = instance.file
    if field_file and field_file.name:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: storage.delete(name))


post_delete.connect(
    _delete_file_after_commit, sender="articles.Image", dispatch_uid="image_file_cleanup"
)
post_delete.connect(
    _delete_file_after_commit, sender="articles.Rendition", dispatch_uid="rendition_file_cleanup"
)
