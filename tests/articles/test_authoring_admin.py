"""Writing in the admin: the article form, its inlines, and the pages for what articles use."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from articles.models import Article, Byline, Correction, Section
from tests.articles.admin_forms import change_url, post_data
from tests.factories import make_article, make_author, make_section, make_source, make_user

ADD_URL = "admin:articles_article_add"


@pytest.fixture
def journalist(db):
    return make_user("Journalist", first_name="Ana", last_name="Writer")


@pytest.fixture
def editor(db):
    return make_user("Editor", first_name="Tom", last_name="Editor")


def new_article_data(client, **changes):
    response = client.get(reverse(ADD_URL))
    assert response.status_code == 200
    section = make_section("World")
    defaults = {
        "headline": "NATO to open first Asian liaison office in Tokyo",
        "slug": "nato-to-open-first-asian-liaison-office-in-tokyo",
        "dek": "The alliance's first office in Asia.",
        "body": "<p>NATO plans to open its first Asian liaison office.</p>",
        "section": section.pk,
        "tags": "NATO, Japan",
    }
    return post_data(response, **{**defaults, **changes})


def test_new_article_form_puts_the_headline_first_and_the_writer_on_the_byline(client, journalist):
    client.force_login(journalist)
    response = client.get(reverse(ADD_URL))
    html = response.content.decode()
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields)[:3] == ["headline", "dek", "body"]
    assert 'class="newsroom-headline"' in html
    assert "maxlength" not in str(form["headline"])
    assert "prose-editor" in html or "django_prose_editor" in html
    bylines = next(
        i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is Byline
    )
    assert bylines.forms[0].initial["author"] == journalist.author_profile.pk
    assert f'<option value="{journalist.author_profile.pk}" selected>' in html


def test_journalist_saves_a_new_article_with_their_byline_and_a_clean_body(client, journalist):
    client.force_login(journalist)
    data = new_article_data(
        client,
        body='<p onclick="steal()">NATO <b>plans</b> an office.<script>alert(1)</script></p>',
    )
    response = client.post(reverse(ADD_URL), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.body == "<p>NATO <strong>plans</strong> an office.</p>"
    assert article.word_count == 4
    assert [(b.author, b.role) for b in article.bylines.all()] == [
        (journalist.author_profile, Byline.Role.WRITTEN_BY)
    ]
    assert sorted(article.tags.names()) == ["Japan", "NATO"]


def test_headline_over_200_characters_is_a_clear_error_and_nothing_is_saved(client, journalist):
    client.force_login(journalist)
    long_headline = "NATO " * 41  # 204 characters, never cut short
    response = client.post(reverse(ADD_URL), new_article_data(client, headline=long_headline))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["headline"]
    assert errors == [
        "The headline is 204 characters long; the most is 200. Shorten it by 4 characters."
    ]
    assert "Shorten it by 4 characters" in response.content.decode()
    assert not Article.objects.exists()


def test_headline_of_exactly_200_characters_is_accepted(client, journalist):
    client.force_login(journalist)
    headline = "x" * 200
    response = client.post(reverse(ADD_URL), new_article_data(client, headline=headline))
    assert response.status_code == 302
    assert Article.objects.get().headline == headline


def test_new_article_with_a_taken_slug_gets_a_suffix_and_is_told(client, journalist):
    taken = make_article(headline="Tokyo", slug="nato-tokyo")
    client.force_login(journalist)
    response = client.post(
        reverse(ADD_URL), new_article_data(client, slug="nato-tokyo"), follow=True
    )
    new = Article.objects.exclude(pk=taken.pk).get()
    assert new.slug == "nato-tokyo-2"
    shown = [str(m) for m in response.context["messages"]]
    assert any("“nato-tokyo”" in m and "“nato-tokyo-2”" in m for m in shown), shown


def test_new_article_without_a_slug_gets_one_from_its_headline(client, journalist):
    client.force_login(journalist)
    response = client.post(reverse(ADD_URL), new_article_data(client, slug=""))
    assert response.status_code == 302
    assert Article.objects.get().slug == "nato-to-open-first-asian-liaison-office-in-tokyo"


def test_existing_article_given_a_taken_slug_gets_a_form_error_and_keeps_its_own(client, editor):
    make_article(headline="Other", slug="taken")
    article = make_article(headline="Mine", slug="mine", status=Article.Status.DRAFT)
    client.force_login(editor)
    page = client.get(change_url(article))
    response = client.post(change_url(article), post_data(page, slug="taken"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == [
        "Another article already uses this address. Choose a different slug."
    ]
    article.refresh_from_db()
    assert article.slug == "mine"


def test_change_form_shows_word_count_and_reading_time(client, editor):
    article = make_article(body="<p>" + "word " * 461 + "</p>", status=Article.Status.DRAFT)
    client.force_login(editor)
    response = client.get(change_url(article))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Word count" in html and "461" in html
    assert "Reading time" in html and ">3<" in html.replace(" ", "").replace("\n", "")


def test_related_story_is_picked_with_autocomplete(client, journalist):
    make_article(headline="Stoltenberg warns about China")
    client.force_login(journalist)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Stoltenberg",
            "app_label": "articles",
            "model_name": "relatedarticle",
            "field_name": "related",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Stoltenberg warns about China"]


@pytest.mark.parametrize(
    ("model_name", "field_name", "make", "term"),
    [
        ("byline", "author", lambda: make_author("Michito Tsuruoka"), "Tsuruoka"),
        ("articlesource", "source", lambda: make_source("Nikkei Asia"), "Nikkei"),
        ("article", "section", lambda: make_section("World"), "Wor"),
    ],
)
def test_authors_sources_and_sections_are_picked_with_autocomplete(
    client, journalist, model_name, field_name, make, term
):
    made = make()
    client.force_login(journalist)
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "articles", "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(made.pk)]


def test_adding_a_correction_moves_the_public_updated_time(db):
    article = make_article()
    assert article.updated_at is None
    correction = Correction.objects.create(
        article=article, text="An earlier version misspelt Michito Tsuruoka's name."
    )
    article.refresh_from_db()
    assert article.updated_at == correction.created_at


def test_an_older_correction_does_not_move_updated_time_backwards(db):
    article = make_article()
    first = Correction.objects.create(article=article, text="Newer.")
    Correction.objects.create(
        article=article, text="Backdated.", created_at=first.created_at.replace(year=2020)
    )
    article.refresh_from_db()
    assert article.updated_at == first.created_at


def test_editing_a_correction_leaves_updated_time_alone(db):
    article = make_article()
    correction = Correction.objects.create(article=article, text="Typo")
    article.refresh_from_db()
    before = article.updated_at
    Article.objects.filter(pk=article.pk).update(updated_at=None)
    correction.text = "Typo fixed"
    correction.save()
    article.refresh_from_db()
    assert before is not None and article.updated_at is None


# The things articles use ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changelist", "make_used"),
    [
        ("admin:articles_section_changelist", lambda a: a.section),
        ("admin:articles_source_changelist", lambda a: a.article_sources.get().source),
        ("admin:authors_author_changelist", lambda a: a.bylines.get().author),
        ("admin:taggit_tag_changelist", lambda a: a.tags.get()),
    ],
)
def test_admin_pages_count_and_list_the_articles_that_use_each_thing(
    client, editor, changelist, make_used
):
    article = make_article(
        headline="NATO in Tokyo",
        authors=[make_author("David Wyatt")],
        sources=[make_source("korrespondent")],
        tags=["NATO"],
    )
    used = make_used(article)
    client.force_login(editor)
    listing = client.get(reverse(changelist), {"q": str(used)})
    assert listing.status_code == 200
    assert str(used) in listing.content.decode()
    assert 'class="field-article_count">1<' in listing.content.decode()
    meta = used._meta
    page = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[used.pk]))
    assert page.status_code == 200
    assert reverse("admin:articles_article_change", args=[article.pk]) in page.content.decode()
    assert "NATO in Tokyo" in page.content.decode()


def test_the_tag_admin_is_the_newsrooms(client, editor):
    from django.contrib import admin
    from taggit.models import Tag

    from articles.admin import TagAdmin

    assert isinstance(admin.site.get_model_admin(Tag), TagAdmin)


@pytest.mark.parametrize(
    ("model_name", "used_of"),
    [
        ("section", lambda a: a.section),
        ("source", lambda a: a.article_sources.get().source),
        ("author", lambda a: a.bylines.get().author),
    ],
)
def test_deleting_something_articles_use_is_refused_naming_the_articles(
    client, editor, model_name, used_of
):
    article = make_article(
        headline="NATO in Tokyo", authors=[make_author()], sources=[make_source()]
    )
    used = used_of(article)
    meta = used._meta
    client.force_login(editor)
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[used.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Cannot delete" in html or "would require deleting" in html
    assert "NATO in Tokyo" in html
    assert reverse("admin:articles_article_change", args=[article.pk]) in html
    client.post(url, {"post": "yes"})
    assert type(used).objects.filter(pk=used.pk).exists()
    assert Article.objects.filter(pk=article.pk).exists()


@pytest.mark.parametrize(
    ("model_name", "used_of"),
    [
        ("section", lambda a: a.section),
        ("source", lambda a: a.article_sources.get().source),
        ("author", lambda a: a.bylines.get().author),
    ],
)
def test_bulk_deleting_things_articles_use_is_refused_too(client, editor, model_name, used_of):
    article = make_article(
        headline="NATO in Tokyo", authors=[make_author()], sources=[make_source()]
    )
    used = used_of(article)
    meta = used._meta
    client.force_login(editor)
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    action = {"action": "delete_selected", "_selected_action": [used.pk]}
    confirm = client.post(url, action)
    assert confirm.status_code == 200
    assert "NATO in Tokyo" in confirm.content.decode()
    client.post(url, {**action, "post": "yes"})
    assert type(used).objects.filter(pk=used.pk).exists()


def test_an_unused_section_can_be_deleted(client, editor):
    section = make_section("Empty")
    client.force_login(editor)
    url = reverse("admin:articles_section_delete", args=[section.pk])
    client.post(url, {"post": "yes"})
    assert not type(section).objects.filter(pk=section.pk).exists()


def test_journalists_see_but_cannot_change_sections(client, journalist):
    section = make_section("World")
    client.force_login(journalist)
    assert client.get(reverse("admin:articles_section_changelist")).status_code == 200
    response = client.post(
        reverse("admin:articles_section_change", args=[section.pk]),
        {"name": "Renamed", "slug": "world", "position": 0},
    )
    assert response.status_code == 403
    section.refresh_from_db()
    assert section.name == "World"
    assert Group.objects.filter(name="Journalist").exists()


def test_tags_field_suggests_existing_tags_from_the_admin_autocomplete(client, journalist):
    make_article(tags=["NATO", "Japan"])
    client.force_login(journalist)
    form = client.get(reverse(ADD_URL)).content.decode()
    assert 'list="newsroom-tag-suggestions"' in form
    assert '<datalist id="newsroom-tag-suggestions"></datalist>' in form
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "na", "app_label": "articles", "model_name": "article", "field_name": "tags"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["NATO"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["tags", "search", "feeds"])
def test_a_section_cannot_take_the_address_of_a_site_route(client, slug):
    editor = make_user("Editor")
    client.force_login(editor)
    response = client.post(
        "/admin/articles/section/add/",
        {"name": "Tags", "slug": slug, "description": "", "position": 0},
    )
    assert response.status_code == 200
    assert "is already an address of the site" in response.text
    assert not Section.objects.filter(slug=slug).exists()


def test_a_body_picture_from_outside_the_library_is_refused_by_name_and_nothing_is_saved(
    client, journalist
):
    client.force_login(journalist)
    body = (
        "<p>The office opens in May.</p>"
        '<figure><img src="https://elsewhere.example/tokyo.jpg" alt="Tokyo">'
        "<figcaption>The new office in Tokyo.</figcaption></figure>"
    )
    response = client.post(reverse(ADD_URL), new_article_data(client, body=body))
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["body"]
    assert "must come from the image library" in error
    assert "https://elsewhere.example/tokyo.jpg" in error
    assert not Article.objects.exists()


def test_a_body_picture_from_the_library_is_kept_with_its_caption(client, journalist, settings):
    client.force_login(journalist)
    src = f"{settings.MEDIA_URL}images/tokyo.jpg"
    body = f'<figure><img src="{src}" alt="Tokyo"><figcaption>The new office.</figcaption></figure>'
    response = client.post(reverse(ADD_URL), new_article_data(client, body=body))
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Article.objects.get().body
    assert src in saved
    assert "The new office." in saved
