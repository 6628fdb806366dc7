"""Accounts: throttled logins that a spoofed header cannot dodge, no username enumeration,
password rules on, and cookies that only travel over HTTPS in production."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import override_settings

from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"

axes_on = override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    from axes.models import AccessAttempt, AccessFailureLog

    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()


def attempt(client, username, password, **headers):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=headers.pop("REMOTE_ADDR", "203.0.113.7"),
        **headers,
    )


def logged_in(response):
    return response.status_code == 302 and response.headers["Location"] == "/admin/"


@axes_on
def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client):
    make_user("Editor", username="tom")
    answers = [attempt(client, "tom", "wrong").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure locks
    response = attempt(client, "tom", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(response)
    assert "_auth_user_id" not in client.session
    assert "Too many failed logins" in response.text
    assert "Try again in 15 minutes" in response.text
    assert int(response.headers["Retry-After"]) == 900


@axes_on
def test_the_lockout_page_says_the_same_for_unknown_and_real_usernames(client):
    make_user("Editor", username="tom")
    for username in ("tom", "nobody-here"):
        for _ in range(5):
            attempt(client, username, "wrong")
    real = attempt(client, "tom", "wrong")
    unknown = attempt(client, "nobody-here", "wrong")
    assert real.status_code == unknown.status_code == 429

    def without_nonces(text):
        return re.sub(r'nonce="[^"]*"', "", text)

    assert without_nonces(real.text) == without_nonces(unknown.text)


@axes_on
def test_four_wrong_passwords_then_the_right_one_still_logs_in(client):
    make_user("Editor", username="tom")
    for _ in range(4):
        attempt(client, "tom", "wrong")
    assert logged_in(attempt(client, "tom", PASSWORD))


@axes_on
def test_a_spoofed_x_forwarded_for_does_not_dodge_the_lockout(client):
    make_user("Editor", username="tom")
    for n in range(5):
        attempt(client, "tom", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = attempt(client, "tom", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.250")
    assert response.status_code == 429
    assert not logged_in(response)


@axes_on
def test_lockout_holds_for_one_address_and_not_another(client):
    # Locking by username and address: an attacker cannot lock the real user out from
    # the newsroom's own network.
    make_user("Editor", username="tom")
    for _ in range(5):
        attempt(client, "tom", "wrong", REMOTE_ADDR="203.0.113.7")
    assert attempt(client, "tom", PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert logged_in(attempt(client, "tom", PASSWORD, REMOTE_ADDR="192.0.2.10"))


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_the_one_locked(client):
    make_user("Editor", username="tom")
    proxy = "10.0.0.2"
    for _ in range(5):
        attempt(client, "tom", "wrong", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    # The client may prepend anything; only what the trusted proxy appended counts.
    locked = attempt(
        client, "tom", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7"
    )
    assert locked.status_code == 429
    other_reader = attempt(
        client, "tom", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.10"
    )
    assert logged_in(other_reader)


@axes_on
def test_unknown_usernames_are_locked_out_like_real_ones(client):
    make_user("Editor", username="tom")
    for _ in range(5):
        attempt(client, "nobody-here", "wrong")
    assert attempt(client, "nobody-here", "wrong").status_code == 429


def error_text(response):
    from html.parser import HTMLParser

    class Errors(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.text = 0, []

        def handle_starttag(self, tag, attrs):
            if self.depth or "errornote" in (dict(attrs).get("class") or ""):
                self.depth += 1

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1

        def handle_data(self, data):
            if self.depth:
                self.text.append(data.strip())

    parser = Errors()
    parser.feed(response.text)
    return " ".join(t for t in parser.text if t)


@axes_on
def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    make_user("Editor", username="tom")
    unknown = attempt(client, "nobody-here", "wrong")
    wrong = attempt(client, "tom", "wrong", REMOTE_ADDR="192.0.2.10")
    assert unknown.status_code == wrong.status_code == 200
    assert error_text(unknown)
    assert error_text(unknown) == error_text(wrong)


def test_inactive_account_with_the_right_password_gets_the_same_answer_as_a_wrong_one(client):
    make_user("Editor", username="gone", is_active=False)
    make_user("Editor", username="tom")
    inactive = attempt(client, "gone", PASSWORD)
    wrong = attempt(client, "tom", "wrong")
    assert not logged_in(inactive)
    assert error_text(inactive) == error_text(wrong)


@pytest.mark.parametrize("password", ["password", "12345678", "short", "tomtomtom1", "newsroom"])
def test_weak_passwords_are_refused(password):
    from django.contrib.auth.models import User

    user = User(username="tomtomtom1", first_name="Tom", email="tom@newsroom.invalid")
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user)


def test_a_strong_passphrase_is_accepted():
    password_validation.validate_password("correct horse battery staple")


def test_an_editor_cannot_set_a_weak_password_through_the_admin(client):
    user = make_user("Editor", username="tom")
    client.force_login(user)
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def production_settings(**extra):
    """Settings as production computes them from its environment, in a fresh process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "HTTPS", "SITE_URL", "ALLOWED_HOSTS"))
    }
    env.update(
        {
            "SECRET_KEY": "x" * 60,
            "SITE_URL": "https://news.example",
            "ALLOWED_HOSTS": "news.example",
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            **extra,
        }
    )
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
        "X_FRAME_OPTIONS",
        "DEBUG",
        "TRUSTED_PROXY_COUNT",
    ]
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_cookies_travel_only_over_https_and_are_hidden_from_scripts():
    prod = production_settings()
    assert prod["DEBUG"] is False
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert prod["CSRF_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "203.0.113.7"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "203.0.113.7"),  # did not come through both proxies
        (1, "<script>", "203.0.113.7"),
        (1, "", "203.0.113.7"),
    ],
)
def test_the_throttled_address_honours_only_the_configured_trusted_proxies(
    rf, proxies, forwarded, expected
):
    from articles.middleware import client_ip_address

    request = rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip_address(request) == expected


def test_production_trusts_x_forwarded_for_only_with_a_trusted_proxy_count():
    assert production_settings()["TRUSTED_PROXY_COUNT"] == 0
    assert production_settings(TRUSTED_PROXY_COUNT="2")["TRUSTED_PROXY_COUNT"] == 2
