"""`generate_articles`: a synthetic newsroom with a realistic shape, for benchmarks and scale."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from articles.models import Article, ArticleSource, Byline, Correction, Revision, Source
from authors.models import Author


def generate(count, **options):
    call_command("generate_articles", count=count, stdout=io.StringIO(), **options)


@pytest.fixture
def generated(db):
    generate(600, batch_size=250, seed=7)


def test_it_adds_the_requested_number_of_articles_in_batches(generated):
    assert Article.objects.count() == 600
    generate(50, batch_size=20, seed=8)
    assert Article.objects.count() == 650
    assert Article.objects.values("slug").distinct().count() == 650


def test_the_newsroom_has_about_two_hundred_authors_and_fifty_sources(generated):
    assert Author.objects.count() == 200
    assert Source.objects.count() == 50


def test_most_stories_are_published_and_every_desk_state_occurs(generated):
    states = Counter(Article.objects.values_list("status", flat=True))
    assert states[Article.Status.PUBLISHED] > 0.8 * 600
    assert states[Article.Status.DRAFT] and states[Article.Status.IN_REVIEW]
    assert states[Article.Status.WITHDRAWN]
    assert Article.objects.scheduled().exists()
    assert Article.objects.published().count() < states[Article.Status.PUBLISHED]


def test_tags_follow_a_long_tail(generated):
    uses = Counter(TaggedItem.objects.values_list("tag_id", flat=True))
    ranked = [n for _, n in uses.most_common()]
    assert ranked[0] > 20 * ranked[len(ranked) // 2]  # a few big topics, many small ones
    assert Tag.objects.count() >= 100


def test_bodies_are_seed_length_and_counted(generated):
    words = list(Article.objects.values_list("word_count", flat=True))
    assert 400 <= sum(words) / len(words) <= 700
    assert all(w > 0 for w in words)


def test_stories_carry_bylines_sources_images_revisions_and_corrections(generated):
    assert Byline.objects.values("article").distinct().count() == 600
    assert ArticleSource.objects.exists()
    assert Article.objects.filter(lead_image__isnull=False).count() > 100
    assert 0 < Revision.objects.values("article").distinct().count() < 600 * 0.2
    assert 0 < Correction.objects.count() < 600 * 0.1


def test_publication_dates_follow_a_desks_daily_rate(generated):
    # 600 stories at the default 150 a day reach back four days, not further.
    dates = Article.objects.published().values_list("publish_at", flat=True)
    assert 3 < (max(dates) - min(dates)).total_seconds() / 86400 <= 4


def test_a_slower_desk_reaches_further_back(db):
    generate(300, per_day=0.25, seed=5)
    dates = Article.objects.published().values_list("publish_at", flat=True)
    assert (max(dates) - min(dates)).days > 365 * 3


def test_a_daily_rate_of_zero_is_refused(db):
    with pytest.raises(CommandError, match="per-day"):
        generate(10, per_day=0)


def test_a_count_below_one_is_refused(db):
    with pytest.raises(CommandError, match="at least 1"):
        generate(0)


@pytest.mark.postgres
def test_search_vectors_are_computed_by_the_database(generated):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    assert not Article.objects.filter(search_vector__isnull=True).exists()
    from django.contrib.postgres.search import SearchQuery

    article = Article.objects.published().first()
    word = article.headline.split()[0]
    assert Article.objects.filter(pk=article.pk, search_vector=SearchQuery(word)).exists()


def test_stories_waiting_for_a_time_ahead_follow_the_daily_rate_not_the_archive(db):
    # Three stories a day: a third of a day's work is scheduled, not 1 in 200 of 3,000 stories.
    generate(3000, per_day=3, seed=11, batch_size=1000)
    assert Article.objects.scheduled().count() <= 5
    assert Article.objects.filter(embargo_until__gt=timezone.now()).count() <= 5
