"""Schemathesis against /api/v1/openapi.json: every operation, with generated parameters
(valid and invalid), answers without a server error, with a status code, content type,
headers and body the document declares."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.models import READ_DRAFTS, READ_PUBLISHED, ApiToken
from articles.models import Correction
from tests.factories import make_article, make_author, make_source

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def api_schema(db, settings):
    settings.NEWSROOM_API_RATE_ANONYMOUS = 0
    author, source = make_author("Ana Lee"), make_source("Reuters")
    for i in range(3):
        story = make_article(tags=["Harbours"], authors=[author], sources=[source])
        Correction.objects.create(article=story, text=f"Correction {i}")
    make_article(status="draft")
    secret = ApiToken.issue(client="Schemathesis", scopes=[READ_PUBLISHED, READ_DRAFTS])[1]
    # Requests come through the WSGI handler, not Django's test client: keep the test's
    # connection (and its transaction) open between them, as the test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler()), secret
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_answers_as_documented(api_schema):
    schema, secret = api_schema
    token = {"Authorization": f"Bearer {secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    answers = []
    assert len(operations) == 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def answers_as_documented(case):
            # Anonymous (the generated Authorization header is random: a 401), then with a
            # token that may read drafts too.
            case.headers = {
                name: value
                for name, value in (case.headers or {}).items()
                if name.lower() != "authorization"
            }
            answers.append(case.call_and_validate(checks=CHECKS).status_code)
            answers.append(case.call_and_validate(checks=CHECKS, headers=token).status_code)

        answers_as_documented()
    # Not every answer was a refusal: the stories were found too.
    assert answers.count(200) > len(answers) / 4


def test_the_document_is_openapi_3_1_and_lists_every_route(client, db):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/api/v1/articles/",
        "/api/v1/articles/{article_id}/",
        "/api/v1/articles/{article_id}/ninjs",
        "/api/v1/ninjs/",
        "/api/v1/corrections/",
        "/api/v1/sections/",
        "/api/v1/tags/",
        "/api/v1/authors/",
        "/api/v1/authors/{slug}/",
        "/api/v1/sources/",
    }
    # HEAD is answered but not listed: it is GET without the body.
    assert {method for path in document["paths"].values() for method in path} == {"get"}
