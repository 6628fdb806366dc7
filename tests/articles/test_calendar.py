"""The editorial calendar (week and month, in the newsroom's zone) and its iCal feed at a
secret, resettable address."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from articles.models import Article, CalendarToken
from tests.factories import make_article, make_section, make_user

Status = Article.Status
NOW = datetime(2026, 6, 16, 6, 0, tzinfo=UTC)  # Tue 16 Jun, 08:00 CEST
CALENDAR = "admin:articles_article_calendar"


@pytest.fixture
def newsroom(db):
    world, business = make_section("World"), make_section("Business")
    with time_machine.travel(NOW, tick=False):
        stories = {
            "scheduled": make_article(
                headline="Scheduled for nine",
                section=world,
                publish_at=datetime(2026, 6, 16, 7, 0, tzinfo=UTC),
            ),
            "live": make_article(
                headline="Live since Monday",
                section=business,
                publish_at=datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            ),
            # 23:30 UTC on Sunday is already Monday in Berlin.
            "late": make_article(
                headline="Just after midnight",
                section=world,
                publish_at=datetime(2026, 6, 14, 22, 30, tzinfo=UTC),
            ),
            "next_month": make_article(
                headline="July story",
                section=world,
                publish_at=datetime(2026, 7, 2, 7, 0, tzinfo=UTC),
            ),
            "draft": make_article(status=Status.DRAFT, headline="Draft is not on it"),
        }
    return {"world": world, "business": business, **stories}


def cell_headlines(response):
    return {
        day["date"].isoformat(): [e["article"].headline for e in day["entries"]]
        for week in response.context["weeks"]
        for day in week
        if day["entries"]
    }


def test_week_view_places_stories_on_their_local_day_with_status(client, newsroom):
    client.force_login(make_user("Editor"))
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse(CALENDAR))
    assert cell_headlines(response) == {
        "2026-06-15": ["Just after midnight", "Live since Monday"],
        "2026-06-16": ["Scheduled for nine"],
    }
    entries = {
        e["article"].headline: e for w in response.context["weeks"] for d in w for e in d["entries"]
    }
    assert entries["Scheduled for nine"]["css"] == "scheduled"
    assert entries["Scheduled for nine"]["time"] == "09:00 CEST"
    assert entries["Live since Monday"]["css"] == "live"
    assert reverse("admin:articles_article_change", args=[newsroom["live"].pk]) in response.text


def test_month_view_and_section_filter(client, newsroom):
    client.force_login(make_user("Journalist"))
    with time_machine.travel(NOW, tick=False):
        month = client.get(reverse(CALENDAR), {"view": "month", "date": "2026-07-01"})
        world = client.get(
            reverse(CALENDAR),
            {"view": "week", "date": "2026-06-16", "section": newsroom["world"].pk},
        )
    assert "July story" in sum(cell_headlines(month).values(), [])
    assert "Draft is not on it" not in month.text
    assert cell_headlines(world) == {
        "2026-06-15": ["Just after midnight"],
        "2026-06-16": ["Scheduled for nine"],
    }


def test_ical_feed_lists_the_schedule_at_a_secret_resettable_address(client, newsroom):
    editor = make_user("Editor")
    client.force_login(editor)
    client.post(reverse("admin:articles_article_calendar_reset"))
    token = CalendarToken.objects.get(user=editor).token
    feed = reverse("admin:articles_article_calendar_feed", args=[token])
    client.logout()
    with time_machine.travel(NOW, tick=False):
        response = client.get(feed)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.text.replace("\r\n ", "")
    assert "SUMMARY:[Scheduled] Scheduled for nine" in body
    assert "DTSTART:20260616T070000Z" in body
    assert "Draft is not on it" not in body

    client.force_login(editor)
    client.post(reverse("admin:articles_article_calendar_reset"))
    client.logout()
    assert client.get(feed).status_code == 404
    new_token = CalendarToken.objects.get(user=editor).token
    assert new_token != token
    assert (
        client.get(reverse("admin:articles_article_calendar_feed", args=[new_token])).status_code
        == 200
    )


def test_ical_feed_of_a_deactivated_user_answers_404(client, newsroom):
    editor = make_user("Editor")
    token = CalendarToken.objects.create(user=editor).token
    editor.is_active = False
    editor.save()
    url = reverse("admin:articles_article_calendar_feed", args=[token])
    assert client.get(url).status_code == 404
