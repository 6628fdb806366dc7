"""Fuzzing: random and hostile parameters at every public URL pattern and at search.

Whatever arrives, the answer is a proper page, a redirect or a 4xx: never a 500. The client
re-raises any exception a view lets escape, so a crash fails the test with its traceback.
Runs are derandomised and bounded, so CI stays fast and a failure reproduces.
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from taggit.models import Tag

from articles.models import Article, Section, Source
from authors.models import Author

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SKIPPED_PREFIXES = ("admin/", "media/", "static/")
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def public_routes(patterns=None, prefix=""):
    """Every public route string, e.g. "tags/<slug:slug>/"."""
    routes = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            routes += public_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


HOSTILE_TEXT = [
    "",
    "-1",
    "0",
    str(10**12),
    str(-(10**12)),
    "9" * 40,
    "1e309",
    "NaN",
    "%00",
    "%ff%fe%fd",  # invalid UTF-8, percent-encoded
    "%c0%af",  # overlong "/"
    "..%2f..%2fetc%2fpasswd",
    "a" * 10_000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "cats & !dogs | (nato:* <-> japan)",
    "!!!",
    "&|!():*<->",
    "\\",
    '"unterminated',
    "%e2%80%ae",  # right-to-left override
    "🦊" * 50,
]


def hostile():
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=60).map(lambda s: quote(s, safe="")),
        st.binary(max_size=30).map(lambda b: "".join(f"%{byte:02x}" for byte in b)),
        st.integers(min_value=-(10**15), max_value=10**15).map(str),
    )


@pytest.fixture
def known(demo):
    """Real values from the demo newsroom, so fuzzing also reaches deep into the views."""
    articles = list(Article.objects.all())
    return {
        "section": [s.slug for s in Section.objects.all()],
        "slug": [a.slug for a in articles]
        + [t.slug for t in Tag.objects.all()]
        + [a.slug for a in Author.objects.all()]
        + [s.slug for s in Source.objects.all()],
        "year": [f"{a.public_date:%Y}" for a in articles],
        "month": [f"{a.public_date:%m}" for a in articles],
        "day": [f"{a.public_date:%d}" for a in articles],
    }


def fill(route, data, known):
    def value(match):
        options = known.get(match["name"], [])
        if options and data.draw(st.booleans()):
            return data.draw(st.sampled_from(options))
        return data.draw(hostile())

    return "/" + CONVERTER.sub(value, route)


def query_string(data):
    keys = st.sampled_from(
        ["page", "p", "q", "section", "since", "until", "preview", "static", "status", "id"]
    )
    pairs = data.draw(st.lists(st.tuples(keys, hostile()), max_size=4))
    return "&".join(f"{k}={v}" for k, v in pairs)


def assert_answered_properly(response, url):
    assert response.status_code < 500, url
    if response.status_code == 200:
        assert response.content, url


def test_the_public_routes_are_all_found():
    routes = public_routes()
    assert "" in routes
    assert "search/" in routes
    assert any("<slug:slug>" in r for r in routes)
    assert len(routes) >= 15


@FUZZ
@given(data=st.data())
def test_no_public_url_answers_500_whatever_its_parameters(known, data):
    client = Client()
    route = data.draw(st.sampled_from(public_routes()))
    url = fill(route, data, known)
    if data.draw(st.booleans()):
        url += "?" + query_string(data)
    assert_answered_properly(client.get(url), url)


@FUZZ
@given(q=hostile(), page=hostile(), section=hostile(), since=hostile(), until=hostile())
@example(q="a" * 10_000, page="1", section="", since="", until="")
@example(q="nato & japan | !china", page=str(10**12), section="", since="", until="")
@example(q="%00", page="-1", section="", since="", until="")
@example(q="%ff%fe", page="", section="", since="9999-99-99", until="0000-00-00")
@example(q="nato:* <-> (japan", page="2", section="world", since="2026-01-01", until="1900-01-01")
def test_search_never_answers_500(known, q, page, section, since, until):
    url = f"/search/?q={q}&page={page}&section={section}&since={since}&until={until}"
    assert_answered_properly(Client().get(url), url)


@pytest.mark.parametrize(
    "path",
    [
        "/?page=-1",
        "/?page=1000000000000",
        "/?page=abc",
        "/search/?q=" + "x" * 10_000,
        "/search/?q=%00",
        "/search/?q=%ff",
        "/tags/%00/",
        "/%ff/",
        "/world/2026/13/45/nope/",
        "/world/0000/00/00/x/",
        "/authors/" + "a" * 5000 + "/",
        "/feeds/sections/%ff/rss/",
        "/preview/" + "x" * 500 + "/",
        "/preview/%00/",
        "/sitemap-%ff.xml",
        "/sitemap-articles.xml?p=-1",
        "/sitemap-articles.xml?p=100000000000000",
    ],
)
def test_hostile_classics_get_a_4xx_or_a_page(demo, path):
    response = Client().get(path)
    assert response.status_code < 500
