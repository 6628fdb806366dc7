"""The seed story, pasted as plain text, splits into the newsroom's parts."""

from articles.management.commands.load_demo import SEED_FILE
from articles.seed import parse_story


def seed():
    return parse_story(SEED_FILE.read_text(encoding="utf-8"))


def test_first_line_becomes_the_standfirst():
    assert seed().dek.startswith("NATO and Japan will also sign an Individual Partnership Program")


def test_promotional_junk_is_dropped_from_the_body():
    story = seed()
    assert not any("Telegram" in p for p in story.paragraphs)
    assert "Telegram" not in story.body_html
    assert story.dropped == [
        "news Correspondent.net on Telegram. Subscribe to our channel Athletistic"
    ]


def test_source_line_and_cited_outlet_become_structured_sources():
    story = seed()
    assert story.rewritten_from == "korrespondent"
    assert story.cited == ["Nikkei Asia"]
    assert not any(p.startswith("Source:") for p in story.paragraphs)


def test_related_headline_and_author_bio_are_recognised():
    story = seed()
    assert story.related_headlines == [
        "NATO Secretary General: China draws conclusions from Russia’s war against Ukraine"
    ]
    assert story.author_name == "David Wyatt"
    assert story.author_affiliation == "Buna Times"
    assert not any(p.startswith("I am David Wyatt") for p in story.paragraphs)


def test_body_keeps_every_story_paragraph_and_invents_no_headline():
    story = seed()
    assert len(story.paragraphs) == 18
    assert story.paragraphs[-1].startswith("It was previously reported")
    assert not hasattr(story, "headline")
