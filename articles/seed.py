"""Turn a story copied as plain text from an aggregator into the newsroom's parts.

The seed article (`articles/data/seed_nato_tokyo.txt`) is the model: a first line that is the
standfirst, body paragraphs, a "This was reported by X." credit, a related story's headline,
scraped promotional junk, a "Source: X" line and a closing "I am NAME, a ... for OUTLET." bio.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import escape

SOURCE_LINE = re.compile(r"^Source:\s*(?P<name>.+?)\s*$", re.IGNORECASE)
CITED = re.compile(r"\bThis was reported by (?P<name>[^.]+?)\.")
BIO_LINE = re.compile(
    r"^I am (?P<name>[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)+), an? (?P<job>[^,]+?) for "
    r"(?P<affiliation>[^.]+)\."
)
# Scraped calls to follow the aggregator somewhere else: never part of a story.
PROMOTIONAL = re.compile(r"\b(on Telegram|Subscribe to our channel|Follow us on)\b", re.IGNORECASE)
SENTENCE_END = (".", "!", "?", "”", '"', "’", ":")


@dataclass
class ParsedStory:
    dek: str = ""
    paragraphs: list[str] = field(default_factory=list)
    rewritten_from: str = ""
    cited: list[str] = field(default_factory=list)
    related_headlines: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    author_name: str = ""
    author_job: str = ""
    author_affiliation: str = ""
    author_bio: str = ""

    @property
    def body_html(self):
        return "\n".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)


def parse_story(text):
    """Split pasted plain text into standfirst, body, sources, related headlines and bio.

    No headline is invented: the text has none, and an editor writes it.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    story = ParsedStory()
    if not lines:
        return story
    story.dek = lines[0]
    for line in lines[1:]:
        if m := SOURCE_LINE.match(line):
            story.rewritten_from = m["name"]
        elif m := BIO_LINE.match(line):
            story.author_name = m["name"]
            story.author_job = m["job"].strip()
            story.author_affiliation = m["affiliation"].strip()
            story.author_bio = line
        elif PROMOTIONAL.search(line):
            story.dropped.append(line)
        elif not line.endswith(SENTENCE_END):
            # A line that is not a sentence after the body: a linked story's headline.
            story.related_headlines.append(line)
        else:
            story.paragraphs.append(line)
            story.cited += [m["name"].strip() for m in CITED.finditer(line)]
    return story
