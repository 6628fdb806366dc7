"""API tokens: created in the admin and shown once, stored hashed, revocable; a bad token is
a 401, no token means public content only."""

import re

from django.urls import reverse

from api.models import READ_DRAFTS, READ_PUBLISHED, ApiToken, hash_token
from tests.factories import make_article

from .conftest import bearer


def test_an_admin_creates_a_token_and_sees_its_secret_once(admin_client, db):
    response = admin_client.post(
        reverse("admin:api_apitoken_add"),
        {"client": "iOS app preview", "scopes": [READ_PUBLISHED, READ_DRAFTS]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    secret = re.search(r'id="api-token-secret"[^>]*>([^<]+)<', response.content.decode())[1]
    token = ApiToken.objects.get()
    assert token.client == "iOS app preview"
    assert token.scopes == [READ_DRAFTS, READ_PUBLISHED]
    assert token.token_hash == hash_token(secret) and secret not in token.token_hash
    assert token.created_by.is_superuser
    # Never again: the change page shows its start only.
    page = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
    assert secret not in page.content.decode()
    assert token.hint in page.content.decode()


def test_a_revoked_token_is_refused(admin_client, client, db):
    token, secret = ApiToken.issue(client="Newsletter", scopes=[READ_PUBLISHED])
    assert client.get("/api/v1/articles/", **bearer(secret)).status_code == 200
    admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = client.get("/api/v1/articles/", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["parameter"] == "Authorization"


def test_an_unknown_or_malformed_token_is_a_401_with_json(client, db):
    for header in ("Bearer nrapi_made-up", "Basic dXNlcjpwYXNz", "Bearer", "nonsense"):
        response = client.get("/api/v1/articles/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response.json()["error"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_use_is_recorded_at_most_once_a_minute(client, db):
    token, secret = ApiToken.issue(client="Newsletter", scopes=[READ_PUBLISHED])
    story = make_article()
    url = f"/api/v1/articles/{story.pk}/ninjs"
    client.get(url, **bearer(secret))
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    client.get(url, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_a_published_token_cannot_read_drafts(client, published_token, db):
    draft = make_article(status="draft")
    assert client.get(f"/api/v1/articles/{draft.pk}/", **bearer(published_token)).status_code == (
        404
    )


def test_a_drafts_token_reads_a_draft_it_is_told_the_id_of(client, drafts_token, db):
    draft = make_article(status="draft", headline="Budget leak story")
    response = client.get(f"/api/v1/articles/{draft.pk}/", **bearer(drafts_token))
    assert response.status_code == 200
    assert response.json()["headline"] == "Budget leak story"
    assert response["Cache-Control"] == "private, no-store"
    listed = client.get("/api/v1/articles/", **bearer(drafts_token)).json()["items"]
    assert draft.pk not in [item["id"] for item in listed]
