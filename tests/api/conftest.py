import pytest

from api.models import READ_DRAFTS, READ_PUBLISHED, ApiToken
from tests.articles.public_helpers import HIDDEN, visibility_newsroom
from tests.factories import make_article, make_author, make_source


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
    newsroom = visibility_newsroom()
    section = newsroom["section"]
    own = make_article(
        headline=f"{HIDDEN} draft with its own names",
        status="draft",
        section=section,
        tags=[f"{HIDDEN}tag"],
        authors=[make_author(f"{HIDDEN} Author")],
        sources=[make_source(f"{HIDDEN} Source")],
    )
    return {**newsroom, "own": own}
