"""Every demo story, alone and in the ninjs list, is valid IPTC ninjs 3.1 (the official
schema, see README.md), and says what the story says."""

import json
from pathlib import Path

import jsonschema
import pytest

from articles.models import Article

SCHEMA = json.loads((Path(__file__).parent / "ninjs-schema_3.1.json").read_text())


@pytest.fixture(scope="module")
def validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def test_every_demo_story_is_valid_ninjs(client, demo, validator):
    stories = list(Article.objects.published())
    assert stories
    for story in stories:
        item = client.get(f"/api/v1/articles/{story.pk}/ninjs").json()
        errors = [error.message for error in validator.iter_errors(item)]
        assert not errors, (story.headline, errors)
        assert item["headlines"][0]["value"] == story.headline
        assert item["bodies"][0]["value"] == story.body
        assert item["pubStatus"] == "usable"


def test_the_ninjs_list_pages_through_every_demo_story_validly(client, demo, validator):
    url, seen = "/api/v1/ninjs/?limit=3", []
    while url:
        page = client.get(url).json()
        for item in page["items"]:
            assert not list(validator.iter_errors(item))
            seen.append(item["uri"])
        url = page["next"]
    assert len(seen) == len(set(seen)) == Article.objects.published().count()


def test_a_story_with_everything_maps_each_part(client, validator, db):
    from articles.models import ArticleSource
    from tests.articles.public_helpers import make_picture
    from tests.factories import make_article, make_author, make_source

    picture = make_picture(caption="Cranes at dusk", credit="Photo: Jane Roe", copyright="CC BY")
    story = make_article(
        kicker="Analysis",
        tags=["Harbours"],
        authors=[make_author("Ana Lee")],
        lead_image=picture,
    )
    ArticleSource.objects.create(
        article=story,
        source=make_source("Reuters"),
        relation="wire",
        original_url="https://wire.example/item/1",
    )
    item = client.get(f"/api/v1/articles/{story.pk}/ninjs").json()
    assert not [error.message for error in validator.iter_errors(item)]
    assert {"role": "kicker", "value": "Analysis"} in item["headlines"]
    assert item["by"] == "By Ana Lee"
    assert [s["name"] for s in item["subjects"]] == [story.section.name, "Harbours"]
    assert item["infoSources"][0]["name"] == "Reuters"
    (lead,) = item["associations"]
    assert lead["type"] == "picture"
    assert lead["descriptions"][0]["value"] == "Cranes at dusk"
    assert lead["renditions"] and all(r["width"] > 0 for r in lead["renditions"])
