"""Generate a synthetic newsroom for benchmarks and scale tests.

`manage.py generate_articles --count N` adds N articles with a realistic shape: a handful of
sections, about 200 authors and 50 sources, tags on a long-tail distribution, seed-length bodies,
some lead images, revisions and corrections on a fraction, a status mix like a real desk's and
publication dates at a desk's daily rate (150 stories a day unless told otherwise), so a
larger archive reaches further back instead of crowding more stories into each day: 10,000
articles cover about two months, a million about eighteen years.

On PostgreSQL rows go in with COPY in batches, and the search vector is computed by the database
(`to_tsvector`) while moving each batch into place, so a million articles take minutes, not hours.
Elsewhere (SQLite) `bulk_create` is used, which is fine for the small numbers tests need.
"""

import bisect
import itertools
import json
import random
import re
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from articles.models import (
    Article,
    ArticleSource,
    Byline,
    Correction,
    Image,
    RelatedArticle,
    Revision,
    Section,
    Source,
)
from articles.seed import parse_story
from authors.models import Author

from .load_demo import SEED_FILE, demo_picture

# The stored vector as `articles.search` builds it (headline A, standfirst and tags B, body C,
# author names D), computed by PostgreSQL for a whole batch at once.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('english', headline), 'A') || "
    "setweight(to_tsvector('english', dek), 'B') || "
    "setweight(to_tsvector('english', tag_text), 'B') || "
    "setweight(to_tsvector('english', body), 'C') || "
    "setweight(to_tsvector('english', author_text), 'D')"
)

