"""The byline phrase readers see: "By David Wyatt and Ana Lee; additional reporting by Tom Ruiz"."""

import pytest
from django.utils.html import strip_tags

from articles.models import Byline
from articles.public.bylines import byline_html, byline_text
from tests.factories import make_article, make_author

Role = Byline.Role


def bylines_of(*credits):
    article = make_article(headline="Bylined story")
    for position, (name, role) in enumerate(credits):
        Byline.objects.create(
            article=article, author=make_author(name), role=role, position=position
        )
    return list(article.bylines.select_related("author"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("credits", "phrase"),
    [
        ([("David Wyatt", Role.WRITTEN_BY)], "By David Wyatt"),
        (
            [("David Wyatt", Role.WRITTEN_BY), ("Ana Lee", Role.WRITTEN_BY)],
            "By David Wyatt and Ana Lee",
        ),
        (
            [
                ("David Wyatt", Role.WRITTEN_BY),
                ("Ana Lee", Role.WRITTEN_BY),
                ("Tom Ruiz", Role.ADDITIONAL_REPORTING),
            ],
            "By David Wyatt and Ana Lee; additional reporting by Tom Ruiz",
        ),
        (
            [
                ("Priya Natarajan", Role.PHOTOS),
                ("Tom Ruiz", Role.WITH),
                ("Ana Lee", Role.WRITTEN_BY),
            ],
            "By Ana Lee with Tom Ruiz; photos by Priya Natarajan",
        ),
        (
            [
                ("A One", Role.WRITTEN_BY),
                ("B Two", Role.WRITTEN_BY),
                ("C Three", Role.WRITTEN_BY),
                ("D Four", Role.TRANSLATED),
                ("E Five", Role.EDITED),
            ],
            "By A One, B Two and C Three; translated by D Four; edited by E Five",
        ),
        ([("Maya Okafor", Role.PHOTOS)], "Photos by Maya Okafor"),
        ([("Tom Ruiz", Role.WITH)], "With Tom Ruiz"),
    ],
)
def test_byline_phrase_reads_naturally_for_one_two_and_three_people(credits, phrase):
    bylines = bylines_of(*credits)
    assert byline_text(bylines) == phrase
    assert strip_tags(byline_html(bylines)) == phrase


@pytest.mark.django_db
def test_each_name_in_the_byline_links_to_the_author_page():
    bylines = bylines_of(("David Wyatt", Role.WRITTEN_BY), ("Tom Ruiz", Role.ADDITIONAL_REPORTING))
    html = byline_html(bylines)
    assert '<a href="/authors/david-wyatt/" rel="author">David Wyatt</a>' in html
    assert '<a href="/authors/tom-ruiz/" rel="author">Tom Ruiz</a>' in html


@pytest.mark.django_db
def test_names_in_the_byline_are_escaped():
    bylines = bylines_of(("<script>alert(1)</script>", Role.WRITTEN_BY))
    html = byline_html(bylines)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.django_db
def test_no_bylines_make_no_phrase():
    assert byline_text([]) == ""


@pytest.mark.django_db
def test_the_article_page_shows_the_linked_byline(client):
    article = make_article(headline="Two writers")
    for position, name in enumerate(["David Wyatt", "Ana Lee"]):
        Byline.objects.create(article=article, author=make_author(name), position=position)
    Byline.objects.create(
        article=article,
        author=make_author("Tom Ruiz"),
        role=Role.ADDITIONAL_REPORTING,
        position=3,
    )

    html = client.get(article.get_absolute_url()).content.decode()

    assert (
        'By <a href="/authors/david-wyatt/" rel="author">David Wyatt</a> and '
        '<a href="/authors/ana-lee/" rel="author">Ana Lee</a>; additional reporting by '
        '<a href="/authors/tom-ruiz/" rel="author">Tom Ruiz</a>'
    ) in html
