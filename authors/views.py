from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from articles import jsonld
from articles.caching import add_cache_keys, author_key, story_keys
from articles.listings import author_by_slug, author_cards
from articles.pagination import paginate
from articles.views import feed_links, page_meta


def author_detail(request, slug):
    """An author's page: who they are, then every live story crediting them, in any role."""
    author = author_by_slug(slug)
    if author is None:
        raise Http404("No such author.")
    page = paginate(request, author_cards(author.pk))
    context = {
        "author": author,
        "page": page,
        "meta": page_meta(
            title=author.name,
            description=author.bio_paragraphs[0]
            if author.bio
            else gettext("Stories by %(author)s.") % {"author": author.name},
            path=author.get_absolute_url() + (page.previous_url and f"?page={page.number}"),
            image=author.photo,
            og_type="profile",
            feeds=feed_links((author.name, "author", {"slug": author.slug})),
        ),
        "structured_data": jsonld.profile_page(author),
    }
    response = render(request, "authors/author_detail.html", context)
    return add_cache_keys(response, author_key(author), *story_keys(page.items))
