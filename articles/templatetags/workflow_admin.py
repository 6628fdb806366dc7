"""The newsroom's desk on the admin home page: what is waiting for whom."""

from datetime import timedelta

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import tasks, workflow
from articles.models import Article
from articles.newsroom_time import describe

register = template.Library()

ROWS = 8


@register.inclusion_tag("admin/articles/dashboard.html", takes_context=True)
def newsroom_dashboard(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("articles.view_article"):
        return {"dashboard": None}
    return {"dashboard": dashboard(user)}


def dashboard(user, *, now=None):
    now = now or timezone.now()
    changelist = reverse("admin:articles_article_changelist")
    articles = workflow.annotate(Article.objects.select_related("section"))
    mine = workflow.mine(articles, user)

    def rows(queryset, detail):
        return [
            {
                "headline": a.headline,
                "url": reverse("admin:articles_article_change", args=[a.pk]),
                "detail": detail(a),
                "note": getattr(a, "return_note", ""),
            }
            for a in queryset[:ROWS]
        ]

    drafts = mine.filter(status=Article.Status.DRAFT).exclude(last_action=workflow.RETURN)
    returned = mine.filter(status=Article.Status.DRAFT, last_action=workflow.RETURN)
    returned_rows = rows(
        returned.order_by("-modified_at"),
        lambda a: _("returned, edited %(t)s") % {"t": describe(a.modified_at, now=now)},
    )
    for row, article in zip(returned_rows, returned.order_by("-modified_at")[:ROWS], strict=False):
        event = workflow.latest_return(article)
        row["note"] = event.note if event else ""
    review = articles.filter(status=Article.Status.IN_REVIEW).order_by("submitted_at", "pk")
    soon = Article.objects.scheduled(now).filter(publish_at__lte=now + timedelta(hours=24))
    recent = Article.objects.published(now).order_by("-publish_at")
    blocks = [
        {
            "id": "my-drafts",
            "title": _("My drafts"),
            "count": drafts.count(),
            "url": f"{changelist}?mine=yes&state=draft",
            "rows": rows(
                drafts.order_by("-modified_at"),
                lambda a: _("edited %(t)s") % {"t": describe(a.modified_at, now=now)},
            ),
            "empty": _("No drafts."),
        },
        {
            "id": "returned",
            "title": _("Returned to me"),
            "count": returned.count(),
            "url": f"{changelist}?mine=yes&state=returned",
            "rows": returned_rows,
            "empty": _("Nothing returned to you."),
        },
        {
            "id": "review",
            "title": _("Awaiting review"),
            "count": review.count(),
            "url": f"{changelist}?state=in_review",
            "rows": rows(
                review,
                lambda a: (
                    _("submitted %(t)s") % {"t": describe(a.submitted_at, now=now)}
                    if a.submitted_at
                    else ""
                ),
            ),
            "empty": _("The review queue is empty."),
        },
        {
            "id": "scheduled",
            "title": _("Scheduled in the next 24 hours"),
            "count": soon.count(),
            "url": f"{changelist}?state=scheduled",
            "rows": rows(soon.order_by("publish_at"), lambda a: describe(a.publish_at, now=now)),
            "empty": _("Nothing scheduled."),
        },
        {
            "id": "recent",
            "title": _("Recently published"),
            "count": "",
            "url": f"{changelist}?state=live",
            "rows": rows(recent, lambda a: describe(a.publish_at, now=now)),
            "empty": _("Nothing published yet."),
        },
    ]
    overdue = tasks.overdue(now=now).select_related("article")
    return {
        "blocks": blocks,
        "overdue": overdue.count(),
        "overdue_rows": list(overdue[:ROWS]),
    }


@register.filter
def newsroom_when(moment):
    """A time as the whole admin writes it: 'Sun 6 Dec, 07:44 UTC' in the newsroom's zone."""
    return describe(moment, relative=False)
