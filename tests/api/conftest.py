import pytest

from api.models import READ_DRAFTS, READ_PUBLISHED, ApiToken
from articles.models import Correction, RelatedArticle
from tests.articles.public_helpers import HIDDEN, hidden_articles
from tests.factories import make_article, make_author, make_section, make_source


@pytest.fixture
def published_token(db):
    return ApiToken.issue(client="Newsletter tool", scopes=[READ_PUBLISHED])[1]


@pytest.fixture
def drafts_token(db):
    return ApiToken.issue(client="App preview", scopes=[READ_PUBLISHED, READ_DRAFTS])[1]


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}


@pytest.fixture
def newsroom(db):
    """One live story, one in each hidden state sharing everything with it, and one draft
    with a tag, author and source of its own (known from no live story)."""
    section = make_section("World", slug="world")
    author = make_author("Ana Lee")
    source = make_source("Nikkei Asia")
    live = make_article(
        headline="Zanzibar ferry timetable changes",
        section=section,
        tags=["Zanzibar"],
        authors=[author],
        sources=[source],
    )
    other_live = make_article(
        headline="Zanzibar spice harvest begins", section=section, tags=["Zanzibar"]
    )
    RelatedArticle.objects.create(article=live, related=other_live, position=5)
    Correction.objects.create(article=live, text="An earlier version misdated the timetable.")
    hidden = hidden_articles(
        section=section, tags=["Zanzibar"], authors=[author], sources=[source], related_to=live
    )
    own = make_article(
        headline=f"{HIDDEN} draft with its own names",
        status="draft",
        section=section,
        tags=[f"{HIDDEN}tag"],
        authors=[make_author(f"{HIDDEN} Author")],
        sources=[make_source(f"{HIDDEN} Source")],
    )
    return {
        "live": live,
        "other_live": other_live,
        "section": section,
        "author": author,
        "source": source,
        "hidden": hidden,
        "own": own,
    }
