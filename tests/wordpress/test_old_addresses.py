"""Every old WordPress address keeps working: a 301 to what it became, never a leak."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import workflow
from articles.models import Article

pytestmark = pytest.mark.django_db


def location(response):
    assert response.status_code == 301, response.status_code
    return response["Location"]


def test_old_permalink_answers_301_to_the_new_article_address(imported, client):
    story = Article.objects.get(slug="summit-opens")
    assert location(client.get("/2019/05/summit-opens/")) == story.get_absolute_url()
    assert location(client.get("/2019/05/summit-opens")) == story.get_absolute_url()
    assert story.get_absolute_url() == "/harbour/2019/05/14/summit-opens/"
    assert client.get(story.get_absolute_url()).status_code == 200


def test_short_link_with_the_post_id_answers_301(imported, client):
    story = Article.objects.get(slug="dredging-vote")
    assert location(client.get("/?p=202")) == story.get_absolute_url()
    assert location(client.get("/", {"p": "202", "utm_source": "x"})) == story.get_absolute_url()


def test_category_and_tag_archives_answer_301(imported, client):
    assert location(client.get("/category/harbour/")) == "/harbour/"
    # A child category: WordPress's address names its parent too.
    assert location(client.get("/category/harbour/ferries/")) == "/ferries/"
    # A category that was never a first category became a tag.
    assert location(client.get("/tag/nato/")) == "/tags/nato/"
    assert location(client.get("/?cat=4")) == "/harbour/"


def test_a_drafts_old_address_is_404_until_it_is_published(imported, client, django_user_model):
    draft = Article.objects.get(slug="staff-rota")
    assert client.get("/2019/07/staff-rota/").status_code == 404
    assert client.get("/?p=206").status_code == 200  # the home page, nothing about the draft
    assert b"staff-rota" not in client.get("/?p=206").content
    editor = django_user_model.objects.create_superuser("ed", "ed@example.com", "pw")
    workflow.publish(draft, by=editor)
    draft.refresh_from_db()
    assert location(client.get("/2019/07/staff-rota/")) == draft.get_absolute_url()


def test_a_scheduled_storys_old_address_does_not_reveal_it_before_its_time(imported, client):
    assert Article.objects.get(slug="ferry-timetable").publish_at > timezone.now()
    response = client.get("/?p=203")
    assert response.status_code == 200
    assert b"ferry-timetable" not in response.content


def test_a_withdrawn_storys_old_address_leads_to_its_gone_page(imported, client, django_user_model):
    story = Article.objects.get(slug="summit-opens")
    editor = django_user_model.objects.create_superuser("ed", "ed@example.com", "pw")
    workflow.withdraw(story, by=editor, reason="Legal")
    target = location(client.get("/2019/05/summit-opens/"))
    assert client.get(target).status_code == 410


def test_unknown_addresses_stay_404(imported, client):
    assert client.get("/2019/05/never-was/").status_code == 404
    assert client.get("/?p=999999").status_code == 200


def test_a_normal_page_does_not_look_up_old_addresses(imported, client):
    story = Article.objects.get(slug="summit-opens")
    for path in ("/", story.get_absolute_url(), "/harbour/", "/tags/nato/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert not [q for q in queries if "wordpress_oldaddress" in q["sql"]], path
