"""Permissions probe: every admin URL, discovered from the admin itself, as anonymous, a
journalist (own article and a colleague's) and an editor.

New admin views are covered automatically: the URL list comes from `admin.site`, and each
route's parameters are filled from the rows made here. What each person may do is the table
in the newsroom's description: journalists write and edit their own drafts and submit them;
editors do everything to any article; nobody else gets in.
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.utils import timezone

from articles import revisions, workflow
from articles.models import (
    Article,
    ArticleEvent,
    Byline,
    PreviewLink,
    Revision,
)
from tests.factories import make_article, make_author, make_section, make_source, make_user

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
ANYONE = {"login/", "logout/"}
TOKEN_ROUTES = {"calendar/feed/<str:token>.ics"}  # a secret token, not a session
POST_ONLY = (
    "/restore/",
    "/reset-feed/",
    "/editing/",
    "/frontpagelayout/preview/",
    "/frontpagelayout/undo/",
    "/autosave/",
    "/discard/",
    "/library/upload/",
)


def admin_routes():
    """(route, model_admin or None) for every admin URL, with the model admin's prefix."""
    routes = []
    for entry in admin.site.get_urls():
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            model_admin = _model_admin_for(route)
            for sub in entry.url_patterns:
                if isinstance(sub, URLPattern):
                    routes.append((route + str(sub.pattern), model_admin))
        else:
            routes.append((route, None))
    return routes


def _model_admin_for(prefix):
    match = re.fullmatch(r"(\w+)/(\w+)/", prefix)
    if not match:
        return None
    try:
        model = apps.get_model(match[1], match[2])
    except LookupError:
        return None
    return admin.site.get_model_admin(model)


@pytest.fixture
def newsroom(db):
    journalist = make_user("Journalist", username="ana")
    colleague = make_user("Journalist", username="ben")
    editor = make_user("Editor", username="tom")
    section = make_section("World", slug="world")
    source = make_source("Wire")
    ana, ben = journalist.author_profile, colleague.author_profile
    own = make_article(
        headline="Ana's own draft",
        status=Article.Status.DRAFT,
        authors=[ana],
        section=section,
        created_by=journalist,
        sources=[source],
    )
    other = make_article(
        headline="Ben's private draft",
        status=Article.Status.DRAFT,
        authors=[ben],
        section=section,
        created_by=colleague,
    )
    own_review = make_article(
        headline="Ana's story in review",
        status=Article.Status.IN_REVIEW,
        authors=[ana],
        section=section,
        created_by=journalist,
    )
    published = make_article(
        headline="Ben's published story", authors=[ben], section=section, created_by=colleague
    )
    for article, by in [
        (own, journalist),
        (other, colleague),
        (own_review, journalist),
        (published, editor),
    ]:
        revisions.store(article, by=by)
        revisions.store(article, by=by)
    guest = make_author("Guest Writer")
    return {
        "journalist": journalist,
        "colleague": colleague,
        "editor": editor,
        "own": own,
        "other": other,
        "own_review": own_review,
        "published": published,
        "guest": guest,
        "section": section,
        "source": source,
    }


def fill(route, target, newsroom):
    """A concrete URL for ``route`` about ``target`` (a model instance or None)."""

    def value(match):
        name = match["name"]
        if name == "object_id":
            return str(target.pk)
        if name == "number":
            return str(Revision.objects.filter(article=target).order_by("number").first().number)
        if name == "action":
            return workflow.PUBLISH
        if name == "token":
            return "not-a-real-token"
        if name == "app_label":
            return "articles"
        if name == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            return str(ContentType.objects.get_for_model(Article).pk)
        if name == "url":
            return "articles/article/"
        return "1"

    return "/admin/" + PARAM.sub(value, route)


def target_for(model_admin, newsroom, which="other"):
    if model_admin is None:
        return newsroom[which]
    if model_admin.model is Article:
        return newsroom[which]
    return model_admin.model._default_manager.first()


def every_url(newsroom, which="other"):
    urls = []
    for route, model_admin in admin_routes():
        if route in ANYONE or route.endswith(tuple(TOKEN_ROUTES)) or "(?P" in route:
            continue  # the login itself, token URLs, and the admin's catch-all 404
        target = target_for(model_admin, newsroom, which)
        if "object_id>" in route and target is None:
            continue
        urls.append(fill(route, target, newsroom))
    return sorted(set(urls))


