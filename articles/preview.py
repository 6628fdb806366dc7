"""Previews with the public article template: for staff, and through secret share links.

A preview is never cached and never indexed: `Cache-Control: private, no-store`,
`X-Robots-Tag: noindex` and a robots meta tag. An expired or revoked share link answers 404,
as if it had never existed.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from . import revisions
from .models import PreviewLink
from .newsroom_time import describe

TEMPLATE = "admin/articles/article/public_preview.html"


def render_preview(request, article, *, label):
    response = render(
        request,
        TEMPLATE,
        {"article": article, "is_preview": True, "preview_label": label},
    )
    return no_store(response)


def no_store(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def shared_preview(request, token):
    """The page behind a share link: one revision, read-only, for someone without a login."""
    link = PreviewLink.objects.select_related("revision").filter(token=token).first()
    if link is None or not link.is_active:
        raise Http404
    article = revisions.as_article(link.revision)
    label = gettext("Preview of an unpublished version — not public. Link expires %(when)s.") % {
        "when": describe(link.expires_at)
    }
    return render_preview(request, article, label=label)