SECTIONS = [
    ("World", "world"),
    ("Politics", "politics"),
    ("Business", "business"),
    ("Technology", "technology"),
    ("Science", "science"),
    ("Culture", "culture"),
    ("Sport", "sport"),
    ("Opinion", "opinion"),
]
FIRST_NAMES = [
    "Ana",
    "David",
    "Tom",
    "Maria",
    "Yuki",
    "Olena",
    "Kwame",
    "Priya",
    "Lars",
    "Sofia",
    "Mateo",
    "Aiko",
    "Hana",
    "Omar",
    "Leila",
    "Jonas",
    "Ines",
    "Pavel",
    "Chen",
    "Amara",
    "Noah",
    "Zofia",
    "Ravi",
    "Elif",
    "Diego",
    "Astrid",
    "Kenji",
    "Fatima",
    "Marek",
    "Lucia",
]
LAST_NAMES = [
    "Lee",
    "Wyatt",
    "Ruiz",
    "Tanaka",
    "Kovalenko",
    "Mensah",
    "Sharma",
    "Berg",
    "Rossi",
    "Alvarez",
    "Sato",
    "Haddad",
    "Novak",
    "Weber",
    "Okafor",
    "Silva",
    "Nakamura",
    "Kaya",
    "Dubois",
    "Petrov",
    "Lindqvist",
    "Costa",
    "Moreau",
    "Ivanova",
    "Park",
    "Mendes",
]
SOURCE_NAMES = [
    "Reuters",
    "AP",
    "AFP",
    "Bloomberg",
    "Nikkei Asia",
    "Kyodo",
    "Yonhap",
    "DPA",
    "ANSA",
    "EFE",
    "Korrespondent",
    "Ukrinform",
    "Interfax",
    "Xinhua",
    "NHK",
    "BBC",
    "Deutsche Welle",
    "Le Monde",
    "El País",
    "Financial Times",
    "Politico",
    "Axios",
    "Al Jazeera",
    "TASS",
    "Meduza",
    "Kyiv Independent",
    "The Guardian",
    "The Times",
    "Der Spiegel",
    "Corriere della Sera",
    "NOS",
    "SVT",
    "NRK",
    "Yle",
    "ABC News",
    "CBC",
    "RNZ",
    "Straits Times",
    "Jakarta Post",
    "The Hindu",
    "Dawn",
    "Haaretz",
    "Anadolu",
    "Hürriyet",
    "Gazeta Wyborcza",
    "Onet",
    "Balkan Insight",
    "Euractiv",
    "Kyiv Post",
    "Japan Times",
]
TOPICS = [
    "NATO",
    "Japan",
    "China",
    "Russia",
    "Ukraine",
    "Economy",
    "Elections",
    "Climate",
    "Energy",
    "Trade",
    "Defence",
    "Health",
    "Education",
    "Migration",
    "Technology",
    "Cyber",
    "Security",
    "Diplomacy",
    "Inflation",
    "Markets",
    "Labour",
    "Housing",
    "Transport",
    "Agriculture",
    "Space",
    "Football",
    "Tennis",
    "Olympics",
    "Film",
    "Music",
    "Books",
    "Courts",
    "Police",
    "Parliament",
    "Budget",
    "Taxes",
    "Banking",
    "Startups",
    "AI",
    "Semiconductors",
    "Oil",
    "Gas",
    "Nuclear",
    "Water",
    "Drought",
    "Floods",
    "Wildfires",
    "Earthquakes",
    "Refugees",
    "Media",
    "Religion",
    "Science",
    "Medicine",
    "Vaccines",
    "Human rights",
]
PLACES = [
    "Tokyo",
    "Kyiv",
    "Brussels",
    "Berlin",
    "Paris",
    "Warsaw",
    "Vilnius",
    "Seoul",
    "Beijing",
    "Washington",
    "London",
    "Madrid",
    "Rome",
    "Ankara",
    "Delhi",
    "Jakarta",
    "Canberra",
    "Ottawa",
    "Nairobi",
    "Lagos",
    "Cairo",
    "Tehran",
    "Riyadh",
    "Helsinki",
    "Oslo",
    "Stockholm",
    "Vienna",
    "Prague",
    "Budapest",
    "Bucharest",
    "Athens",
    "Lisbon",
    "Dublin",
    "Manila",
    "Hanoi",
]
ADJECTIVES = [
    "regional",
    "local",
    "national",
    "global",
    "rural",
    "urban",
    "northern",
    "southern",
    "coastal",
    "digital",
    "public",
    "private",
    "military",
    "civil",
    "maritime",
    "financial",
    "industrial",
    "cultural",
    "academic",
    "medical",
]
VERBS = [
    "plans",
    "signs",
    "rejects",
    "backs",
    "delays",
    "approves",
    "warns",
    "expands",
    "cuts",
    "opens",
    "closes",
    "reviews",
    "launches",
    "questions",
    "defends",
    "unveils",
]
NOUNS = [
    "office",
    "deal",
    "reform",
    "budget",
    "strategy",
    "talks",
    "law",
    "inquiry",
    "programme",
    "agreement",
    "summit",
    "plan",
    "partnership",
    "mission",
    "tariffs",
    "ban",
    "project",
    "alliance",
]
KICKERS = ["Analysis", "Exclusive", "Explainer", "Live", "Interview"]


def _zipf_cumulative(n, exponent=1.1):
    total, cumulative = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**exponent
        cumulative.append(total)
    return cumulative


# The share of stories scheduled ahead in an archive of two months (the rate scales it down for
# bigger ones).
SCHEDULED_SHARE = 0.005


