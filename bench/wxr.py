"""Write a synthetic WordPress export (WXR 1.2) of any size, streamed to a file.

    python bench/wxr.py OUT.xml [--posts 20000] [--authors 500] [--tags 2000]
        [--categories 40] [--image-every 10] [--uploads DIR] [--comments 0] [--seed 1]

Posts are spread over ten years with WordPress's statuses in a site's proportions (mostly
published, some drafts, pending, scheduled, private, trashed), block-editor and classic
bodies, a [caption] picture and the featured image on every ``--image-every``-th post, Yoast
fields, Co-Authors Plus bylines on one post in ten, plus pages and menu items to skip. With
``--uploads`` the pictures are written there as small JPEGs (a copy of wp-content/uploads).
``--comments N`` adds N comments of about 1 KB to each post: a real export's bulk, read and
dropped by the import, which makes a large file (``--comments 45`` with 20,000 posts is
about 1 GB).
"""

import argparse
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = [
    "harbour",
    "council",
    "ferry",
    "summit",
    "cargo",
    "minister",
    "quay",
    "port",
    "tide",
    "budget",
    "vote",
    "crane",
    "dock",
    "shipping",
    "freight",
    "inspection",
    "pilot",
    "berth",
    "channel",
    "dredging",
    "lighthouse",
    "weather",
    "storm",
    "fishing",
    "market",
    "tourism",
    "union",
    "strike",
    "contract",
    "tender",
    "investment",
    "container",
    "terminal",
]
STATUSES = (
    ["publish"] * 88
    + ["draft"] * 5
    + ["pending"] * 2
    + ["future"] * 2
    + [
        "private",
        "trash",
        "auto-draft",
    ]
)
SITE = "https://bench-harbour.example"


def cdata(text):
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def sentence(rng, words=14):
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 4)))


def picture(path, rng):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    colour = tuple(rng.randrange(256) for _ in range(3))
    Image.new("RGB", (160, 90), colour).save(path, quality=70)


