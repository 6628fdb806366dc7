"""Bad input is a 400 (or 404) with a JSON body naming the parameter, never a 500."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from api import cursors
from tests.factories import make_article


@pytest.fixture
def stories(db):
    return [make_article(headline=f"Story {i}") for i in range(3)]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("colour=red", "colour"),
        ("page=2", "page"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-13-45T99:00:00Z", "updated_since"),
        ("updated_since=0001-01-01T00:00:00%2B01:00", "updated_since"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("section=no%20spaces", "section"),
        ("tag=%3Cscript%3E", "tag"),
        (f"q={'x' * 201}", "q"),
        ("q=harbour%00", "q"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, stories, query, parameter):
    for route in ("/api/v1/articles/", "/api/v1/ninjs/"):
        response = client.get(f"{route}?{query}")
        assert response.status_code == 400, (route, query)
        body = response.json()
        assert body["parameter"] == parameter
        assert body["error"] == "bad_request" and body["detail"]


def test_a_tampered_cursor_is_a_400(client, stories):
    following = client.get("/api/v1/articles/?limit=1").json()["next"]
    cursor = parse_qs(urlsplit(following).query)["cursor"][0]
    moment, pk = cursors.read("stories", cursor)
    kind = "stories"
    # The same signature on a payload pointing elsewhere (past every story, say).
    _payload, _, signature = cursor.partition(":")
    forged_payload = signing.b64_encode(json.dumps([kind, moment, pk + 1000]).encode()).decode()
    response = client.get("/api/v1/articles/", {"cursor": f"{forged_payload}:{signature}"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "cursor"
    # A genuine cursor of another list is refused too.
    tags_cursor = cursors.make("tags", ["a"])
    assert client.get(f"/api/v1/articles/?cursor={tags_cursor}").status_code == 400


def test_unknown_ids_and_slugs_are_404s_with_a_json_body(client, stories):
    for url in (
        "/api/v1/articles/987654/",
        "/api/v1/articles/987654/ninjs",
        f"/api/v1/articles/{2**70}/",
        "/api/v1/authors/nobody/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found"


def test_a_non_numeric_or_zero_id_is_refused_as_json(client, stories):
    for bad in ("abc", "0", "-3"):
        response = client.get(f"/api/v1/articles/{bad}/")
        assert response.status_code == 400, bad
        assert response.json()["parameter"] == "article_id"


def test_a_malformed_author_slug_is_refused_as_json(client, stories):
    response = client.get("/api/v1/authors/ana%00lee/")
    assert response.status_code == 400
    assert response.json()["parameter"] == "slug"


def test_routes_without_parameters_refuse_any(client, stories):
    for url in ("/api/v1/sections/?x=1", f"/api/v1/articles/{stories[0].pk}/?full=1"):
        response = client.get(url)
        assert response.status_code == 400
        assert response.json()["parameter"] in {"x", "full"}


def test_an_unknown_slug_filter_finds_nothing_rather_than_failing(client, stories):
    for name in ("section", "tag", "author", "source"):
        response = client.get(f"/api/v1/articles/?{name}=nothing-here")
        assert response.status_code == 200
        assert response.json() == {"items": [], "next": None}


def test_tracking_parameters_are_ignored(client, stories):
    assert client.get("/api/v1/articles/?utm_source=newsletter").status_code == 200


def test_writes_are_refused_naming_get_and_head(client, stories):
    response = client.post("/api/v1/articles/")
    assert response.status_code == 405
    assert {method.strip() for method in response["Allow"].split(",")} == {"GET", "HEAD"}
