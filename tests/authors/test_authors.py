"""Authors: staff accounts get a profile to put on bylines; guests have none."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from authors.models import Author
from tests.articles.admin_forms import post_data
from tests.factories import make_author, make_user


@pytest.fixture
def admin_client_(client, db):
    admin = get_user_model().objects.create_superuser("boss", "boss@newsroom.invalid", "pw-123456")
    client.force_login(admin)
    return client


def create_user_in_admin(client, username, *, first, last, group):
    added = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": username,
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    user = get_user_model().objects.get(username=username)
    url = reverse("admin:auth_user_change", args=[user.pk])
    page = client.get(url)
    changed = client.post(
        url,
        post_data(
            page,
            first_name=first,
            last_name=last,
            is_staff="on",
            groups=[str(Group.objects.get(name=group).pk)] if group else [],
        ),
    )
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    user.refresh_from_db()
    return user


@pytest.mark.parametrize("group", ["Journalist", "Editor"])
def test_a_journalist_or_editor_account_made_in_the_admin_gets_an_author_profile(
    admin_client_, group
):
    user = create_user_in_admin(admin_client_, "mpark", first="Mia", last="Park", group=group)
    author = Author.objects.get(user=user)
    assert author.name == "Mia Park"
    assert author.slug == "mia-park"
    assert not author.is_guest


def test_an_account_is_linked_to_the_guest_author_of_the_same_name(admin_client_):
    guest = make_author("Mia Park")
    user = create_user_in_admin(
        admin_client_, "mpark", first="Mia", last="Park", group="Journalist"
    )
    guest.refresh_from_db()
    assert guest.user == user
    assert Author.objects.filter(name="Mia Park").count() == 1


def test_an_account_outside_the_newsroom_groups_gets_no_author_profile(admin_client_):
    user = create_user_in_admin(admin_client_, "ops", first="Op", last="Erator", group=None)
    assert not Author.objects.filter(user=user).exists()


def test_adding_users_to_the_group_from_the_group_side_gives_them_profiles(db):
    user = make_user(None, username="lee", first_name="Lee", last_name="Kim")
    Group.objects.get(name="Editor").user_set.add(user)
    assert Author.objects.get(user=user).name == "Lee Kim"


def test_joining_a_second_newsroom_group_keeps_the_one_profile(db):
    user = make_user("Journalist")
    profile = user.author_profile
    user.groups.add(Group.objects.get(name="Editor"))
    assert Author.objects.filter(user=user).get() == profile


def test_authors_with_the_same_name_get_distinct_slugs(db):
    first, second = make_author("Ana Lee"), make_author("Ana Lee")
    assert (first.slug, second.slug) == ("ana-lee", "ana-lee-2")


def test_a_bio_is_split_into_plain_paragraphs(db):
    author = make_author("David Wyatt", bio="First <b>para</b>.\r\n\r\nSecond.\n\n\n")
    assert author.bio_paragraphs == ["First <b>para</b>.", "Second."]


def test_author_admin_is_searchable_and_editors_manage_links(client, db):
    make_author("Michito Tsuruoka", affiliation="Keio University")
    editor = make_user("Editor")
    client.force_login(editor)
    listing = client.get(reverse("admin:authors_author_changelist"), {"q": "Keio"})
    assert "Michito Tsuruoka" in listing.content.decode()
    author = Author.objects.get(name="Michito Tsuruoka")
    page = client.get(reverse("admin:authors_author_change", args=[author.pk]))
    response = client.post(
        reverse("admin:authors_author_change", args=[author.pk]),
        post_data(
            page,
            **{
                "links-TOTAL_FORMS": "1",
                "links-0-label": "Mastodon",
                "links-0-url": "https://mastodon.example/@michito",
                "links-0-position": "0",
            },
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [link.label for link in author.links.all()] == ["Mastodon"]
