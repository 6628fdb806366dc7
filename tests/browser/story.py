"""The seed story as the day's earlier steps leave it.

Arranged through the workflow functions the admin itself calls, so each scenario starts where
the newsroom would be and drives only its own person's job in the browser.
"""

from django.contrib.auth import get_user_model

from articles import revisions, workflow
from articles.models import Article, ArticleSource, Byline, Section, Source
from articles.seed import parse_story
from authors.models import Author

from .admin_helpers import SEED_FILE

HEADLINE = "NATO to open first Asian liaison office in Tokyo"
DEK = (
    "The alliance's first office in the Indo-Pacific would let it consult Japan and its neighbours."
)
TAGS = ["NATO", "Japan", "China"]


def user(username):
    return get_user_model().objects.get(username=username)


def written_and_submitted(note="Ready for a look."):
    """What scenario 1 leaves: the seed story written by Ana Lee and submitted for review."""
    journalist = user("journalist")
    story = parse_story(SEED_FILE.read_text(encoding="utf-8"))
    article = Article.objects.create(
        headline=HEADLINE,
        dek=DEK,
        body=story.body_html,
        section=Section.objects.get(slug="world"),
        created_by=journalist,
        modified_by=journalist,
    )
    article.tags.set(TAGS)
    Byline.objects.create(article=article, author=Author.objects.get(user=journalist))
    for position, (name, relation) in enumerate(
        [
            ("korrespondent", ArticleSource.Relation.REWRITTEN_FROM),
            ("Nikkei Asia", ArticleSource.Relation.REPORTED_BY),
        ]
    ):
        ArticleSource.objects.create(
            article=article,
            source=Source.objects.get(name=name),
            relation=relation,
            position=position,
        )
    # Saving in the admin stores a revision; the workflow and its diffs expect one.
    revisions.store(article, by=journalist)
    workflow.submit(article, by=journalist, note=note)
    article.refresh_from_db()
    return article


def reader_pages(article):
    """Every public listing a published story appears on, by name."""
    author = Author.objects.get(user__username="journalist")
    return {
        "home": "/",
        "section": article.section.get_absolute_url(),
        **{f"tag {tag}": f"/tags/{tag.lower()}/" for tag in TAGS},
        "author": author.get_absolute_url(),
        "search": "/search/?q=liaison+office+Tokyo",
    }


def headline_links(page, headline=HEADLINE):
    """Links to the story in the page's main content (navigation and footers aside)."""
    return page.locator("main").get_by_role("link", name=headline, exact=True)
