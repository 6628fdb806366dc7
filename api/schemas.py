"""The API's documented shapes (its OpenAPI document is generated from them). The data
itself is built by `representation` and `ninjs`; the schema tests hold the two together."""

from datetime import datetime
from typing import Any

from ninja import Schema


class Error(Schema):
    error: str
    detail: str
    parameter: str | None = None


class GoneError(Schema):
    id: int
    error: str
    detail: str


class RateLimited(Schema):
    error: str
    detail: str
    retry_after: int


class Section(Schema):
    id: int
    name: str
    slug: str
    description: str
    url: str


class Tag(Schema):
    id: int
    name: str
    slug: str
    url: str


class Source(Schema):
    id: int
    name: str
    slug: str
    kind: str
    homepage_url: str
    url: str


class Rendition(Schema):
    url: str
    width: int
    height: int
    format: str
    crop: str


class Image(Schema):
    id: int
    alt: str
    caption: str
    credit: str
    width: int
    height: int
    renditions: list[Rendition]


class AuthorLink(Schema):
    label: str
    url: str


class Author(Schema):
    id: int
    name: str
    slug: str
    url: str
    job_title: str
    affiliation: str
    bio: str
    photo: Image | None


class AuthorDetail(Author):
    links: list[AuthorLink]


class Byline(Schema):
    name: str
    role: str
    author_slug: str
    author_url: str


class ArticleSource(Schema):
    outlet: str
    outlet_slug: str
    outlet_kind: str
    outlet_url: str
    relation: str
    original_url: str
    original_headline: str


class Correction(Schema):
    id: int
    date: datetime
    kind: str
    note: str


class RelatedStory(Schema):
    id: int
    url: str | None
    headline: str


class ArticleSummary(Schema):
    id: int
    url: str | None
    headline: str
    kicker: str
    dek: str
    section: Section | None
    tags: list[Tag]
    bylines: list[Byline]
    sources: list[ArticleSource]
    lead_image: Image | None
    first_published: datetime | None
    updated: datetime | None
    word_count: int


class ArticleDetail(ArticleSummary):
    body_html: str
    corrections: list[Correction]
    related: list[RelatedStory]


class CorrectionEntry(Correction):
    article: RelatedStory


class ArticleList(Schema):
    items: list[ArticleSummary]
    next: str | None


class NinjsList(Schema):
    items: list[dict[str, Any]]
    next: str | None


class SectionList(Schema):
    items: list[Section]


class TagList(Schema):
    items: list[Tag]
    next: str | None


class AuthorList(Schema):
    items: list[Author]
    next: str | None


class SourceList(Schema):
    items: list[Source]
    next: str | None


class CorrectionList(Schema):
    items: list[CorrectionEntry]
    next: str | None
