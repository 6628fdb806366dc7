"""Each format a source can speak becomes incoming items; versions update, kills flag."""

import json
from pathlib import Path

import pytest

from ingest.models import IncomingItem, IngestSource
from ingest.parsers import parse
from ingest.receive import receive

from .samples import (
    ATOM,
    JSON_FEED,
    as_bytes,
    ingest_source,
    newsml,
    ninjs2_item,
    ninjs3_item,
    rss,
)

Kind = IngestSource.Kind
OFFICIAL = Path(__file__).resolve().parent / "ninjs_examples"


def test_ninjs3_item_becomes_an_incoming_item_with_its_metadata(db):
    source = ingest_source(Kind.NINJS_3)
    report = receive(source, as_bytes(ninjs3_item()))
    assert report.count("created") == 1 and not report.problems
    item = IncomingItem.objects.get()
    assert item.headline == "Harbour strike ends after three days"
    assert item.dek == "Dock workers accept a new offer."
    assert item.body == (
        "<p>Dock workers voted to accept the offer.</p><p>Ships began unloading at noon.</p>"
    )
    assert item.byline == "By Maria Jensen and Ole Berg"
    assert item.subjects == ["Labour", "Shipping"]
    assert item.urgency == 3
    assert item.url == "https://wire.example/story/1"
    assert item.version == 1
    assert item.pub_status == "usable"
    assert json.loads(item.raw)["uri"] == "urn:newsml:wire.example:2026:1"


def test_ninjs2_plain_text_body_becomes_paragraphs_and_embargo_is_kept(db):
    source = ingest_source(Kind.NINJS_2)
    receive(source, as_bytes([ninjs2_item()]))
    item = IncomingItem.objects.get()
    assert item.body == "<p>The ferry runs twice a day.</p><p>The last one leaves at six.</p>"
    assert item.embargoed_until.year == 2030
    assert item.urgency == 2


def test_ninjs_item_not_valid_against_the_schema_is_refused_with_the_reason(db):
    source = ingest_source(Kind.NINJS_3)
    bad = ninjs3_item(uri="urn:x:bad", urgency=12)  # ninjs 3.1: urgency is 1 to 9
    report = receive(source, as_bytes([bad, ninjs3_item()]))
    assert report.count("created") == 1
    assert "urn:x:bad refused: not valid ninjs 3.x (urgency" in report.problems[0]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("2.2-004_simple_text_article.json", "ninjs2"),
        ("3.1-004_simple_text_article.json", "ninjs3"),
        ("3.1-005_complex_text_article.json", "ninjs3"),
    ],
)
def test_iptcs_own_text_examples_become_items(name, kind):
    delivery = parse(kind, (OFFICIAL / name).read_bytes())
    assert not delivery.problems
    (item,) = delivery.items
    assert item.headline == "Captain of wrecked cruise ship on trial in Italy"
    assert item.byline == "Paulo Santalucia and Frances d'Emilio"
    assert item.body.startswith("<p>GROSSETO, Italy (AP)")


def test_rss_items_arrive(db):
    source = ingest_source(Kind.FEED)
    data = rss(
        {"title": "First", "guid": "1", "body": "<p>One.</p>"},
        {"title": "Second", "guid": "2", "body": "<p>Two.</p>"},
    )
    report = receive(source, data)
    assert report.count("created") == 2
    first = IncomingItem.objects.get(guid="https://partner.example/1")
    assert first.url == "https://partner.example/1"
    assert first.body == "<p>One.</p>"


def test_atom_entry_keeps_content_as_body_and_summary_as_dek(db):
    source = ingest_source(Kind.FEED)
    receive(source, ATOM)
    item = IncomingItem.objects.get()
    assert (item.headline, item.dek) == ("Atom story", "The short version.")
    assert item.byline == "Kari Nord"
    assert item.body == "<p>The long version, in full.</p>"


def test_json_feed_items_arrive(db):
    source = ingest_source(Kind.JSON_FEED)
    receive(source, as_bytes(JSON_FEED))
    item = IncomingItem.objects.get()
    assert item.headline == "JSON Feed story"
    assert item.byline == "Kari Nord"
    assert item.subjects == ["Shipping"]


def test_newsml_g2_text_item_arrives(db):
    source = ingest_source(Kind.NEWSML_G2)
    report = receive(source, newsml())
    assert report.count("created") == 1, report.problems
    item = IncomingItem.objects.get()
    assert item.guid == "urn:newsml:wire.example:g2:1"
    assert item.headline == "G2 story headline"
    assert item.dek == "Summary of the G2 story."
    assert item.body == "<p>First paragraph of the G2 story.</p><p>Second paragraph.</p>"
    assert (item.urgency, item.byline, item.subjects) == (1, "Ole Berg", ["Shipping"])
    assert item.url == "https://wire.example/g2/1"


def test_a_higher_version_updates_the_item_and_a_lower_one_is_ignored(db):
    source = ingest_source(Kind.NEWSML_G2)
    receive(source, newsml(version=2, headline="Second version"))
    report = receive(source, newsml(version=3, headline="Third version"))
    assert report.count("updated") == 1
    report = receive(source, newsml(version=1, headline="Stale first version"))
    assert report.count("unchanged") == 1
    item = IncomingItem.objects.get()
    assert (item.version, item.headline) == (3, "Third version")


def test_a_kill_from_the_agency_flags_the_item(db):
    source = ingest_source(Kind.NEWSML_G2)
    receive(source, newsml(version=1))
    report = receive(source, newsml(version=2, status="canceled"))
    assert report.count("killed") == 1
    assert IncomingItem.objects.get().is_killed


def test_same_guid_in_another_source_is_another_item(db):
    receive(ingest_source(Kind.NINJS_3, name="A"), as_bytes(ninjs3_item()))
    receive(ingest_source(Kind.NINJS_3, name="B"), as_bytes(ninjs3_item()))
    assert IncomingItem.objects.count() == 2


@pytest.mark.parametrize("kind", [k for k, _ in Kind.choices])
def test_every_kind_is_understood_by_the_parser(kind):
    samples = {
        "feed": rss({"title": "T", "guid": "g", "body": "<p>B.</p>"}),
        "jsonfeed": as_bytes(JSON_FEED),
        "ninjs2": as_bytes(ninjs2_item()),
        "ninjs3": as_bytes(ninjs3_item()),
        "newsml_g2": newsml(),
    }
    assert len(parse(kind, samples[kind]).items) == 1
