"""Autosave of the article form: kept per person and form with one upsert, refused to people
who may not edit, kept even when the form would not validate, never published or shown to
anyone else, offered back on reopening, spent by a save, and never a way around the
stale-save check."""

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import revisions
from articles.models import Article, Autosave
from tests.articles.admin_forms import change_url, post_data
from tests.factories import make_article, make_user

Status = Article.Status
ADD_URL = reverse("admin:articles_article_add")


@pytest.fixture
def journalist(db):
    return make_user("Journalist", username="ana", first_name="Ana", last_name="Lee")


@pytest.fixture
def editor(db):
    return make_user("Editor", username="tom", first_name="Tom", last_name="Ruiz")


def keep_url(article=None):
    if article is None:
        return reverse("admin:articles_article_autosave_new")
    return reverse("admin:articles_article_autosave", args=[article.pk])


def as_pairs(data):
    """A form's POST data as the [name, value] pairs the browser's autosave sends."""
    pairs = []
    for name, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append([name, str(one)])
    return pairs


def autosave(client, url, data, *, base_version="", draft_key="", labels=None):
    return client.post(
        url,
        {
            "fields": json.dumps(as_pairs(data)),
            "labels": json.dumps(labels or {}),
            "base_version": str(base_version),
            "draft_key": draft_key,
        },
    )


