"""Tell whoever opens a story in the admin what the agency did to the copy it was made from.

A middleware adding messages (both documented Django extension points) rather than an edit of
the article admin: the notices belong to ingest, and the article admin stays ingest-agnostic.
"""

from django.contrib import messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .drafts import notices

ARTICLE_CHANGE = "admin:articles_article_change"


class AgencyNoticeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "GET" or match is None or match.view_name != ARTICLE_CHANGE:
            return None
        user = getattr(request, "user", None)
        object_id = str(view_kwargs.get("object_id", ""))
        if user is None or not user.is_staff or not object_id.isdigit():
            return None
        for kind, use in notices(int(object_id)):
            messages.warning(request, notice_html(kind, use))
        return None


def notice_html(kind, use):
    item = use.item
    at = date_format(timezone.localtime(item.updated_at), "H:i")
    if kind == "killed":
        return format_html(
            _(
                "This story was made from “{headline}” ({source}): the agency withdrew the "
                "item at {at} ({status}). An editor should decide whether the story may stay."
            ),
            source=item.source.name,
            headline=item.headline,
            status=item.get_pub_status_display(),
            at=at,
        )
    return format_html(
        _(
            "This story was made from “{headline}” ({source}): the agency updated the item at "
            '{at} — <a href="{url}">see what changed</a>.'
        ),
        source=item.source.name,
        headline=item.headline,
        at=at,
        url=reverse("admin:ingest_incomingitem_changes", args=[item.pk, use.article_id]),
    )
