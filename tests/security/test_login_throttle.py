"""The login throttle takes any username a person can type: a long one is refused like any
wrong login (never a 500) and still counts towards the lockout."""

import pytest
from django.test import override_settings

from tests.factories import make_user

LOGIN = "/admin/login/?next=/admin/"
LONG = "x" * 300

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    from axes.models import AccessAttempt, AccessFailureLog

    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()


def attempt(client, username):
    return client.post(
        LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR="203.0.113.7"
    )


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
@pytest.mark.parametrize("length", [255, 256, 300, 5000])
def test_a_username_of_any_length_gets_the_ordinary_wrong_login_answer(client, length):
    from axes.models import AccessAttempt

    response = attempt(client, "y" * length)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text
    recorded = AccessAttempt.objects.get()
    assert len(recorded.username) <= 255
    assert recorded.failures_since_start == 1


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_long_usernames_count_towards_the_lockout_each_on_its_own(client):
    make_user("Editor", username="tom")
    answers = [attempt(client, LONG).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    # Another long name with the same beginning is another name, not the locked one.
    assert attempt(client, LONG + "z").status_code == 200
