"""Model instances built from rows (`articles.rows.instance`) behave like the ORM's own."""

import pytest
from django.db.models.signals import post_init

from articles.models import Article, Section
from articles.rows import instance
from tests.factories import make_article, make_section


@pytest.mark.django_db
def test_an_instance_from_a_row_is_the_stored_story_with_the_unread_fields_deferred():
    story = make_article(headline="Port strike ends")
    row = Article.objects.filter(pk=story.pk).values("id", "headline", "slug", "section_id").get()
    built = instance(Article, row, columns=("id", "headline", "slug", "section_id"))
    assert built == story
    assert hash(built) == hash(story)
    assert built._state.adding is False
    assert built._state.db == "default"
    assert "body" in built.get_deferred_fields()
    assert "headline" not in built.get_deferred_fields()
    assert built.body == story.body  # a deferred field still loads, outside the fetch mode
    built.headline = "Port strike over"
    built.save(update_fields=["headline"])
    assert Article.objects.get(pk=story.pk).headline == "Port strike over"


@pytest.mark.django_db
def test_a_model_with_init_receivers_is_built_through_from_db_so_they_run():
    section = make_section("Climate", slug="climate")
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.__dict__.get("name"))

    post_init.connect(receiver, sender=Section)
    try:
        built = instance(
            Section,
            {"id": section.pk, "name": "Climate", "slug": "climate"},
            columns=("id", "name", "slug"),
        )
    finally:
        post_init.disconnect(receiver, sender=Section)
    assert seen == ["Climate"]
    assert built == section
    assert built._state.adding is False
