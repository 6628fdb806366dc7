"""Each image lists its stored renditions on its own row, filled here from the Rendition table.

The Rendition rows stay the source of truth; the index is derived from them so that a page can
draw its pictures without one more query. Written self-contained (no app code), so it keeps
working whatever the app's helpers become.
"""

from itertools import groupby

from django.core.files.storage import default_storage
from django.db import migrations, models


def _crop(spec):
    head, _, _ = spec.rpartition("-w")
    return head or "original"


def _size(name):
    try:
        return default_storage.size(name)
    except (OSError, NotImplementedError):
        return 0


def fill_rendition_index(apps, schema_editor):
    Image = apps.get_model("articles", "Image")
    Rendition = apps.get_model("articles", "Rendition")
    rows = (
        Rendition.objects.order_by("image_id", "spec", "format")
        .values_list("image_id", "spec", "format", "width", "height", "file")
        .iterator()
    )
    for image_id, renditions in groupby(rows, key=lambda row: row[0]):
        index = [
            {
                "crop": _crop(spec),
                "format": fmt,
                "width": width,
                "height": height,
                "name": name,
                "size": _size(name),
            }
            for _, spec, fmt, width, height, name in renditions
        ]
        index.sort(key=lambda entry: (entry["crop"], entry["format"], entry["width"]))
        Image.objects.filter(pk=image_id).update(rendition_index=index)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0008_article_modified_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="rendition_index",
            field=models.JSONField(default=list, editable=False),
        ),
        migrations.RunPython(fill_rendition_index, migrations.RunPython.noop),
    ]
