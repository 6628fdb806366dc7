"""Times typed by editors in the newsroom's zone (Europe/Berlin in the suite), across
daylight saving: the spring gap is refused, the autumn fold resolved to its first time."""

from datetime import UTC, date, datetime, time

import pytest
from django.conf import settings

from articles.admin.views import TransitionForm
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


@pytest.mark.django_db
def test_the_schedule_form_speaks_one_format_the_one_its_shortcuts_fill(client):
    """en-gb: Today fills 06/12/2026 and Now 07:49:42; the help, a stored value and the
    errors all say the same, never "YYYY-MM-DD"."""
    from django.utils import formats, translation

    from tests.articles.admin_forms import transition_url
    from tests.factories import make_article, make_user

    with translation.override("en-gb"):
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d/%m/%Y"  # Today's fill
        assert formats.get_format("TIME_INPUT_FORMATS")[0] == "%H:%M:%S"  # Now's fill
        form = TransitionForm(
            {"at_0": "2026-13-45", "at_1": "9 o'clock", "note": ""}, action="schedule"
        )
        errors = str(form.errors["at"])
        assert "Enter the date as DD/MM/YYYY." in errors
        assert "YYYY-MM-DD" not in errors
        assert "DD/MM/YYYY and HH:MM:SS" in str(form.fields["at"].help_text)
        shown = TransitionForm(
            initial={"at": datetime(2026, 6, 16, 7, 0, tzinfo=UTC)}, action="schedule"
        )
        assert 'value="16/06/2026"' in str(shown["at"]) and 'value="09:00:00"' in str(shown["at"])
        time_only = TransitionForm({"at_0": "16/06/2026", "at_1": "9h"}, action="schedule")
        assert "Enter the time as HH:MM:SS (24-hour clock)." in str(time_only.errors["at"])
        typed = TransitionForm({"at_0": "16/06/2026", "at_1": "09:00"}, action="schedule")
        assert typed.is_valid(), typed.errors
        assert typed.cleaned_data["at"] == datetime(2026, 6, 16, 7, 0, tzinfo=UTC)

    editor = make_user("Editor", username="tom")
    client.force_login(editor)
    page = client.get(transition_url(make_article(status="in_review"), "schedule"))
    assert "DD/MM/YYYY and HH:MM:SS, in the newsroom" in page.text
