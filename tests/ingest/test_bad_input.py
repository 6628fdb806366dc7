"""Bad input: a clear last error and log line, the item refused or cleaned, the rest arrives."""

import io
import logging

import pytest
from django.core.management import call_command
from django.test import override_settings

from ingest import polling
from ingest.models import IncomingItem, IngestSource
from ingest.receive import receive

from .feedserver import FeedServer
from .samples import as_bytes, ingest_source, newsml, ninjs3_item, rss

Kind, Arrival = IngestSource.Kind, IngestSource.Arrival

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><title>&lol4;</title>
<item><title>&lol4;</title><guid>x</guid><description>&lol4;</description></item>
</channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE newsItem [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x" version="1">
<contentMeta><headline>&secret;</headline></contentMeta></newsItem>"""


def last_error(source):
    source.refresh_from_db()
    return source.last_error


def test_malformed_xml_is_refused_with_a_clear_error_and_nothing_stored(db, caplog):
    source = ingest_source(Kind.NEWSML_G2)
    with caplog.at_level(logging.WARNING, logger="ingest"):
        report = receive(source, newsml()[:-40], origin="broken.xml")
    assert report.failed
    assert last_error(source).startswith("broken.xml: malformed XML:")
    assert "malformed XML" in caplog.text
    assert not IncomingItem.objects.exists()


def test_malformed_json_is_refused_with_a_clear_error(db):
    source = ingest_source(Kind.NINJS_3)
    report = receive(source, b'{"uri": "x", ', origin="broken.json")
    assert report.failed
    assert last_error(source).startswith("broken.json: malformed JSON:")


def test_an_item_missing_its_headline_or_body_is_refused_and_the_others_arrive(db):
    source = ingest_source(Kind.NINJS_3)
    no_headline = ninjs3_item(uri="urn:x:nohead", headlines=[])
    no_body = ninjs3_item(uri="urn:x:nobody", bodies=[])
    report = receive(source, as_bytes([no_headline, ninjs3_item(uri="urn:x:ok"), no_body]))
    assert list(IncomingItem.objects.values_list("guid", flat=True)) == ["urn:x:ok"]
    assert report.problems == [
        "item urn:x:nohead refused: it has no headline",
        "item urn:x:nobody refused: it has no body",
    ]
    assert "urn:x:nohead refused: it has no headline" in last_error(source)


def test_an_item_whose_body_is_only_markup_counts_as_having_no_body(db):
    source = ingest_source(Kind.FEED)
    report = receive(source, rss({"title": "Empty", "guid": "e", "body": "<p> </p><br>"}))
    assert report.problems == ["item https://partner.example/e refused: it has no body"]


def test_a_50_mb_file_is_refused_and_the_other_files_arrive(db, tmp_path):
    source = ingest_source(Kind.NINJS_3, slug="wire")
    big = ninjs3_item(uri="urn:x:big")
    big["bodies"][0]["value"] = "<p>" + "x" * (50 * 1024 * 1024) + "</p>"
    (tmp_path / "a-big.json").write_bytes(as_bytes(big))
    (tmp_path / "b-ok.json").write_bytes(as_bytes(ninjs3_item(uri="urn:x:ok")))
    call_command("ingest", "wire", str(tmp_path), stdout=io.StringIO())
    assert list(IncomingItem.objects.values_list("guid", flat=True)) == ["urn:x:ok"]
    assert "a-big.json: file of 52,429,388 bytes refused" in last_error(source)
    assert "the limit is 20,971,520 bytes (INGEST_MAX_BYTES)" in last_error(source)


def test_an_item_over_the_item_limit_is_refused_and_its_neighbours_arrive(db):
    source = ingest_source(Kind.FEED)
    with override_settings(INGEST_MAX_ITEM_BYTES=10_000):
        report = receive(
            source,
            rss(
                {"title": "Huge", "guid": "huge", "body": "<p>" + "y" * 20_000 + "</p>"},
                {"title": "Fine", "guid": "fine", "body": "<p>Fine.</p>"},
            ),
        )
    assert report.count("created") == 1
    assert "huge refused: its body is 20,007 bytes (the limit is 10,000" in report.problems[0]


@pytest.mark.parametrize(
    ("kind", "document"), [(Kind.FEED, BILLION_LAUGHS), (Kind.NEWSML_G2, EXTERNAL_ENTITY)]
)
def test_entity_declarations_are_refused(db, kind, document):
    source = ingest_source(kind)
    report = receive(source, document)
    assert report.failed
    assert "entity declarations (<!ENTITY>) refused" in last_error(source)
    assert not IncomingItem.objects.exists()


def test_latin1_declared_as_utf8_is_read_as_latin1_and_said_so(db):
    source = ingest_source(Kind.FEED)
    feed = rss({"title": "Café in Zürich", "guid": "l1", "body": "<p>Crème brûlée.</p>"})
    latin1 = feed.decode("utf-8").encode("latin-1")  # still declares encoding="utf-8"
    report = receive(source, latin1)
    item = IncomingItem.objects.get()
    assert item.headline == "Café in Zürich"
    assert item.body == "<p>Crème brûlée.</p>"
    assert "not valid utf-8 as declared: read as Latin-1" in report.problems[0]
    assert "read as Latin-1" in last_error(source)


def test_a_script_in_the_body_is_removed_and_reported(db):
    source = ingest_source(Kind.NINJS_3)
    body = '<p>Text.</p><script>alert("x")</script><p onclick="x()">More.</p>'
    report = receive(
        source,
        as_bytes(ninjs3_item(bodies=[{"role": "main", "contentType": "text/html", "value": body}])),
    )
    item = IncomingItem.objects.get()
    assert item.body == "<p>Text.</p><p>More.</p>"
    assert report.problems == [
        "item urn:newsml:wire.example:2026:1: a script in the body was removed"
    ]


def test_a_feed_redirecting_in_a_loop_fails_clearly(db):
    with FeedServer() as server:
        server.routes["/a"] = (302, {"Location": server.url("/b")}, b"")
        server.routes["/b"] = (302, {"Location": server.url("/a")}, b"")
        source = ingest_source(Kind.FEED, arrival=Arrival.POLL, url=server.url("/a"))
        report = polling.poll(source)
        assert report.failed
        assert "redirect loop" in last_error(source)
        assert len(server.requests) <= 6
        assert source.failures == 1


@override_settings(INGEST_POLL_TIMEOUT=1)
def test_a_hanging_source_times_out(db):
    with FeedServer() as server:
        server.routes["/slow"] = ("hang", {}, b"")
        source = ingest_source(Kind.FEED, arrival=Arrival.POLL, url=server.url("/slow"))
        report = polling.poll(source)
        assert report.failed
        assert "no answer within 1 s (INGEST_POLL_TIMEOUT)" in last_error(source)


def test_a_redirect_to_a_file_address_is_refused(db):
    with FeedServer() as server:
        server.routes["/a"] = (302, {"Location": "file:///etc/passwd"}, b"")
        source = ingest_source(Kind.FEED, arrival=Arrival.POLL, url=server.url("/a"))
        polling.poll(source)
        assert "redirect" in last_error(source)
        assert not IncomingItem.objects.exists()
