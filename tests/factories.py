"""Small factories for tests: real rows with sensible defaults, no JSON fixtures."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import Article, ArticleSource, Byline, Section, Source
from authors.models import Author

_seq = itertools.count(1)


def make_user(role="Journalist", *, username=None, first_name="Ana", last_name="Lee", **extra):
    """A staff user in the Journalist or Editor group (role=None: no group)."""
    n = next(_seq)
    user = get_user_model().objects.create_user(
        username=username or f"{(role or 'user').lower()}{n}",
        password="correct horse battery staple",
        first_name=first_name,
        last_name=f"{last_name}{'' if username else n}",
        email=f"user{n}@newsroom.invalid",
        is_staff=role is not None,
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_section(name=None, **extra):
    n = next(_seq)
    name = name or f"Section {n}"
    return Section.objects.create(name=name, slug=extra.pop("slug", f"section-{n}"), **extra)


def make_source(name=None, **extra):
    return Source.objects.create(name=name or f"Source {next(_seq)}", **extra)


def make_author(name=None, **extra):
    return Author.objects.create(name=name or f"Author {next(_seq)}", **extra)


def make_article(
    *,
    headline=None,
    status=Article.Status.PUBLISHED,
    publish_at=None,
    section=None,
    authors=(),
    sources=(),
    tags=(),
    **extra,
):
    """An article; published an hour ago unless told otherwise."""
    now = timezone.now()
    if status == Article.Status.PUBLISHED and publish_at is None:
        publish_at = now - timedelta(hours=1)
    if status in {Article.Status.PUBLISHED, Article.Status.WITHDRAWN}:
        extra.setdefault("first_published_at", publish_at or now - timedelta(hours=2))
    article = Article.objects.create(
        headline=headline or f"Headline number {next(_seq)}",
        status=status,
        publish_at=publish_at,
        section=section or make_section(),
        dek=extra.pop("dek", "A standfirst of one sentence."),
        body=extra.pop("body", "<p>Body text of the story.</p>"),
        **extra,
    )
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    for position, source in enumerate(sources):
        ArticleSource.objects.create(article=article, source=source, position=position)
    if tags:
        article.tags.set(tags)
    return article
