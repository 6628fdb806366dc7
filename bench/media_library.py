"""`make bench-media`: the media library's list at 10,000 pictures (see bench/README.md).

Fills the library up to BENCH_MEDIA_IMAGES image rows (default 10,000) sharing the files and
renditions of three real pictures, with 3,000 articles leading with some of them, then asks the
library's endpoints as a journalist does through the whole middleware stack (Django's test
client, no network): the first page (what opening the dialog fetches), a page deep in the
library, two searches, and one picture's details. Prints the median and 95th percentile of
BENCH_MEDIA_REQUESTS requests each, after one warm-up.

Runs against BENCH_MEDIA_DATABASE_URL (default: a fresh SQLite file in a temporary folder; a
PostgreSQL database is created if missing and topped up, so reruns reuse its rows). Uses the
test settings (fast password hashing, static files unhashed): no collectstatic needed.
"""

import io
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django_setup import setup_django  # noqa: E402

IMAGES = int(os.environ.get("BENCH_MEDIA_IMAGES", "10000"))
ARTICLES = int(os.environ.get("BENCH_MEDIA_ARTICLES", "3000"))
REQUESTS = int(os.environ.get("BENCH_MEDIA_REQUESTS", "40"))
TMP = Path(tempfile.mkdtemp(prefix="newsroom-bench-media-"))
DATABASE_URL = os.environ.get("BENCH_MEDIA_DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")
TARGET_MS = 300

SUBJECTS = ["harbour cranes", "grain ships", "summit flags", "wheat field", "night sky", "port"]
CREDITS = ["Photo: Reuters / Jane Roe", "Photo: AP", "Illustration: The Demo Ledger", "Photo: AFP"]


def log(message):
    print(message, flush=True)


def real_pictures():
    """Three uploaded pictures with their renditions: the files every bench row shares."""
    from PIL import Image as PILImage

    from articles import images
    from articles.models import Image

    made = list(Image.objects.filter(alt_text__startswith="Bench original").order_by("pk")[:3])
    for n in range(len(made), 3):
        buffer = io.BytesIO()
        PILImage.new("RGB", (1600, 900), (40 + 60 * n, 90, 150)).save(buffer, "JPEG")
        buffer.seek(0)
        buffer.name = f"bench-{n}.jpg"
        image = Image(alt_text=f"Bench original {n}", credit=CREDITS[n])
        image.file = images.prepare_upload(buffer)
        image.save()
        images.make_renditions(image)
        made.append(image)
    return made


def top_up(originals):
    from django.db import connection, transaction
    from django.utils import timezone

    from articles.models import Article, Image, Section

    have = Image.objects.count()
    now = timezone.now()
    batch = []
    for n in range(have, IMAGES):
        original = originals[n % len(originals)]
        batch.append(
            Image(
                file=original.file.name,
                width=original.width,
                height=original.height,
                rendition_index=original.rendition_index,
                alt_text=f"Bench picture {n}: {SUBJECTS[n % len(SUBJECTS)]} number {n % 97}",
                caption=f"Caption of bench picture {n}.",
                credit=CREDITS[n % len(CREDITS)],
            )
        )
        if len(batch) == 2000:
            Image.objects.bulk_create(batch)
            batch = []
    Image.objects.bulk_create(batch)
    # Spread the upload times, as years of uploads would be.
    if have < IMAGES:
        with transaction.atomic():
            pks = Image.objects.order_by("pk").values_list("pk", flat=True)
            for offset, pk in enumerate(pks):
                if offset >= have:
                    Image.objects.filter(pk=pk).update(created_at=now - timedelta(minutes=offset))
    section, _ = Section.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    have_articles = Article.objects.filter(section=section).count()
    pictures = list(Image.objects.order_by("-created_at").values_list("pk", flat=True)[:2000])
    Article.objects.bulk_create(
        Article(
            headline=f"Bench story {n}",
            slug=f"bench-story-{n}",
            section=section,
            lead_image_id=pictures[n % len(pictures)],
        )
        for n in range(have_articles, ARTICLES)
    )
    if connection.vendor == "postgresql":
        # As autovacuum would after a bulk load: fresh statistics and a visibility map.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE articles_image")
            cursor.execute("VACUUM ANALYZE articles_article")
    log(
        f"library: {Image.objects.count():,} pictures, "
        f"{Article.objects.filter(lead_image__isnull=False).count():,} articles with a lead image"
    )


def measure(client, url):
    times, cpu = [], []
    for n in range(REQUESTS + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if n:  # the first request warms the caches
            times.append(elapsed)
            cpu.append((time.process_time() - cpu_started) * 1000)
    times.sort()
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    return statistics.median(times), p95, statistics.median(cpu)


def bench_library():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from articles.models import Image

    user, _ = get_user_model().objects.get_or_create(username="bench-journalist", is_staff=True)
    user.groups.add(Group.objects.get(name="Journalist"))
    client = Client()
    client.force_login(user)
    browse = reverse("admin:articles_image_library")
    used = Image.objects.filter(lead_for__isnull=False).values_list("pk", flat=True).first()
    cases = [
        ("first page (opening the dialog)", browse),
        ("page 200", f"{browse}?page=200"),
        ("search “harbour”", f"{browse}?q=harbour"),
        ("search “reuters 42”", f"{browse}?q=reuters+42"),
        ("one picture's details", reverse("admin:articles_image_library_detail", args=[used])),
    ]
    log(
        f"{connection.vendor}, {Image.objects.count():,} pictures, {REQUESTS} requests each, "
        f"load average {os.getloadavg()[0]:.1f}:"
    )
    for label, url in cases:
        median, p95, cpu = measure(client, url)
        # On a shared machine the wall time includes waiting for a core; the CPU time is what
        # the request costs this process (the database server's share excluded).
        log(
            f"  {label}: median {median:.1f} ms, p95 {p95:.1f} ms, "
            f"CPU {cpu:.1f} ms (target: under {TARGET_MS} ms)"
        )


def main():
    setup_django(DATABASE_URL)
    top_up(real_pictures())
    bench_library()


if __name__ == "__main__":
    main()
