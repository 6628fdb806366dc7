"""Times typed by editors in the newsroom's zone (Europe/Berlin in the suite), across
daylight saving: the spring gap is refused, the autumn fold resolved to its first time."""

from datetime import UTC, date, datetime, time

import pytest
from django.conf import settings

from articles.admin_views import TransitionForm
from articles.newsroom_time import NewsroomDateTimeField, describe


def test_suite_runs_in_a_zone_with_daylight_saving():
    assert settings.TIME_ZONE == "Europe/Berlin"


def test_a_time_in_the_spring_gap_is_refused_with_a_message():
    # Last Sunday of March 2026: clocks jump from 02:00 to 03:00 in Berlin.
    form = TransitionForm({"at_0": "2026-03-29", "at_1": "02:30", "note": ""}, action="schedule")
    assert not form.is_valid()
    assert "does not exist in Europe/Berlin" in str(form.errors["at"])


def test_an_ambiguous_autumn_time_is_read_as_its_first_occurrence():
    # Last Sunday of October 2026: 02:30 happens twice, first in CEST (UTC+2), then CET.
    field = NewsroomDateTimeField()
    value = field.clean([date(2026, 10, 25), time(2, 30)])
    assert value == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert "CEST" in field.ambiguous_choice


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("2026-06-16", "09:00"), datetime(2026, 6, 16, 7, 0, tzinfo=UTC)),  # CEST
        (("2026-01-13", "09:00"), datetime(2026, 1, 13, 8, 0, tzinfo=UTC)),  # CET
        (("2026-03-29", "03:00"), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # just after gap
    ],
)
def test_times_typed_in_the_newsroom_zone_are_stored_in_utc(typed, stored):
    form = TransitionForm({"at_0": typed[0], "at_1": typed[1]}, action="schedule")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["at"] == stored


def test_times_are_shown_with_the_zone_abbreviation_and_distance():
    now = datetime(2026, 6, 16, 4, 0, tzinfo=UTC)
    assert describe(datetime(2026, 6, 16, 7, 0, tzinfo=UTC), now=now) == (
        "Tue 16 Jun, 09:00 CEST — in 3 h"
    )
    assert describe(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), now=now, relative=False) == (
        "Tue 1 Dec, 09:00 CET"
    )
