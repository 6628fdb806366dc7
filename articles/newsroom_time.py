"""Times as editors see and type them: in the newsroom's zone, stored in UTC.

Django's own form field refuses both a local time that does not exist (the hour skipped
when clocks go forward) and one that happens twice (the hour repeated when they go back).
Editors need the second one: an ambiguous time is read as its FIRST occurrence (still on
summer time), and the form says so. A time inside the gap is refused with a message.
"""

from datetime import UTC, datetime

from django import forms
from django.conf import settings
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


def newsroom_zone():
    return timezone.get_default_timezone()


def is_imaginary(naive, zone):
    """True when ``naive`` falls in a daylight-saving gap of ``zone``."""
    # A wall time that does not exist does not survive a round trip through UTC.
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back != naive


def is_ambiguous(naive, zone):
    """True when ``naive`` happens twice in ``zone`` (clocks going back)."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


def make_newsroom_aware(naive, zone=None):
    """Interpret a wall time in the newsroom's zone.

    Raises ValidationError for a time inside a daylight-saving gap; an ambiguous time is
    resolved to its first occurrence. Returns an aware datetime in UTC.
    """
    zone = zone or newsroom_zone()
    if is_imaginary(naive, zone):
        raise ValidationError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip that hour when "
                "daylight saving time begins. Pick a time before or after the change."
            ),
            code="nonexistent_time",
            params={"time": naive.strftime("%Y-%m-%d %H:%M"), "zone": zone.key},
        )
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


# strftime directives as a person reads them in a format hint.
_HINTS = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%H": "HH", "%M": "MM", "%S": "SS"}


def input_format(kind):
    """The active language's first DATE_/TIME_INPUT_FORMATS, as 'DD/MM/YYYY' or 'HH:MM'.

    The same first format fills the admin's Today/Now shortcuts and shows a stored value, so
    the error names what the page itself writes.
    """
    text = get_format(kind)[0]
    for directive, hint in _HINTS.items():
        text = text.replace(directive, hint)
    return text


def _date_error():
    return gettext("Enter the date as %(format)s.") % {"format": input_format("DATE_INPUT_FORMATS")}


def _time_error():
    return gettext("Enter the time as %(format)s (24-hour clock).") % {
        "format": input_format("TIME_INPUT_FORMATS")
    }


def _help():
    return gettext("%(date)s and %(time)s, in the newsroom's time zone (%(zone)s).") % {
        "date": input_format("DATE_INPUT_FORMATS"),
        "time": input_format("TIME_INPUT_FORMATS"),
        "zone": settings.TIME_ZONE,
    }


class NewsroomDateTimeField(forms.SplitDateTimeField):
    """A date + time picked in the newsroom's zone; gap refused, fold resolved to the first."""

    widget = admin_widgets.AdminSplitDateTime

    # Worked out when shown, in the language of the request (fields are made at import).
    default_error_messages = {
        "invalid_date": lazy(_date_error, str)(),
        "invalid_time": lazy(_time_error, str)(),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", lazy(_help, str)())
        super().__init__(*args, **kwargs)
        self.ambiguous_choice = None

    def compress(self, data_list):
        if not data_list:
            return None
        date, time = data_list
        if date in self.empty_values and time in self.empty_values:
            return None
        if date in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        naive = datetime.combine(date, time)
        zone = newsroom_zone()
        value = make_newsroom_aware(naive, zone)
        if is_ambiguous(naive, zone):
            # Remembered so the form can tell the editor which of the two it chose.
            self.ambiguous_choice = describe(value, relative=False)
        return value


def describe(moment, *, now=None, relative=True):
    """'Tue 14 Jun, 09:00 CEST — in 3 h' in the newsroom's zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, newsroom_zone())
    text = f"{date_format(local, 'D j M')}, {local:%H:%M} {local.tzname()}"
    if local.year != timezone.localtime(now or timezone.now(), newsroom_zone()).year:
        text = f"{date_format(local, 'D j M Y')}, {local:%H:%M} {local.tzname()}"
    if relative:
        text = f"{text} — {relative_to_now(moment, now=now)}"
    return text


def relative_to_now(moment, *, now=None):
    seconds = (moment - (now or timezone.now())).total_seconds()
    future = seconds > 0
    seconds = abs(seconds)
    if seconds < 60:
        return str(_("now"))
    if seconds < 3600:
        amount = int(seconds // 60)
        span = ngettext("%(n)d min", "%(n)d min", amount) % {"n": amount}
    elif seconds < 2 * 86400:
        amount = int(seconds // 3600)
        span = ngettext("%(n)d h", "%(n)d h", amount) % {"n": amount}
    else:
        amount = int(seconds // 86400)
        span = ngettext("%(n)d day", "%(n)d days", amount) % {"n": amount}
    if future:
        return str(_("in %(span)s")) % {"span": span}
    return str(_("%(span)s ago")) % {"span": span}