def write_export(out, *, posts, authors, tags, categories, image_every, uploads, comments, seed):
    rng = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    span = (datetime(2025, 1, 1, tzinfo=UTC) - start).total_seconds()
    write = out.write
    write('<?xml version="1.0" encoding="UTF-8" ?>\n')
    write(
        '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
    )
    write(f"<title>Bench Harbour</title><link>{SITE}</link>\n")
    write(f"<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{SITE}</wp:base_site_url>")
    write(f"<wp:base_blog_url>{SITE}</wp:base_blog_url>\n")
    for n in range(1, authors + 1):
        write(
            f"<wp:author><wp:author_id>{n}</wp:author_id><wp:author_login>{cdata(f'writer{n}')}"
            f"</wp:author_login><wp:author_email>w{n}@bench.example</wp:author_email>"
            f"<wp:author_display_name>{cdata(f'Writer {n} {rng.choice(WORDS).title()}')}"
            "</wp:author_display_name></wp:author>\n"
        )
    for n in range(1, categories + 1):
        write(
            f"<wp:category><wp:term_id>{n}</wp:term_id><wp:category_nicename>section-{n}"
            f"</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name>"
            f"{cdata(f'Section {n}')}</wp:cat_name></wp:category>\n"
        )
    for n in range(1, tags + 1):
        write(
            f"<wp:tag><wp:term_id>{10000 + n}</wp:term_id><wp:tag_slug>topic-{n}</wp:tag_slug>"
            f"<wp:tag_name>{cdata(f'Topic {n}')}</wp:tag_name></wp:tag>\n"
        )
    # Comments are only read and dropped by the import: a pool of texts is enough.
    comment_texts = [cdata(" ".join(sentence(rng) for _ in range(9))) for _ in range(200)]
    post_id = 1
    for n in range(posts):
        moment = start + timedelta(seconds=rng.random() * span)
        status = rng.choice(STATUSES)
        if status == "future":
            moment = datetime(2040, 1, 1, tzinfo=UTC) + timedelta(days=n % 365)
        attachment = None
        if image_every and n % image_every == 0:
            attachment = post_id
            post_id += 1
            relative = f"{moment:%Y/%m}/picture-{attachment}.jpg"
            if uploads:
                picture(Path(uploads) / relative, rng)
            write(
                f"<item><title>picture-{attachment}</title><link>{SITE}/picture-{attachment}/</link>"
                f"<wp:post_id>{attachment}</wp:post_id><wp:status>inherit</wp:status>"
                f"<wp:post_type>attachment</wp:post_type><excerpt:encoded>"
                f"{cdata(sentence(rng, 8))}</excerpt:encoded><wp:attachment_url>{SITE}"
                f"/wp-content/uploads/{relative}</wp:attachment_url><wp:postmeta><wp:meta_key>"
                f"_wp_attached_file</wp:meta_key><wp:meta_value>{relative}</wp:meta_value>"
                f"</wp:postmeta><wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
                f"<wp:meta_value>{cdata(sentence(rng, 6))}</wp:meta_value></wp:postmeta></item>\n"
            )
        this = post_id
        post_id += 1
        slug = f"story-{this}"
        headline = sentence(rng, rng.randint(6, 11))[:-1]
        paragraphs = [paragraph(rng) for _ in range(rng.randint(4, 8))]
        if n % 2:
            body = "\n\n".join(paragraphs)  # classic editor: no <p>
        else:
            body = "\n\n".join(
                f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in paragraphs
            )
        if attachment:
            body = (
                f'[caption id="attachment_{attachment}" width="160"]<img class="wp-image-'
                f'{attachment}" src="{SITE}/wp-content/uploads/{moment:%Y/%m}/picture-'
                f'{attachment}.jpg" alt="" /> {sentence(rng, 7)}[/caption]\n\n' + body
            )
        if n % 25 == 0:
            body += "\n\nhttps://www.youtube.com/watch?v=bench" + str(this)
        if n % 40 == 0:
            body += '\n\n[gallery ids="1,2,3"]'
        local = moment + timedelta(hours=1)
        gmt = (
            "0000-00-00 00:00:00"
            if status in {"draft", "pending"}
            else f"{moment:%Y-%m-%d %H:%M:%S}"
        )
        write("<item>")
        write(f"<title>{cdata(headline)}</title>")
        write(f"<link>{SITE}/{moment:%Y/%m}/{slug}/</link>")
        write(f"<pubDate>{moment:%a, %d %b %Y %H:%M:%S} +0000</pubDate>")
        write(f"<dc:creator>{cdata(f'writer{rng.randint(1, authors)}')}</dc:creator>")
        write(f"<content:encoded>{cdata(body)}</content:encoded>")
        write(f"<excerpt:encoded>{cdata(sentence(rng, 16) if n % 3 else '')}</excerpt:encoded>")
        write(f"<wp:post_id>{this}</wp:post_id>")
        write(f"<wp:post_date>{local:%Y-%m-%d %H:%M:%S}</wp:post_date>")
        write(f"<wp:post_date_gmt>{gmt}</wp:post_date_gmt>")
        write(f"<wp:post_name>{slug}</wp:post_name><wp:status>{status}</wp:status>")
        write("<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>")
        for c in sorted({rng.randint(1, categories) for _ in range(rng.randint(1, 2))}):
            name = cdata(f"Section {c}")
            write(f'<category domain="category" nicename="section-{c}">{name}</category>')
        # Half the tags from a long tail (a few topics on many stories), half from all of them.
        picks = (
            rng.randint(1, tags) if rng.random() < 0.5 else min(tags, int(rng.paretovariate(0.8)))
            for _ in range(rng.randint(1, 5))
        )
        for t in sorted(set(picks)):
            write(
                f'<category domain="post_tag" nicename="topic-{t}">{cdata(f"Topic {t}")}</category>'
            )
        if n % 10 == 3:
            for a in sorted({rng.randint(1, authors) for _ in range(2)}):
                write(f'<category domain="author" nicename="cap-writer{a}">writer{a}</category>')
        if attachment:
            write(
                "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
                f"<wp:meta_value>{attachment}</wp:meta_value></wp:postmeta>"
            )
        if n % 4 == 0:
            write(
                "<wp:postmeta><wp:meta_key>_yoast_wpseo_metadesc</wp:meta_key>"
                f"<wp:meta_value>{cdata(sentence(rng, 18))}</wp:meta_value></wp:postmeta>"
            )
        for c in range(comments):
            write(
                f"<wp:comment><wp:comment_id>{this * 100 + c}</wp:comment_id>"
                f"<wp:comment_author>{cdata('Reader ' + str(c))}</wp:comment_author>"
                f"<wp:comment_content>{rng.choice(comment_texts)}"
                "</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>"
            )
        write("</item>\n")
        if n % 500 == 0:
            write(
                f"<item><title>Page {n}</title><link>{SITE}/page-{n}/</link><wp:post_id>"
                f"{post_id}</wp:post_id><wp:status>publish</wp:status><wp:post_type>page"
                "</wp:post_type></item>\n"
            )
            post_id += 1
    write("</channel>\n</rss>\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--authors", type=int, default=500)
    parser.add_argument("--tags", type=int, default=2_000)
    parser.add_argument("--categories", type=int, default=40)
    parser.add_argument("--image-every", type=int, default=10)
    parser.add_argument("--uploads")
    parser.add_argument("--comments", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    with open(options.out, "w", encoding="utf-8", buffering=io.DEFAULT_BUFFER_SIZE * 64) as out:
        write_export(
            out,
            posts=options.posts,
            authors=options.authors,
            tags=options.tags,
            categories=options.categories,
            image_every=options.image_every,
            uploads=options.uploads,
            comments=options.comments,
            seed=options.seed,
        )


if __name__ == "__main__":
    main()
