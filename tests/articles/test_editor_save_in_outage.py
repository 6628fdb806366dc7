"""An editor whose admin save meets a database outage keeps their text and can send it again."""

import re
from html import unescape
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

BODY = "<p>The council voted 7–2 on Tuesday night.</p>\n<p>A second paragraph, typed with care.</p>"


def kept_form(html):
    fields = re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {name: unescape(value) for name, value in fields}, dict(hidden)


def post_during_outage(client, url, data):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("server closed")):
        return client.post(url, data)


def test_a_save_that_meets_an_outage_gives_the_editor_their_text_back_to_send_again():
    editor = make_user("Editor")
    article = make_article(headline="Old headline")
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    url = f"/admin/articles/article/{article.pk}/change/"
    sent = {
        "headline": "Council backs the new bridge",
        "body": BODY,
        "section": str(article.section_id),
        "csrfmiddlewaretoken": "token-as-sent",
        "_continue": "Save and continue editing",
    }

    response = post_during_outage(client, url, sent)

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    assert "Nothing was saved" in response.text
    texts, hidden = kept_form(response.text)
    assert texts["headline"] == sent["headline"]
    assert texts["body"] == BODY
    # Everything else goes back as it came, so "Save again" is the very same save.
    assert hidden["section"] == sent["section"]
    assert hidden["csrfmiddlewaretoken"] == "token-as-sent"
    assert f'action="{url}"' in response.text
    assert "Save again" in response.text
    article.refresh_from_db()
    assert article.headline == "Old headline"


def test_a_password_sent_during_an_outage_is_not_echoed_back():
    admin_user = make_user(None, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    url = f"/admin/auth/user/{admin_user.pk}/password/"
    response = post_during_outage(client, url, {"password1": "s3cret pass", "password2": "x"})
    assert response.status_code == 503
    assert "s3cret" not in response.text
    assert "Passwords you typed were not kept" in response.text


def test_a_reader_still_gets_the_reader_outage_page():
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("server closed")):
        response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert "Back in a moment" in response.text
