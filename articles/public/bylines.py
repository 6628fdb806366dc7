"""The byline phrase: "By David Wyatt and Ana Lee; additional reporting by Tom Ruiz".

Built from an article's bylines (prefetched with their authors), in the order of `Byline.Role`,
each role's people in their byline order. The same phrase serves the article page and listings
(`includes/byline.html`, names linked to author pages) and feeds (plain text, `byline_text`).
"""

from django.template.loader import render_to_string
from django.utils.translation import gettext

from ..models import Byline

Role = Byline.Role
ROLE_ORDER = tuple(Role.values)


def _words():
    # Each role's phrase takes the names already joined; "with" continues the "By ..." clause.
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


def byline_context(bylines):
    """What `includes/byline.html` draws: the phrase's clauses (joined by "; "), each made of
    parts (joined by a space: "By A with B"), each part the words around a role's names."""
    words = _words()
    clauses = []
    for role, authors in authors_by_role(bylines):
        before, _, after = words["roles"][role].partition("%(names)s")
        part = {"before": before, "authors": authors, "after": after}
        if role == Role.WITH and clauses and clauses[-1][0] == Role.WRITTEN_BY:
            clauses[-1][1].append(part)
        else:
            clauses.append((role, [part]))
    clauses = [parts for _role, parts in clauses]
    if clauses:  # the phrase starts with a capital: "Photos by …"
        first = clauses[0][0]
        first["before"] = first["before"][:1].upper() + first["before"][1:]
    between = words["and"].partition("%(first)s")[2].partition("%(last)s")[0]
    return {
        "clauses": clauses,
        "and": between,
        "comma": words["comma"],
        "semicolon": words["semicolon"],
    }


def byline_html(bylines):
    """The phrase with each name linking to the author's page."""
    return render_to_string("includes/byline.html", byline_context(bylines))


def byline_text(bylines):
    """The phrase as plain text, for feeds and meta tags."""
    context = byline_context(bylines)
    clauses = []
    for parts in context["clauses"]:
        written = []
        for part in parts:
            names = [author.name for author in part["authors"]]
            joined = names[-1]
            if len(names) > 1:
                joined = context["comma"].join(names[:-1]) + context["and"] + names[-1]
            written.append(part["before"] + joined + part["after"])
        clauses.append(" ".join(written))
    return context["semicolon"].join(clauses)
