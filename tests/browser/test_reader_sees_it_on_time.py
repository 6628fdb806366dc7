"""Scenario 3: a reader finds the scheduled story at its minute, and not a second before."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from articles import workflow
from articles.newsroom_time import newsroom_zone

from .story import HEADLINE, headline_links, reader_pages, user, written_and_submitted

pytestmark = pytest.mark.browser


def test_reader_sees_the_scheduled_story_from_its_minute_and_not_a_second_before(new_page, shoot):
    article = written_and_submitted()
    zone = newsroom_zone()
    tomorrow = timezone.localtime(timezone.now(), zone).date() + timedelta(days=1)
    nine = datetime.combine(tomorrow, time(9, 0), tzinfo=zone)
    workflow.schedule(article, by=user("editor"), at=nine)
    article.refresh_from_db()
    pages = reader_pages(article)

    # The live server runs in this process: moving its clock is moving the newsroom's.
    reader = new_page()
    with time_machine.travel(nine - timedelta(seconds=30), tick=True):
        for name, url in pages.items():
            assert reader.goto(url).status == 200, name
            expect(reader.get_by_role("heading", level=1)).not_to_have_count(0)
            expect(headline_links(reader), f"{name} before 09:00").to_have_count(0)
        feed = reader.request.get("/feeds/latest/rss/")
        assert feed.status == 200
        assert "<item>" in feed.text() and HEADLINE not in feed.text()
        assert reader.goto(article.get_absolute_url()).status == 404
        reader.goto("/")
        shoot(reader, "3-reader", "home-before")

    # Another reader, whose browser has cached nothing from before 09:00.
    reader = new_page()
    with time_machine.travel(nine + timedelta(seconds=1), tick=True):
        for name, url in pages.items():
            assert reader.goto(url).status == 200, name
            expect(headline_links(reader).first, f"{name} from 09:00").to_be_visible()
            if name in {"home", "section", "search"}:
                shoot(reader, "3-reader", name)
        feed = reader.request.get("/feeds/latest/rss/")
        assert feed.status == 200 and HEADLINE in feed.text()

        reader.goto("/")
        headline_links(reader).first.click()
        expect(reader).to_have_url(re.compile(re.escape(article.get_absolute_url()) + "$"))
        expect(reader.get_by_role("heading", level=1)).to_have_text(HEADLINE)
        expect(reader.locator("main")).to_contain_text("Michito Tsuruoka")
        expect(reader.get_by_text(re.compile(r"Source:\s+korrespondent"))).to_be_visible()
        expect(
            reader.get_by_text(re.compile(r"Originally reported by\s+Nikkei Asia"))
        ).to_be_visible()
        expect(reader.locator(".story__dates time").first).to_have_attribute(
            "datetime", re.compile(rf"^{tomorrow:%Y-%m-%d}T09:00")
        )
        shoot(reader, "3-reader", "article")