def test_the_probe_finds_the_workflow_views(newsroom):
    urls = every_url(newsroom)
    other = newsroom["other"].pk
    for expected in [
        f"/admin/articles/article/{other}/change/",
        f"/admin/articles/article/{other}/delete/",
        f"/admin/articles/article/{other}/history/",
        f"/admin/articles/article/{other}/transition/publish/",
        f"/admin/articles/article/{other}/preview/",
        f"/admin/articles/article/{other}/share/",
        f"/admin/articles/article/{other}/autosave/",
        f"/admin/articles/article/{other}/autosave/discard/",
        "/admin/articles/article/add/",
        "/admin/articles/section/add/",
    ]:
        assert expected in urls
    assert any("/revisions/" in u and u.endswith("/restore/") for u in urls)


# Anonymous ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_the_login_page_from_every_admin_url(newsroom, method):
    client = Client()
    for url in every_url(newsroom):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/admin/login/"), url
    assert Article.objects.get(pk=newsroom["other"].pk).headline == "Ben's private draft"


def test_calendar_feed_with_a_wrong_token_reveals_nothing(newsroom):
    response = Client().get("/admin/articles/article/calendar/feed/not-a-real-token.ics")
    assert response.status_code == 404


# Nothing a refused person does changes anything ---------------------------------------------


def state_of(article):
    article = Article.objects.get(pk=article.pk)
    return {
        "fields": {
            f.attname: getattr(article, f.attname)
            for f in Article._meta.concrete_fields
            if f.attname not in {"search_vector"}
        },
        "bylines": list(Byline.objects.filter(article=article).values_list("author_id", "role")),
        "tags": sorted(article.tags.names()),
        "events": ArticleEvent.objects.filter(article=article).count(),
        "revisions": Revision.objects.filter(article=article).count(),
        "links": PreviewLink.objects.filter(article=article).count(),
        "notes": article.internal_notes.count(),
        "corrections": article.corrections.count(),
    }


HOSTILE_POST = {
    "headline": "Changed by someone who may not",
    "dek": "Changed",
    "body": "<p>Changed</p>",
    "status": "published",
    "publish_at_0": "2020-01-01",
    "publish_at_1": "09:00",
    "at_0": "2020-01-01",
    "at_1": "09:00",
    "at": "2020-01-01T09:00",
    "note": "Sneaky note",
    "reason": "Sneaky reason",
    "post": "yes",  # the delete confirmation
    "action": "bulk_publish",
    "_selected_action": "",
}


@pytest.mark.parametrize("which", ["other", "published", "own_review"])
def test_a_journalist_changes_nothing_through_any_admin_url_of_an_article_they_cannot_edit(
    newsroom, which
):
    client = Client()
    client.force_login(newsroom["journalist"])
    article = newsroom[which]
    before = state_of(article)
    for url in every_url(newsroom, which):
        if f"/{article.pk}/" not in url:
            continue
        for action in workflow.ACTION_LABELS:
            for response in [
                client.get(url.replace("/transition/publish/", f"/transition/{action}/")),
                client.post(
                    url.replace("/transition/publish/", f"/transition/{action}/"),
                    {**HOSTILE_POST, "_selected_action": str(article.pk)},
                ),
            ]:
                assert response.status_code < 500, url
            if "/transition/" not in url:
                break
    assert state_of(article) == before


def test_a_journalist_cannot_publish_schedule_withdraw_or_return_even_their_own_story(newsroom):
    client = Client()
    client.force_login(newsroom["journalist"])
    own = newsroom["own"]
    before = state_of(own)
    later = timezone.localtime() + timedelta(days=1)
    for action in [workflow.PUBLISH, workflow.SCHEDULE, workflow.WITHDRAW, workflow.RETURN]:
        client.post(
            f"/admin/articles/article/{own.pk}/transition/{action}/",
            {"note": "n", "reason": "r", "at_0": f"{later:%Y-%m-%d}", "at_1": "09:00"},
        )
    client.post(
        "/admin/articles/article/",
        {"action": "bulk_publish", "_selected_action": [str(own.pk)]},
    )
    assert state_of(own) == before


