"""A story or page without a picture still gives shared links and search results an image:
the site's own social image, or a card drawn with the site's name, in the sizes Open Graph
(1200×630) and Google's NewsArticle (1200 px wide in 16:9, 4:3 and 1:1) ask for."""

import io
import re

import pytest
from PIL import Image

from tests.factories import make_article

from .public_helpers import json_ld, make_picture


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.NEWSROOM_PAGE_CACHE = False


def meta(page, name):
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', page)
    return found[1] if found else None


def served_size(client, url):
    response = client.get(url.removeprefix("https://news.example"))
    assert response.status_code == 200, url
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).size


def test_a_story_without_a_picture_shares_the_sites_card(client, db):
    story = make_article(headline="No picture here")
    page = client.get(story.get_absolute_url()).content.decode()

    card = meta(page, "og:image")
    assert card == "https://news.example/social-card-1200x630.png"
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1200", "630")
    assert meta(page, "og:image:alt") == "The Demo Ledger"
    assert meta(page, "twitter:card") == "summary_large_image"
    assert served_size(client, card) == (1200, 630)

    [article] = json_ld(page)
    assert [served_size(client, url) for url in article["image"]] == [
        (1200, 675),
        (1200, 900),
        (1200, 1200),
    ]


def test_the_home_page_shares_the_sites_card_too(client, db):
    make_article(headline="Lead without a picture")
    page = client.get("/").content.decode()
    assert meta(page, "og:image") == "https://news.example/social-card-1200x630.png"


def test_a_story_with_a_picture_shares_it_with_its_size(client, db):
    story = make_article(headline="Pictured", lead_image=make_picture("Cranes at dusk"))
    page = client.get(story.get_absolute_url()).content.decode()
    assert meta(page, "og:image").startswith("https://news.example/media/")
    width, height = int(meta(page, "og:image:width")), int(meta(page, "og:image:height"))
    assert width * 9 == height * 16


def test_a_site_can_name_its_own_social_image(client, db, settings):
    settings.NEWSROOM_SITE = {
        **settings.NEWSROOM_SITE,
        "social_image": "img/ledger-card.png",
        "social_image_size": (1200, 630),
    }
    story = make_article(headline="No picture, own card")
    page = client.get(story.get_absolute_url()).content.decode()
    assert meta(page, "og:image") == "https://news.example/static/img/ledger-card.png"
    [article] = json_ld(page)
    assert article["image"] == ["https://news.example/static/img/ledger-card.png"]


def test_the_card_is_drawn_only_in_the_sizes_the_site_uses(client, db):
    assert client.get("/social-card-5000x5000.png").status_code == 404
