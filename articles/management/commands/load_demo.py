"""Load the demo newsroom: the seed article, its related story, a dozen more, and logins.

Idempotent: running it again creates nothing new and changes nothing an editor changed.
"""

import io
import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.images import prepare_upload
from articles.models import Article, ArticleSource, Byline, Image, RelatedArticle, Section, Source
from articles.seed import parse_story
from authors.models import Author, AuthorLink
from authors.signals import ensure_author_profile

DATA = Path(__file__).resolve().parents[2] / "data"
SEED_FILE = DATA / "seed_nato_tokyo.txt"
DEMO_FILE = DATA / "demo_newsroom.json"
SEED_HEADLINE = "NATO to open first Asian liaison office in Tokyo"

DEMO_USERS = [
    # username, password, first, last, group, superuser
    ("journalist", "journalist-demo-pass", "Ana", "Lee", "Journalist", False),
    ("editor", "editor-demo-pass", "Tom", "Ruiz", "Editor", False),
    ("admin", "admin-demo-pass", "Site", "Admin", None, True),
]


def demo_picture(colour, seed):
    """A simple generated JPEG: a tinted gradient with a few shapes, 1600×900."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    width, height = 1600, 900
    picture = PILImage.new("RGB", (width, height), tuple(colour))
    draw = ImageDraw.Draw(picture)
    r, g, b = colour
    for y in range(0, height, 6):
        shade = y / height
        draw.rectangle(
            [0, y, width, y + 6],
            fill=(
                int(r + (255 - r) * shade * 0.5),
                int(g + (255 - g) * shade * 0.4),
                int(b * (1 - shade * 0.3)),
            ),
        )
    for i in range(5):
        x = (seed * 131 + i * 297) % width
        y = (seed * 71 + i * 157) % height
        radius = 60 + (seed + i * 37) % 140
        draw.ellipse(
            [x - radius, y - radius, x + radius, y + radius], outline=(255, 255, 255), width=4
        )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Load the demo newsroom (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    @transaction.atomic
    def handle(self, *args, **options):
        now = timezone.now()
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        users = self.load_users()

        sections = {}
        for s in data["sections"]:
            sections[s["slug"]], _ = Section.objects.get_or_create(
                slug=s["slug"],
                defaults={
                    "name": s["name"],
                    "description": s["description"],
                    "position": len(sections),
                },
            )
        sources = {}
        for s in data["sources"]:
            sources[s["name"]], _ = Source.objects.get_or_create(
                slug=slugify(s["name"]),
                defaults={
                    "name": s["name"],
                    "kind": s["kind"],
                    "homepage_url": s["homepage_url"],
                    "description": s["description"],
                },
            )

        story = parse_story(SEED_FILE.read_text(encoding="utf-8"))
        authors = {
            "david": self.author(
                name=story.author_name,
                job_title=story.author_job[:1].upper() + story.author_job[1:],
                affiliation=story.author_affiliation,
                bio=story.author_bio,
            )
        }
        for a in data["authors"]:
            authors[a["key"]] = self.author(
                name=a["name"],
                job_title=a["job_title"],
                affiliation=a["affiliation"],
                bio=a["bio"],
                links=a.get("links", []),
            )
        # The demo logins write under their own author profiles.
        for key, username in [("ana", "journalist"), ("tom", "editor")]:
            author = authors[key]
            if author.user_id is None:
                Author.objects.filter(user=users[username]).exclude(pk=author.pk).delete()
                author.user = users[username]
                author.save()

        created = 0
        # The related story the seed names, published the day before.
        related_headline = story.related_headlines[0]
        related, was_created = self.article(
            headline=related_headline,
            section=sections["world"],
            dek="Jens Stoltenberg says Beijing is watching how the West responds to Russia's war.",
            body_html=(
                "<p>NATO Secretary General Jens Stoltenberg said China is drawing lessons from "
                "Russia's war against Ukraine and from how allies respond to it.</p>"
                "<p>He said the alliance must work more closely with partners in the "
                "Indo-Pacific.</p>"
            ),
            tags=["NATO", "China", "Russia", "Ukraine"],
            bylines=[(authors["david"], Byline.Role.WRITTEN_BY)],
            sources=[
                (sources[story.rewritten_from], ArticleSource.Relation.REWRITTEN_FROM, "", "")
            ],
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(hours=26),
            creator=users["editor"],
        )
        created += was_created

        seed_article, was_created = self.article(
            headline=SEED_HEADLINE,
            section=sections["world"],
            dek=story.dek,
            body_html=story.body_html,
            tags=["NATO", "Japan", "China"],
            bylines=[(authors["david"], Byline.Role.WRITTEN_BY)],
            sources=[
                (sources[story.rewritten_from], ArticleSource.Relation.REWRITTEN_FROM, "", ""),
                *[
                    (sources[name], ArticleSource.Relation.REPORTED_BY, "", "")
                    for name in story.cited
                ],
            ],
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(hours=2),
            creator=users["editor"],
            featured=True,
        )
        created += was_created
        if was_created:
            RelatedArticle.objects.create(article=seed_article, related=related, position=0)

        for i, s in enumerate(data["stories"]):
            state = s.get("status", "published")
            if state == "scheduled":
                publish_at = (now + timedelta(hours=s["hours_ahead"])).replace(
                    minute=0, second=0, microsecond=0
                )
                status = Article.Status.PUBLISHED
            elif state == "published":
                publish_at = now - timedelta(hours=s["hours_ago"])
                status = Article.Status.PUBLISHED
            else:
                publish_at = None
                status = Article.Status(state)
            image = None
            if pic := s.get("image"):
                image = self.image(pic, seed=i, uploaded_by=users["journalist"])
            _, was_created = self.article(
                headline=s["headline"],
                section=sections[s["section"]],
                kicker=s.get("kicker", ""),
                dek=s["dek"],
                body_html="".join(f"<p>{p}</p>" for p in s["body"]),
                tags=s["tags"],
                bylines=[(authors[key], role) for key, role in s["bylines"]],
                sources=[
                    (sources[name], relation, url, headline)
                    for name, relation, url, headline in s.get("sources", [])
                ],
                status=status,
                publish_at=publish_at,
                creator=users["editor"]
                if state in {"published", "scheduled"}
                else users["journalist"],
                lead_image=image,
            )
            created += was_created

        self.workflow_history(users, now)

        from ingest.demo import load_demo_ingest  # the wire desk's demo copy

        load_demo_ingest()

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo newsroom ready: {created} articles created, "
                f"{Article.objects.count()} in total."
            )
        )
        if not options["quiet_logins"]:
            self.stdout.write(f"Demo logins ({settings.SITE_URL}/admin/):")
            for username, password, first, last, group, _ in DEMO_USERS:
                role = group or "Administrator"
                self.stdout.write(
                    f"  {role:<13} {username:<11} password: {password}   ({first} {last})"
                )

    def workflow_history(self, users, now):
        """A first revision of every story, and the review day's notes: one story waiting in
        the queue with the writer's note, one returned to her with the editor's."""
        from articles import revisions, workflow
        from articles.models import ArticleEvent

        for article in Article.objects.filter(revisions__isnull=True):
            revisions.store(article, by=article.created_by, note="Initial version")
        review = Article.objects.filter(slug="port-strike-talks-resume-as-deadline-nears").first()
        if review is not None and not review.events.exists():
            ArticleEvent.objects.create(
                article=review,
                action=workflow.SUBMIT,
                from_status=Article.Status.DRAFT,
                to_status=Article.Status.IN_REVIEW,
                actor=users["journalist"],
                at=now - timedelta(minutes=40),
                note="Union and port authority both confirmed the talks; figures from the "
                "port's own release.",
            )
            Article.objects.filter(pk=review.pk).update(submitted_at=now - timedelta(minutes=40))
        returned = Article.objects.filter(
            slug="election-commission-budget-comes-under-scrutiny"
        ).first()
        if returned is not None and not returned.events.exists():
            ArticleEvent.objects.create(
                article=returned,
                action=workflow.SUBMIT,
                from_status=Article.Status.DRAFT,
                to_status=Article.Status.IN_REVIEW,
                actor=users["journalist"],
                at=now - timedelta(hours=3),
            )
            Article.objects.filter(pk=returned.pk).update(submitted_at=now - timedelta(hours=3))
            ArticleEvent.objects.create(
                article=returned,
                action=workflow.RETURN,
                from_status=Article.Status.IN_REVIEW,
                to_status=Article.Status.DRAFT,
                actor=users["editor"],
                at=now - timedelta(hours=2),
                note="Please add the commission's response and attribute the budget figure "
                "to the finance ministry's document.",
            )

    def load_users(self):
        User = get_user_model()
        users = {}
        for username, password, first, last, group, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": True,
                    "is_superuser": superuser,
                    "email": f"{username}@newsroom.invalid",
                },
            )
            if created:
                user.set_password(password)
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
                ensure_author_profile(user)
            users[username] = user
        return users

    def author(self, *, name, job_title, affiliation, bio, links=()):
        author = Author.objects.filter(slug=slugify(name)).first()
        if author is None:
            author = Author.objects.filter(name=name).first()
        if author is None:
            author = Author.objects.create(
                name=name,
                slug=slugify(name),
                job_title=job_title,
                affiliation=affiliation,
                bio=bio,
            )
            for position, link in enumerate(links):
                AuthorLink.objects.create(author=author, position=position, **link)
        elif not author.bio:
            author.job_title, author.affiliation, author.bio = job_title, affiliation, bio
            author.save()
        return author

    def image(self, pic, *, seed, uploaded_by):
        existing = Image.objects.filter(alt_text=pic["alt"]).first()
        if existing:
            return existing
        image = Image(
            alt_text=pic["alt"],
            caption=pic["caption"],
            credit=pic["credit"],
            uploaded_by=uploaded_by,
        )
        # The same checks and re-encoding as an upload; renditions follow after commit.
        image.file = prepare_upload(
            ContentFile(
                demo_picture(pic["colour"], seed), name=f"demo-{slugify(pic['alt'])[:40]}.jpg"
            )
        )
        image.save()
        return image

    def article(
        self,
        *,
        headline,
        section,
        dek,
        body_html,
        tags,
        bylines,
        sources,
        status,
        publish_at,
        creator,
        kicker="",
        featured=False,
        lead_image=None,
    ):
        slug = slugify(headline)[:200]
        existing = Article.objects.filter(slug=slug).first()
        if existing:
            return existing, False
        article = Article(
            headline=headline,
            slug=slug,
            kicker=kicker,
            section=section,
            dek=dek,
            body=body_html,
            status=status,
            publish_at=publish_at,
            featured=featured,
            lead_image=lead_image,
            created_by=creator,
            modified_by=creator,
        )
        if status == Article.Status.PUBLISHED:
            article.first_published_at = publish_at
        article.save()
        article.tags.set(tags)
        for position, (author, role) in enumerate(bylines):
            Byline.objects.create(article=article, author=author, role=role, position=position)
        for position, (source, relation, url, original_headline) in enumerate(sources):
            ArticleSource.objects.create(
                article=article,
                source=source,
                relation=relation,
                original_url=url,
                original_headline=original_headline,
                position=position,
            )
        return article, True