def test_crafted_fields_in_a_journalists_own_draft_are_ignored(newsroom):
    from tests.articles.admin_forms import post_data

    client = Client()
    client.force_login(newsroom["journalist"])
    own, other = newsroom["own"], newsroom["other"]
    url = f"/admin/articles/article/{own.pk}/change/"
    other_byline = Byline.objects.get(article=other)
    data = post_data(
        client.get(url),
        headline="Ana's own draft, rewritten",
        status="published",
        publish_at_0="2020-01-01",
        publish_at_1="09:00",
        embargo_until_0="2020-01-01",
        embargo_until_1="09:00",
        expires_at_0="2020-01-01",
        expires_at_1="09:00",
        first_published_at="2020-01-01T09:00",
        created_by=str(newsroom["colleague"].pk),
        version="999",
        **{"bylines-0-id": str(other_byline.pk), "bylines-0-article": str(other.pk)},
    )
    client.post(url, data)
    own.refresh_from_db()
    assert own.status == Article.Status.DRAFT
    assert own.publish_at is None
    assert own.first_published_at is None
    assert own.embargo_until is None and own.expires_at is None
    assert own.created_by == newsroom["journalist"]
    # The colleague's byline stayed on the colleague's article.
    other_byline.refresh_from_db()
    assert other_byline.article_id == other.pk
    assert Article.objects.published().filter(pk=own.pk).count() == 0


def test_a_journalist_cannot_restore_a_revision_of_a_colleagues_article(newsroom):
    client = Client()
    client.force_login(newsroom["journalist"])
    other = newsroom["other"]
    before = state_of(other)
    first = Revision.objects.filter(article=other).order_by("number").first()
    response = client.post(f"/admin/articles/article/{other.pk}/revisions/{first.number}/restore/")
    assert response.status_code in {302, 403, 404}
    assert state_of(other) == before


def test_a_journalist_cannot_preview_or_share_a_colleagues_draft(newsroom):
    client = Client()
    client.force_login(newsroom["journalist"])
    other = newsroom["other"]
    preview = client.get(f"/admin/articles/article/{other.pk}/preview/")
    assert preview.status_code in {403, 404}
    assert "Ben&#x27;s private draft" not in preview.text
    share = client.post(f"/admin/articles/article/{other.pk}/share/", {"revision": "1"})
    assert share.status_code in {403, 404}
    assert not PreviewLink.objects.exists()


def test_only_editors_create_share_preview_links(newsroom):
    journalist, editor = Client(), Client()
    journalist.force_login(newsroom["journalist"])
    editor.force_login(newsroom["editor"])
    own = newsroom["own"]
    assert journalist.get(f"/admin/articles/article/{own.pk}/share/").status_code == 403
    journalist.post(f"/admin/articles/article/{own.pk}/share/", {})
    assert not PreviewLink.objects.exists()
    page = editor.get(f"/admin/articles/article/{own.pk}/share/")
    assert page.status_code == 200


def test_a_journalist_may_not_manage_sections_sources_or_authors(newsroom):
    client = Client()
    client.force_login(newsroom["journalist"])
    section, source, guest = newsroom["section"], newsroom["source"], newsroom["guest"]
    for url in [
        "/admin/articles/section/add/",
        "/admin/articles/source/add/",
        "/admin/authors/author/add/",
        f"/admin/articles/section/{section.pk}/delete/",
        f"/admin/articles/source/{source.pk}/delete/",
        f"/admin/authors/author/{guest.pk}/delete/",
    ]:
        assert (
            client.post(url, {"name": "Hijacked", "slug": "hijacked", "post": "yes"}).status_code
            == 403
        ), url
    for url in [
        f"/admin/articles/section/{section.pk}/change/",
        f"/admin/articles/source/{source.pk}/change/",
        f"/admin/authors/author/{guest.pk}/change/",
    ]:
        client.post(url, {"name": "Hijacked", "slug": "hijacked"})
    section.refresh_from_db()
    source.refresh_from_db()
    guest.refresh_from_db()
    assert (section.name, source.name, guest.name) == ("World", "Wire", "Guest Writer")


def test_a_journalist_may_not_see_user_accounts_or_side_effects(newsroom):
    client = Client()
    client.force_login(newsroom["journalist"])
    for url in ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"]:
        assert client.get(url).status_code in {403, 404}, url


