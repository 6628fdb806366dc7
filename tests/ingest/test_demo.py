"""`make run`'s demo: the seed story's original text waits on the wire desk."""

import io

from django.contrib.auth import get_user_model
from django.core.management import call_command

from articles.models import ArticleSource
from ingest.demo import SEED_ITEM_HEADLINE
from ingest.drafts import write_story
from ingest.models import IncomingItem


def test_the_demo_desk_has_the_seed_text_and_agency_items(demo):
    assert IncomingItem.objects.count() == 5
    assert IncomingItem.objects.filter(pub_status="canceled").count() == 1
    seed = IncomingItem.objects.get(headline=SEED_ITEM_HEADLINE)
    assert "Subscribe to our channel" in seed.body
    call_command("load_demo", quiet_logins=True, stdout=io.StringIO())
    assert IncomingItem.objects.count() == 5  # loading again adds nothing


def test_one_click_makes_the_seed_story_rewritten_from_korrespondent(demo):
    journalist = get_user_model().objects.get(username="journalist")
    seed = IncomingItem.objects.get(headline=SEED_ITEM_HEADLINE)
    article = write_story(seed, by=journalist)
    source = article.article_sources.get()
    assert (source.source.name, source.relation) == (
        "korrespondent",
        ArticleSource.Relation.REWRITTEN_FROM,
    )
    assert "Subscribe to our channel" not in article.body
    assert "Telegram" not in article.body
    assert article.body.startswith("<p>NATO plans to open its first Asian liaison office")
    assert article.dek.startswith("NATO and Japan will also sign")
    assert article.section.slug == "world"
    assert {"NATO", "Japan", "China"} <= set(article.tags.names())
