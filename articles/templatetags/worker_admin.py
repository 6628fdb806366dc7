"""The task worker's state on the admin home: is it running, and is the outbox waiting?"""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..worker import worker_health

register = template.Library()


@register.simple_tag
def worker_state():
    health = worker_health()
    seen = health["heartbeat_age_seconds"]
    if seen is None:
        summary = _("Not running: no worker has started yet. Side effects wait until one does.")
    elif health["running"]:
        summary = _("Running (last seen %(ago)s ago).") % {"ago": _ago(seen)}
    else:
        summary = _(
            "Not running: last seen %(ago)s ago. Purges and e-mails wait until it is back."
        ) % {"ago": _ago(seen)}
    waiting = health["queue_age_seconds"]
    return {
        "ok": health["status"] == "ok",
        "summary": summary,
        "waiting": _("The oldest side effect has waited %(ago)s.") % {"ago": _ago(waiting)}
        if waiting
        else "",
        "overdue": health["overdue"],
    }


def _ago(seconds):
    if seconds < 120:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = seconds // 60
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