def test_an_autosave_is_one_row_per_person_and_article_replaced_in_one_statement(
    client, journalist
):
    article = make_article(status=Status.DRAFT, created_by=journalist, headline="First")
    client.force_login(journalist)
    form = post_data(client.get(change_url(article)))
    assert autosave(client, keep_url(article), {**form, "headline": "Second"}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = autosave(
            client, keep_url(article), {**form, "headline": "Third"}, base_version=1
        )
    assert response.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d", response.json()["time"])
    saved = Autosave.objects.get()
    assert (saved.user, saved.article, saved.base_version) == (journalist, article, 1)
    assert saved.values("headline") == ["Third"]
    writes = [q["sql"] for q in queries.captured_queries if "articles_autosave" in q["sql"]]
    assert len(writes) == 1 and "ON CONFLICT" in writes[0].upper()


def test_an_autosave_for_an_article_the_person_may_not_edit_is_refused(client, journalist):
    submitted = make_article(status=Status.IN_REVIEW, created_by=journalist)
    someone_elses = make_article(status=Status.DRAFT)
    client.force_login(journalist)
    for article in (submitted, someone_elses):
        response = autosave(client, keep_url(article), {"headline": "Mine now"})
        assert response.status_code == 403
        assert "may not change this article" in response.json()["error"]
    assert not Autosave.objects.exists()


def test_an_autosave_without_the_csrf_token_is_refused(journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client = Client(enforce_csrf_checks=True)
    client.force_login(journalist)
    response = autosave(client, keep_url(article), {"headline": "Forged"})
    assert response.status_code == 403
    assert not Autosave.objects.exists()


def test_a_form_that_would_not_validate_is_still_kept_character_for_character(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    form = post_data(client.get(change_url(article)))
    typed = {
        **form,
        "headline": "",  # required
        "dek": "“Quotes” & <tags> 😀 \n second line   ",
        "embargo_until_0": "31/02/2026",  # no such day
        "canonical_url": "not a url",
    }
    assert autosave(client, keep_url(article), typed).status_code == 200
    saved = Autosave.objects.get()
    assert saved.values("headline") == [""]
    assert saved.values("dek") == ["“Quotes” & <tags> 😀 \n second line   "]
    assert saved.values("embargo_until_0") == ["31/02/2026"]


def test_bad_autosave_data_is_a_clear_400_and_keeps_nothing(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    for body in (
        {"fields": "not json"},
        {"fields": json.dumps({"headline": "a dict"})},
        {"fields": json.dumps([["headline", 3]])},
        {"fields": "[]", "base_version": "two"},
    ):
        response = client.post(keep_url(article), body)
        assert response.status_code == 400
        assert response.json()["error"]
    response = client.post(keep_url(), {"fields": "[]", "draft_key": "../x"})
    assert response.status_code == 400
    assert client.get(keep_url(article)).status_code == 405
    for missing in ("999999", "not-a-number"):
        url = reverse("admin:articles_article_autosave", args=[missing])
        assert client.post(url, {"fields": "[]"}).status_code == 404
    assert not Autosave.objects.exists()


def test_an_autosave_is_never_published_nor_shown_to_anyone_else(client, journalist, editor):
    article = make_article(status=Status.PUBLISHED, headline="Public headline")
    client.force_login(editor)
    form = post_data(client.get(change_url(article)))
    before = Article.objects.values("headline", "version", "modified_at").get(pk=article.pk)
    assert (
        autosave(
            client, keep_url(article), {**form, "headline": "Autosaved secret headline"}
        ).status_code
        == 200
    )
    assert Article.objects.values("headline", "version", "modified_at").get(pk=article.pk) == before
    assert "Autosaved secret headline" not in Client().get(article.get_absolute_url()).text

    other = make_user("Editor", username="lena", first_name="Lena", last_name="Vogel")
    client.force_login(other)
    page = client.get(change_url(article))
    assert "Autosaved secret headline" not in page.text
    assert page.context["autosave"]["offer"] is None


def test_reopening_the_form_offers_the_autosave_with_its_changes(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist, headline="Old words")
    client.force_login(journalist)
    form = post_data(client.get(change_url(article)))
    with time_machine.travel(datetime(2026, 6, 16, 8, 42, tzinfo=UTC)):
        autosave(client, keep_url(article), {**form, "headline": "New words"}, base_version=1)
    page = client.get(change_url(article))
    assert "Restore the autosave from 10:42" in page.text  # the suite's zone is Europe/Berlin
    assert "<ins>New</ins>" in page.text and "<del>Old</del>" in page.text
    data = page.context["autosave"]["offer"]["data"]
    assert ["headline", "New words"] in data["fields"]
    assert data["base_version"] == 1


def test_an_unsaved_new_article_is_offered_on_the_next_add_form(client, journalist):
    client.force_login(journalist)
    first = client.get(ADD_URL)
    key = first.context["autosave"]["draft_key"]
    typed = {**post_data(first), "headline": "Never saved"}
    assert autosave(client, keep_url(), typed, draft_key=key).status_code == 200
    again = client.get(ADD_URL)
    assert again.context["autosave"]["draft_key"] != key
    offer = again.context["autosave"]["offer"]
    assert offer["data"]["draft_key"] == key
    assert "You have a new article that was never saved" in again.text


def test_saving_the_article_deletes_the_autosave(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    opened = client.get(change_url(article))
    form = post_data(opened, headline="Saved for real")
    autosave(client, keep_url(article), form)
    other = make_user("Journalist", username="bo")
    Autosave.objects.keep(user=other, article=article, fields=[], labels={}, base_version=1)
    assert client.post(change_url(article), form).status_code == 302
    # Only the saving person's autosave is spent; someone else's typing is theirs to keep.
    assert list(Autosave.objects.values_list("user__username", flat=True)) == ["bo"]


def test_saving_a_new_article_deletes_the_autosave_of_its_add_form(client, journalist):
    client.force_login(journalist)
    opened = client.get(ADD_URL)
    key = opened.context["autosave"]["draft_key"]
    form = post_data(opened, headline="Brand new story", autosave_draft_key=key)
    autosave(client, keep_url(), form, draft_key=key)
    assert Autosave.objects.filter(article__isnull=True).count() == 1
    assert client.post(ADD_URL, form).status_code == 302
    assert not Autosave.objects.exists()


def test_a_form_that_fails_validation_on_save_keeps_its_autosave(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    form = post_data(client.get(change_url(article)), headline="")
    autosave(client, keep_url(article), form)
    assert client.post(change_url(article), form).status_code == 200
    assert Autosave.objects.filter(article=article).exists()


def test_discarding_deletes_only_my_autosave(client, journalist):
    article = make_article(status=Status.DRAFT, created_by=journalist)
    client.force_login(journalist)
    autosave(client, keep_url(article), {"headline": "Throw away"})
    response = client.post(reverse("admin:articles_article_autosave_discard", args=[article.pk]))
    assert response.status_code == 200
    assert not Autosave.objects.exists()


def test_a_restored_autosave_older_than_someone_elses_save_meets_the_stale_save_check(
    client, journalist, editor
):
    article = make_article(
        status=Status.DRAFT, created_by=journalist, headline="Start", body="<p>Start body.</p>"
    )
    revisions.store(article, by=journalist)
    client.force_login(journalist)
    opened = client.get(change_url(article))
    mine = post_data(opened, body="<p>My autosaved rewrite.</p>")
    autosave(
        client, keep_url(article), mine, base_version=opened.context["workflow"]["base_version"]
    )

    # Tom saves after the journalist's form was opened (and autosaved).
    client.force_login(editor)
    theirs = post_data(client.get(change_url(article)), body="<p>Tom's newer body.</p>")
    assert client.post(change_url(article), theirs).status_code == 302
    article.refresh_from_db()
    assert article.version == 2

    client.force_login(journalist)
    reopened = client.get(change_url(article))
    offer = reopened.context["autosave"]["offer"]
    assert offer["newer_save"]["name"] == "Tom Ruiz"
    assert "Tom Ruiz saved this article at" in reopened.text
    # The restored form posts the autosaved fields with the version they were made from.
    restored = {}
    for name, value in offer["data"]["fields"]:
        restored.setdefault(name, []).append(value)
    restored = {k: v[0] if len(v) == 1 else v for k, v in restored.items()}
    restored["base_version"] = str(offer["data"]["base_version"])
    restored["seen_version"] = ""
    response = client.post(change_url(article), restored)
    assert response.status_code == 200
    assert "Tom Ruiz saved this article at" in response.text
    article.refresh_from_db()
    assert "Tom's newer body." in article.body
