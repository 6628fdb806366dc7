"""Deliveries written for the tests, following each format's specification."""

import json

from articles.models import ArticleSource
from ingest.models import IngestSource
from tests.factories import make_source


def ingest_source(kind=IngestSource.Kind.NINJS_3, **extra):
    extra.setdefault("arrival", IngestSource.Arrival.FILES)
    outlet = extra.pop("outlet", None) or make_source("Wire Agency", kind="agency")
    return IngestSource.objects.create(
        name=extra.pop("name", f"Wire {kind}"),
        outlet=outlet,
        kind=kind,
        relation=extra.pop("relation", ArticleSource.Relation.WIRE),
        **extra,
    )


def ninjs3_item(uri="urn:newsml:wire.example:2026:1", **extra):
    item = {
        "uri": uri,
        "type": "text",
        "version": "1",
        "versionCreated": "2026-12-06T09:00:00Z",
        "pubStatus": "usable",
        "urgency": 3,
        "by": "By Maria Jensen and Ole Berg",
        "language": "en",
        "headlines": [{"role": "main", "value": "Harbour strike ends after three days"}],
        "descriptions": [{"role": "summary", "value": "Dock workers accept a new offer."}],
        "bodies": [
            {
                "role": "main",
                "contentType": "text/html",
                "value": "<p>Dock workers voted to accept the offer.</p>"
                "<p>Ships began unloading at noon.</p>",
            }
        ],
        "subjects": [{"name": "Labour"}, {"name": "Shipping"}],
        "renditions": [
            {"name": "web", "href": "https://wire.example/story/1", "contentType": "text/html"}
        ],
    }
    item.update(extra)
    return item


def ninjs2_item(uri="urn:newsml:wire.example:2026:2", **extra):
    item = {
        "uri": uri,
        "type": "text",
        "version": "1",
        "versioncreated": "2026-12-06T09:00:00Z",
        "pubstatus": "usable",
        "urgency": 2,
        "by": "Ole Berg",
        "headlines": [{"role": "main", "value": "Ferry timetable changes in winter"}],
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/plain",
                "value": "The ferry runs twice a day.\nThe last one leaves at six.",
            }
        ],
        "embargoed": "2030-01-01T06:00:00Z",
    }
    item.update(extra)
    return item


def as_bytes(document):
    return json.dumps(document).encode("utf-8")


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Partner</title><link>https://partner.example/</link>
<description>Partner news</description>
{items}
</channel></rss>"""

RSS_ITEM = """<item><title>{title}</title><link>https://partner.example/{guid}</link>
<guid>https://partner.example/{guid}</guid><pubDate>Sun, 06 Dec 2026 08:00:00 GMT</pubDate>
<description><![CDATA[{body}]]></description></item>"""


def rss(*items):
    return RSS.format(items="".join(RSS_ITEM.format(**i) for i in items)).encode("utf-8")


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Partner</title><id>urn:partner</id>
<updated>2026-12-06T08:00:00Z</updated>
<entry><title>Atom story</title><id>urn:partner:atom:1</id><updated>2026-12-06T08:00:00Z</updated>
<link href="https://partner.example/atom-1"/><author><name>Kari Nord</name></author>
<summary>The short version.</summary>
<content type="html">&lt;p&gt;The long version, in full.&lt;/p&gt;</content></entry>
</feed>"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Partner",
    "items": [
        {
            "id": "jf-1",
            "url": "https://partner.example/jf-1",
            "title": "JSON Feed story",
            "content_html": "<p>Text of the JSON Feed story.</p>",
            "date_published": "2026-12-06T08:00:00Z",
            "authors": [{"name": "Kari Nord"}],
            "tags": ["Shipping"],
        }
    ],
}

NEWSML = """<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
 <header><sent>2026-12-06T09:00:00Z</sent></header>
 <itemSet>
  <newsItem guid="urn:newsml:wire.example:g2:1" version="{version}" standard="NewsML-G2"
      standardversion="2.33" conformance="power">
   <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"/>
   <itemMeta>
    <itemClass qcode="ninat:text"/>
    <provider qcode="nprov:WIRE"/>
    <versionCreated>2026-12-06T09:00:00Z</versionCreated>
    <pubStatus qcode="stat:{status}"/>
    <link rel="irel:seeAlso" href="https://wire.example/g2/1"/>
   </itemMeta>
   <contentMeta>
    <urgency>1</urgency>
    <subject qcode="medtop:20000763"><name>Shipping</name></subject>
    <by>Ole Berg</by>
    <headline>{headline}</headline>
    <description role="drol:summary">Summary of the G2 story.</description>
    <language tag="en"/>
   </contentMeta>
   <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
     <html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head>
      <body><p>First paragraph of the G2 story.</p><p>Second paragraph.</p></body></html>
    </inlineXML>
   </contentSet>
  </newsItem>
 </itemSet>
</newsMessage>"""


def newsml(version=1, status="usable", headline="G2 story headline"):
    return NEWSML.format(version=version, status=status, headline=headline).encode("utf-8")