class Command(BaseCommand):
    help = "Add N synthetic articles (with authors, sources, tags, images) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="Articles to add.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--per-day",
            type=float,
            default=150,
            help="Stories published a day (sets how far back dates reach).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (reproducible).")
        parser.add_argument("--tags", type=int, default=0, help="Tag vocabulary (default: auto).")

    def handle(self, *args, count, batch_size, per_day, seed, tags, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not per_day > 0:
            raise CommandError("--per-day must be more than 0.")
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.span = timedelta(days=count / per_day)
        # Stories waiting for a time still ahead (scheduled, embargoed) are the desk's work of
        # the coming hours, not a share of the whole archive: about a third of a day's stories
        # (1 in 200 of a 10,000-story archive at 150 a day, far fewer of a bigger one).
        self.ahead = min(1.0, (per_day / 3) / (SCHEDULED_SHARE * count))
        started = time.monotonic()
        self.postgres = connection.vendor == "postgresql"
        self.prepare_vocabulary(tags or max(30, min(3000, count // 4)))
        self.prepare_text()
        first_id = (Article.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.run_first_id = first_id
        done = 0
        while done < count:
            size = min(batch_size, count - done)
            with transaction.atomic():
                self.write_batch(first_id + done, size)
            done += size
            if self.verbosity_ok(options):
                rate = done / max(time.monotonic() - started, 0.001)
                self.stdout.write(f"  {done}/{count} articles ({rate:,.0f}/s)")
        if self.postgres:
            with connection.cursor() as cursor:
                # Maintenance after a bulk load may take longer than a public query may.
                cursor.execute("SET statement_timeout = 0")
                for table in [
                    Article,
                    Byline,
                    ArticleSource,
                    RelatedArticle,
                    Revision,
                    Correction,
                    TaggedItem,
                ]:
                    name = table._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                if connection.in_atomic_block:  # inside a test's transaction
                    cursor.execute("ANALYZE")
                else:
                    # VACUUM also merges the full-text index's pending list: until then every
                    # search reads it, and the planner prefers scanning the whole table.
                    cursor.execute("VACUUM (ANALYZE)")
                cursor.execute("RESET statement_timeout")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {count} articles in {time.monotonic() - started:.1f}s; "
                f"{Article.objects.count()} in total."
            )
        )

    def verbosity_ok(self, options):
        return options.get("verbosity", 1) >= 1

    # Vocabulary: sections, people, outlets, tags, images -------------------------------------
    def prepare_vocabulary(self, tag_count):
        rng = self.rng
        self.sections = []
        for position, (name, slug) in enumerate(SECTIONS):
            section, _ = Section.objects.get_or_create(
                slug=slug, defaults={"name": name, "position": position}
            )
            self.sections.append(section.pk)
        # World and politics carry most of the news, opinion the least.
        self.section_weights = list(itertools.accumulate([30, 20, 15, 10, 8, 7, 7, 3]))

        taken = set(Author.objects.values_list("slug", flat=True))
        new_authors = []
        for first, last in itertools.product(FIRST_NAMES, LAST_NAMES):
            if len(taken) + len(new_authors) >= 200:
                break
            name = f"{first} {last}"
            if slugify(name) not in taken:
                new_authors.append(
                    Author(
                        name=name,
                        slug=slugify(name),
                        job_title=rng.choice(["Reporter", "Correspondent", "Editor", ""]),
                        bio=f"{name} reports for the newsroom.",
                    )
                )
        Author.objects.bulk_create(new_authors)
        self.author_names = dict(Author.objects.values_list("pk", "name"))
        self.authors = list(self.author_names)
        self.author_weights = _zipf_cumulative(len(self.authors), 0.8)

        taken = set(Source.objects.values_list("slug", flat=True))
        new_sources = [
            Source(name=name, slug=slugify(name), kind=rng.choice(Source.Kind.values))
            for name in SOURCE_NAMES
            if slugify(name) not in taken
        ][: max(0, 50 - len(taken))]
        Source.objects.bulk_create(new_sources)
        self.sources = list(Source.objects.values_list("pk", flat=True))
        self.source_weights = _zipf_cumulative(len(self.sources), 1.0)

        names = list(TOPICS) + list(PLACES)
        names += [f"{a.title()} {n}" for a in ADJECTIVES for n in NOUNS]
        names += [f"{p} {n}" for p in PLACES for n in NOUNS]
        existing = dict(Tag.objects.values_list("slug", "pk"))
        new_tags, seen = [], set(existing)
        for name in names:
            if len(existing) + len(new_tags) >= tag_count:
                break
            slug = slugify(name)
            if slug not in seen:
                seen.add(slug)
                new_tags.append(Tag(name=name, slug=slug))
        n = 0
        while len(existing) + len(new_tags) < tag_count:
            n += 1
            name = f"Topic {n}"
            if slugify(name) not in seen:
                seen.add(slugify(name))
                new_tags.append(Tag(name=name, slug=slugify(name)))
        Tag.objects.bulk_create(new_tags, ignore_conflicts=True)
        # Rank by id so the first (real) topics are the popular ones.
        self.tags = list(Tag.objects.order_by("pk").values_list("pk", flat=True))
        self.tag_names = dict(Tag.objects.values_list("pk", "name"))
        self.tag_weights = _zipf_cumulative(len(self.tags), 1.1)

        images = list(Image.objects.order_by("pk").values_list("pk", flat=True)[:8])
        for i in range(len(images), 6):
            image = Image(
                alt_text=f"Generated picture {i + 1}",
                caption="A generated picture for the benchmark newsroom.",
                credit="Photo: Newsroom",
            )
            colour = [(40 + 35 * i) % 256, (90 + 50 * i) % 256, (160 + 20 * i) % 256]
            image.file.save(
                f"generated-{i + 1}.jpg", ContentFile(demo_picture(colour, i)), save=False
            )
            image.save()
            images.append(image.pk)
        self.images = images
        self.users = list(
            get_user_model().objects.filter(is_staff=True).values_list("pk", flat=True)[:20]
        )
        self.article_type = ContentType.objects.get_for_model(Article).pk

    def prepare_text(self):
        story = parse_story(SEED_FILE.read_text(encoding="utf-8"))
        paragraphs = [p for p in story.paragraphs if len(p.split()) > 8]
        self.paragraphs = [(f"<p>{p}</p>", len(re.findall(r"\w+", p))) for p in paragraphs]
        self.seed_dek = story.dek

    def paragraphs_per_body(self):
        total = len(self.paragraphs)
        return self.rng.randint(max(1, total * 3 // 4), total)

    # One batch ------------------------------------------------------------------------------
    def pick(self, population, cumulative):
        return population[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def status_for(self, roll):
        """A desk's mix: mostly published, some drafts, a few scheduled, withdrawn, expired."""
        now, rng = self.now, self.rng
        past = now - rng.random() * self.span
        if roll < 0.05:
            return Article.Status.DRAFT, None, None, None
        if roll < 0.085:
            return Article.Status.IN_REVIEW, None, None, None
        if roll < 0.085 + SCHEDULED_SHARE:  # scheduled within the next two weeks
            if rng.random() < self.ahead:
                when = now + timedelta(minutes=rng.randint(5, 14 * 24 * 60))
                return Article.Status.PUBLISHED, when, None, None
            return Article.Status.PUBLISHED, past, None, None
        if roll < 0.105:
            return Article.Status.WITHDRAWN, past, None, None
        if roll < 0.115:  # rights-limited wire copy that already left the site
            return Article.Status.PUBLISHED, past, None, past + timedelta(days=rng.randint(1, 30))
        if roll < 0.13:  # wire copy with an expiry still ahead
            return Article.Status.PUBLISHED, past, None, now + timedelta(days=rng.randint(1, 60))
        if roll < 0.132:  # published with an embargo still running
            if rng.random() < self.ahead:
                embargo = now + timedelta(hours=rng.randint(1, 48))
                return Article.Status.PUBLISHED, past, embargo, None
            return Article.Status.PUBLISHED, past, None, None
        return Article.Status.PUBLISHED, past, None, None

    def write_batch(self, first_id, size):
        rng, now = self.rng, self.now
        articles, bylines, sources, tagged, related, revisions, corrections = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        for article_id in range(first_id, first_id + size):
            status, publish_at, embargo, expires = self.status_for(rng.random())
            tag_ids = set()
            for _ in range(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6])):
                tag_ids.add(self.pick(self.tags, self.tag_weights))
            topic = self.tag_names[next(iter(tag_ids))]
            headline = (
                f"{rng.choice(PLACES)} {rng.choice(VERBS)} {rng.choice(ADJECTIVES)} "
                f"{rng.choice(NOUNS)} on {topic}"
            )
            # Most of the seed's paragraphs, in order: a body of seed-like length (~550 words).
            keep = sorted(rng.sample(range(len(self.paragraphs)), k=self.paragraphs_per_body()))
            chosen = [self.paragraphs[i] for i in keep]
            extra = (
                f"Officials in {rng.choice(PLACES)} said the {rng.choice(ADJECTIVES)} "
                f"{rng.choice(NOUNS)} on {topic} would be reviewed again next month."
            )
            body = "".join(p for p, _ in chosen) + f"<p>{extra}</p>"
            words = sum(n for _, n in chosen) + len(extra.split())
            first_published = publish_at if status != Article.Status.DRAFT else None
            if status == Article.Status.IN_REVIEW:
                first_published = None
            created = (publish_at or now) - timedelta(hours=rng.randint(1, 72))
            has_correction = (
                status == Article.Status.PUBLISHED
                and publish_at is not None
                and publish_at < now
                and rng.random() < 0.03
            )
            corrected_at = None
            if has_correction:
                corrected_at = min(now, publish_at + timedelta(hours=rng.randint(1, 48)))
                corrections.append(
                    (
                        article_id,
                        rng.choice(Correction.Kind.values),
                        "An earlier version of this story misspelt a name.",
                        corrected_at,
                    )
                )
            user = rng.choice(self.users) if self.users else None
            articles.append(
                {
                    "id": article_id,
                    "headline": headline[:200],
                    "slug": f"{slugify(headline)[:180]}-{article_id}",
                    "kicker": rng.choice(KICKERS) if rng.random() < 0.1 else "",
                    "dek": f"{self.seed_dek} ({topic})",
                    "body": body,
                    "lead_image_caption": "",
                    "featured": status == Article.Status.PUBLISHED and rng.random() < 0.002,
                    "seo_title": "",
                    "meta_description": "",
                    "canonical_url": "",
                    "noindex": False,
                    "word_count": words,
                    "reading_time": max(1, -(-words // 230)),
                    "status": status,
                    "publish_at": publish_at,
                    "embargo_until": embargo,
                    "expires_at": expires,
                    "version": 1 + (1 if has_correction else 0),
                    "first_published_at": first_published,
                    "updated_at": corrected_at,
                    "created_at": created,
                    "modified_at": corrected_at or publish_at or created,
                    "submitted_at": created if status == Article.Status.IN_REVIEW else None,
                    "created_by_id": user,
                    "modified_by_id": user,
                    "lead_image_id": rng.choice(self.images) if rng.random() < 0.3 else None,
                    "section_id": self.pick(self.sections, self.section_weights),
                }
            )
            names = []
            for position, author in enumerate(
                {
                    self.pick(self.authors, self.author_weights)
                    for _ in range(rng.choice([1] * 7 + [2, 2, 3]))
                }
            ):
                role = Byline.Role.WRITTEN_BY if position == 0 else Byline.Role.ADDITIONAL_REPORTING
                bylines.append((article_id, author, role, position))
                names.append(self.author_names[author])
            articles[-1]["author_text"] = " ".join(names)
            articles[-1]["tag_text"] = " ".join(self.tag_names[t] for t in tag_ids)
            for position, source in enumerate(
                {
                    self.pick(self.sources, self.source_weights)
                    for _ in range(rng.choice([0, 1, 1, 1, 2]))
                }
            ):
                relation = rng.choice(ArticleSource.Relation.values)
                sources.append((article_id, source, relation, "", "", "", position))
            for tag_id in tag_ids:
                tagged.append((article_id, self.article_type, tag_id))
            if article_id > self.run_first_id and rng.random() < 0.2:
                # Only stories added by this run: their ids are known to exist.
                low = max(self.run_first_id, article_id - 5000)
                others = {rng.randint(low, article_id - 1) for _ in range(rng.randint(1, 3))}
                for position, other in enumerate(others):
                    related.append((article_id, other, position))
            if rng.random() < 0.08:
                for number in range(1, rng.randint(2, 3)):
                    data = {
                        "headline": headline,
                        "dek": self.seed_dek,
                        "body": body,
                        "tags": sorted(self.tag_names[t] for t in tag_ids),
                    }
                    revisions.append(
                        (article_id, number, status, data, created + timedelta(minutes=number))
                    )
        if self.postgres:
            self.copy_batch(articles, bylines, sources, tagged, related, revisions, corrections)
        else:
            self.bulk_batch(articles, bylines, sources, tagged, related, revisions, corrections)

    # Writers ------------------------------------------------------------------------------------
    def bulk_batch(self, articles, bylines, sources, tagged, related, revisions, corrections):
        text_only = {"author_text", "tag_text"}
        Article.objects.bulk_create(
            [Article(**{k: v for k, v in row.items() if k not in text_only}) for row in articles]
        )
        Byline.objects.bulk_create(
            [Byline(article_id=a, author_id=b, role=r, position=p) for a, b, r, p in bylines]
        )
        ArticleSource.objects.bulk_create(
            [
                ArticleSource(article_id=a, source_id=s, relation=r, position=p)
                for a, s, r, _, _, _, p in sources
            ]
        )
        TaggedItem.objects.bulk_create(
            [TaggedItem(object_id=a, content_type_id=c, tag_id=t) for a, c, t in tagged]
        )
        RelatedArticle.objects.bulk_create(
            [RelatedArticle(article_id=a, related_id=r, position=p) for a, r, p in related]
        )
        Revision.objects.bulk_create(
            [
                Revision(article_id=a, number=n, status=s, data=d, created_at=c)
                for a, n, s, d, c in revisions
            ]
        )
        Correction.objects.bulk_create(
            [Correction(article_id=a, kind=k, text=t, created_at=c) for a, k, t, c in corrections]
        )

    def copy_batch(self, articles, bylines, sources, tagged, related, revisions, corrections):
        columns = list(articles[0])
        stored = [c for c in columns if c not in {"author_text", "tag_text"}]
        with connection.cursor() as cursor:
            # A bulk load, not a public query: the site's statement timeout does not apply.
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS generated_article "
                "(LIKE articles_article INCLUDING DEFAULTS, author_text text, tag_text text) "
                "ON COMMIT DELETE ROWS"
            )
            # Also empty inside an outer transaction (tests), where no commit clears it.
            cursor.execute("TRUNCATE generated_article")
            raw = cursor.cursor
            with raw.copy(f"COPY generated_article ({', '.join(columns)}) FROM STDIN") as copy:
                for row in articles:
                    copy.write_row([row[c] for c in columns])
            names = ", ".join(stored)
            cursor.execute(
                f"INSERT INTO articles_article ({names}, search_vector) "  # noqa: S608
                f"SELECT {names}, {SEARCH_VECTOR_SQL} FROM generated_article"
            )

            def copy_rows(table, cols, rows):
                if rows:
                    with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)

            copy_rows("articles_byline", "article_id, author_id, role, position", bylines)
            copy_rows(
                "articles_articlesource",
                "article_id, source_id, relation, original_url, original_headline, note, position",
                sources,
            )
            copy_rows("taggit_taggeditem", "object_id, content_type_id, tag_id", tagged)
            # Related stories point only at articles that exist (earlier batches or this one).
            copy_rows("articles_relatedarticle", "article_id, related_id, position", related)
            copy_rows(
                "articles_revision",
                "article_id, number, status, data, created_at, note",
                [(a, n, s, json.dumps(d), c, "") for a, n, s, d, c in revisions],
            )
            copy_rows("articles_correction", "article_id, kind, text, created_at", corrections)
