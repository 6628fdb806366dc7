"""Cursor pagination: newest first, every story once, however many go live meanwhile."""

from datetime import timedelta

from django.utils import timezone

from api.representation import article_detail
from articles.models import Article
from tests.factories import make_article, make_author


def walk(client, url):
    ids = []
    while url:
        page = client.get(url).json()
        ids += [item["id"] for item in page["items"]]
        url = page["next"]
    return ids


def test_pages_stay_stable_while_stories_go_live(client, db):
    now = timezone.now()
    same_moment = now - timedelta(hours=2)
    older = [make_article(publish_at=same_moment) for _ in range(4)]
    older += [make_article(publish_at=now - timedelta(hours=3 + i)) for i in range(3)]
    expected = [a.pk for a in sorted(older, key=lambda a: (a.publish_at, a.pk), reverse=True)]
    first = client.get("/api/v1/articles/?limit=3").json()
    seen = [item["id"] for item in first["items"]]
    # Two stories go live between the first page and the next ones.
    make_article(publish_at=now - timedelta(minutes=5))
    make_article(publish_at=now - timedelta(minutes=1))
    seen += walk(client, first["next"])
    assert seen == expected


def test_next_keeps_the_filters_and_the_page_size(client, db):
    author = make_author("Ana Lee")
    for _ in range(3):
        make_article(authors=[author])
    make_article()
    first = client.get(f"/api/v1/articles/?author={author.slug}&limit=2").json()
    assert "author=ana-lee" in first["next"] and "limit=2" in first["next"]
    assert first["next"].startswith("https://news.example/api/v1/articles/?")
    assert len(walk(client, f"/api/v1/articles/?author={author.slug}&limit=2")) == 3


def test_directory_lists_and_corrections_page_through_everything(client, db):
    from articles.models import Correction

    for i in range(5):
        story = make_article(tags=[f"Topic {i}"], authors=[make_author()])
        Correction.objects.create(article=story, text=f"Correction {i}")
    assert len(walk(client, "/api/v1/tags/?limit=2")) == 5
    assert len(walk(client, "/api/v1/authors/?limit=2")) == 5
    assert len(set(walk(client, "/api/v1/corrections/?limit=2"))) == 5


def test_the_story_answer_is_the_representation_other_senders_use(client, db):
    story = make_article(tags=["Port"], authors=[make_author("Ana Lee")])
    make_article(tags=["Port"])
    loaded = Article.objects.published().for_detail().get(pk=story.pk)
    answer = client.get(f"/api/v1/articles/{story.pk}/").json()
    assert answer == article_detail(loaded)
    assert answer["related"] and answer["related"][0]["headline"]