# Allowed ------------------------------------------------------------------------------------


def test_a_journalist_can_work_on_their_own_draft(newsroom):
    client = Client()
    client.force_login(newsroom["journalist"])
    own = newsroom["own"]
    for url in [
        f"/admin/articles/article/{own.pk}/change/",
        f"/admin/articles/article/{own.pk}/history/",
        f"/admin/articles/article/{own.pk}/preview/",
        "/admin/articles/article/add/",
    ]:
        assert client.get(url).status_code == 200, url
    client.post(f"/admin/articles/article/{own.pk}/transition/submit/", {"note": ""})
    own.refresh_from_db()
    assert own.status == Article.Status.IN_REVIEW


def model_permission_needed(route, model_admin):
    """The model permission Django's admin asks for at a standard route, or None."""
    if model_admin is None or model_admin.model is Article:
        return None
    opts = model_admin.model._meta
    suffix = route.split("/", 2)[-1]
    needed = {
        "": ["view", "change"],
        "<path:object_id>/change/": ["view", "change"],
        "<path:object_id>/history/": ["view", "change"],
        "add/": ["add"],
        "<path:object_id>/delete/": ["delete"],
        "<id>/password/": ["change"],
    }.get(suffix)
    if needed is None:
        return None
    return [f"{opts.app_label}.{action}_{opts.model_name}" for action in needed]


def test_an_editor_reaches_every_admin_url_for_any_article(newsroom):
    client = Client()
    editor = newsroom["editor"]
    client.force_login(editor)
    for which in ["other", "own_review", "published"]:
        for route, model_admin in admin_routes():
            if route in ANYONE or route.endswith(tuple(TOKEN_ROUTES)) or "(?P" in route:
                continue
            target = target_for(model_admin, newsroom, which)
            if "object_id>" in route and target is None:
                continue
            url = fill(route, target, newsroom)
            response = client.get(url)
            perms = model_permission_needed(route, model_admin)
            if perms is not None:
                may = any(editor.has_perm(p) for p in perms)
                assert response.status_code == (200 if may else 403), url
            elif url.endswith(POST_ONLY):
                assert response.status_code == 405, url  # POST only
            elif url.endswith(f"/articles/article/{newsroom[which].pk}/delete/"):
                # Deleting is for those granted it; a story readers have seen is withdrawn,
                # never deleted.
                may = editor.has_perm("articles.delete_article") and which != "published"
                assert response.status_code == (200 if may else 403), url
            elif url == "/admin/autocomplete/":
                assert response.status_code == 403  # refuses a request without its field
            else:
                assert response.status_code in {200, 302}, (url, response.status_code)


def test_an_editor_publishes_a_colleagues_story(newsroom):
    client = Client()
    client.force_login(newsroom["editor"])
    review = newsroom["own_review"]
    client.post(f"/admin/articles/article/{review.pk}/transition/publish/", {"note": "Go."})
    review.refresh_from_db()
    assert review.status == Article.Status.PUBLISHED


@pytest.mark.parametrize("role", ["journalist", "editor"])
def test_every_model_page_answers_exactly_as_the_role_permissions_say(newsroom, role):
    client = Client()
    user = newsroom[role]
    client.force_login(user)
    checked = 0
    for route, model_admin in admin_routes():
        perms = model_permission_needed(route, model_admin)
        if perms is None:
            continue
        target = target_for(model_admin, newsroom)
        if ("<path:object_id>" in route or "<id>" in route) and target is None:
            continue
        url = fill(route.replace("<id>", "<path:object_id>"), target, newsroom)
        for method in ("get", "post"):
            needed = perms
            if method == "post":
                if route.endswith(("/history/", "/")) and not route.endswith(
                    ("/change/", "add/", "/delete/", "/password/")
                ):
                    continue  # a list or a history page: nothing to send
                # Viewing is not changing: a POST needs the change permission itself.
                needed = [p for p in perms if ".view_" not in p]
            may = any(user.has_perm(p) for p in needed)
            response = getattr(client, method)(url)
            if may:
                assert response.status_code in {200, 302}, (route, method)
            else:
                assert response.status_code == 403, (route, method)
            checked += 1
    assert checked > 40
