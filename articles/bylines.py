"""The byline phrase: "By David Wyatt and Ana Lee; additional reporting by Tom Ruiz".

Built from an article's bylines (prefetched with their authors), in the order of `Byline.Role`,
each role's people in their byline order. The same phrase serves the article page and listings
(names linked to author pages) and feeds (plain text).
"""

import functools

from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from .markup import text
from .models import Byline

Role = Byline.Role
ROLE_ORDER = tuple(Role.values)


@functools.cache
def _words(language):
    # Each role's phrase takes the names already joined; "with" continues the "By ..." clause.
    # Remembered per language: a listing asks for them once per card.
    return {
        "roles": {
            Role.WRITTEN_BY: gettext("By %(names)s"),
            Role.WITH: gettext("with %(names)s"),
            Role.ADDITIONAL_REPORTING: gettext("additional reporting by %(names)s"),
            Role.PHOTOS: gettext("photos by %(names)s"),
            Role.TRANSLATED: gettext("translated by %(names)s"),
            Role.EDITED: gettext("edited by %(names)s"),
        },
        "and": gettext("%(first)s and %(last)s"),
        "comma": gettext(", "),
        "semicolon": gettext("; "),
    }


def join_names(names, escape=str):
    """ "A", "A and B", "A, B and C" (the words between them passed through ``escape``)."""
    names = list(names)
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    words = _words(get_language())
    return escape(words["and"]) % {
        "first": escape(words["comma"]).join(names[:-1]),
        "last": names[-1],
    }


def authors_by_role(bylines):
    """[(role, [author, ...]), ...] in role order, each author once per role."""
    grouped = {}
    for byline in bylines:
        people = grouped.setdefault(byline.role, [])
        if byline.author not in people:
            people.append(byline.author)
    return [(role, grouped[role]) for role in ROLE_ORDER if role in grouped]


def credited_authors(bylines):
    """Every credited person once, in byline order (for author boxes, feeds, JSON-LD)."""
    seen = []
    for byline in bylines:
        if byline.author not in seen:
            seen.append(byline.author)
    return seen


def _phrase(bylines, render_name, escape):
    words = _words(get_language())
    clauses = []
    for role, authors in authors_by_role(bylines):
        template = escape(words["roles"][role])
        clause = template % {"names": join_names((render_name(a) for a in authors), escape)}
        if role == Role.WITH and clauses and clauses[-1][0] == Role.WRITTEN_BY:
            clauses[-1] = (Role.WRITTEN_BY, f"{clauses[-1][1]} {clause}")
        else:
            clauses.append((role, clause))
    phrase = escape(words["semicolon"]).join(clause for _, clause in clauses)
    return phrase[:1].upper() + phrase[1:]


def byline_text(bylines):
    """The phrase as plain text, for feeds and meta tags."""
    return _phrase(bylines, render_name=lambda author: author.name, escape=str)


def byline_html(bylines):
    """The phrase with each name linking to the author's page."""

    def link(author):
        return f'<a href="{text(author.get_absolute_url())}" rel="author">{text(author.name)}</a>'

    return mark_safe(_phrase(bylines, render_name=link, escape=text))  # noqa: S308 - every part escaped above
