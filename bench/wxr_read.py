"""Read an export the way `import_wordpress` does, without a database: peak memory and time.

    python bench/wxr_read.py EXPORT.xml

Both passes (`wxr.survey`, then every post through `wxr.posts`, its body converted and
sanitised and its fingerprint taken) over the whole file. The database work of an import adds
no memory per post (each post's objects are dropped once written), so this is the import's
memory ceiling for a file of this size; `make bench-import` measures the whole import.
"""

import hashlib
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from articles.sanitize import sanitize_body  # noqa: E402
from wordpress import content, wxr  # noqa: E402


def main(path):
    started = time.monotonic()
    survey = wxr.survey(path)
    surveyed = time.monotonic()
    posts = 0
    for post in wxr.posts(path):
        if post.post_type != "post":
            continue
        posts += 1
        converted = content.convert(
            post.content,
            image_for=lambda attachment_id, _src: content.Picture("/media/x.jpg", attachment_id),
        )
        sanitize_body(converted.body)
        hashlib.sha256(post.fingerprint_source).hexdigest()
    done = time.monotonic()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = os.path.getsize(path) / 1e6
    print(
        f"{size:.0f} MB, {posts} posts, {survey.post_count} in the survey: "
        f"survey {surveyed - started:.1f} s, posts {done - surveyed:.1f} s, peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main(sys.argv[1])
