"""The wire desk's demo copy: the seed story as its partner outlet sent it, and agency items.

Loaded through the same path as real copy (`receive`), so the demo shows what ingest does:
the seed's promotional line is in the item and dropped from the draft, and the draft is
credited "rewritten from korrespondent".
"""

import json
from pathlib import Path

from articles.models import ArticleSource, Section, Source
from articles.seed import parse_story

from .models import IngestSource
from .receive import receive

DATA = Path(__file__).resolve().parent / "data"
SEED_FILE = Path(__file__).resolve().parents[1] / "articles" / "data" / "seed_nato_tokyo.txt"
SEED_ITEM_HEADLINE = "NATO plans its first Asian liaison office in Tokyo"


def seed_item():
    """The seed text as a ninjs 3 item: standfirst, paragraphs, and the scraped promo line."""
    story = parse_story(SEED_FILE.read_text(encoding="utf-8"))
    paragraphs = [*story.paragraphs, *story.dropped]
    return {
        "uri": "urn:newsroom-demo:korrespondent:nato-tokyo",
        "type": "text",
        "version": "1",
        "versionCreated": "2026-01-01T05:30:00Z",
        "pubStatus": "usable",
        "language": "en",
        "headlines": [{"role": "main", "value": SEED_ITEM_HEADLINE}],
        "descriptions": [{"role": "summary", "value": story.dek}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n".join(paragraphs)}],
        "subjects": [{"name": n} for n in ["NATO", "Japan", "China"]],
        "renditions": [
            {
                "name": "web",
                "href": "https://korrespondent.net/world/nato-tokyo-liaison-office",
                "contentType": "text/html",
            }
        ],
    }


def load_demo_ingest():
    """Two demo sources and their items (idempotent: known items stay as they are)."""
    world = Section.objects.filter(slug="world").first()
    partner, _ = IngestSource.objects.get_or_create(
        slug="korrespondent-partner-feed",
        defaults={
            "name": "korrespondent partner feed",
            "outlet": Source.objects.get(slug="korrespondent"),
            "kind": IngestSource.Kind.NINJS_3,
            "arrival": IngestSource.Arrival.FILES,
            "relation": ArticleSource.Relation.REWRITTEN_FROM,
            "drop_lines": "Subscribe to our channel",
            "default_section": world,
        },
    )
    wire, _ = IngestSource.objects.get_or_create(
        slug="reuters-wire",
        defaults={
            "name": "Reuters wire",
            "outlet": Source.objects.get(slug="reuters"),
            "kind": IngestSource.Kind.NINJS_3,
            "arrival": IngestSource.Arrival.FILES,
            "relation": ArticleSource.Relation.WIRE,
        },
    )
    wire_items = json.loads((DATA / "demo_wire.json").read_text(encoding="utf-8"))
    receive(wire, json.dumps(wire_items).encode(), origin="demo")
    receive(partner, json.dumps(seed_item()).encode(), origin="demo")
