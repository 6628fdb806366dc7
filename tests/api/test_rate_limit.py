"""Budgets per minute: each anonymous address and each token; then 429 with Retry-After."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import make_article

from .conftest import bearer


@pytest.fixture
def small_budgets(settings, db):
    settings.NEWSROOM_API_RATE_ANONYMOUS = 3
    settings.NEWSROOM_API_RATE_TOKEN = 5
    make_article()


def statuses(client, n, url="/api/v1/articles/", **extra):
    return [client.get(url, **extra).status_code for _ in range(n)]


def test_an_address_over_its_budget_waits_for_the_next_minute(client, small_budgets):
    start = timezone.now().replace(second=20, microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        # Answers from the page cache count too.
        assert statuses(client, 3) == [200, 200, 200]
        refused = client.get("/api/v1/articles/")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "40"
        assert refused.json()["retry_after"] == 40
        # Another address has its own budget.
        assert client.get("/api/v1/articles/", REMOTE_ADDR="10.0.0.9").status_code == 200
        clock.move_to(start + timedelta(seconds=40))
        assert client.get("/api/v1/articles/").status_code == 200


def test_each_token_has_its_own_budget(client, small_budgets, published_token, drafts_token):
    start = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert statuses(client, 3) == [200] * 3
        assert client.get("/api/v1/articles/").status_code == 429
        assert statuses(client, 6, **bearer(published_token)) == [200] * 5 + [429]
        assert statuses(client, 5, **bearer(drafts_token)) == [200] * 5


def test_the_public_site_is_not_counted(client, small_budgets):
    start = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert statuses(client, 5, url="/") == [200] * 5
        assert client.get("/api/v1/articles/").status_code == 200


def test_a_zero_budget_means_no_limit(client, settings, db):
    settings.NEWSROOM_API_RATE_ANONYMOUS = 0
    assert statuses(client, 70, url="/api/v1/sections/") == [200] * 70
