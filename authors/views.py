from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from articles.caching import add_cache_keys, author_key, story_keys
from articles.public import jsonld
from articles.public.views import feed_links, page_meta, paginate_live, reader_page

from .queries import author_cards, author_with_links


@reader_page
def author_detail(request, slug):
    """An author's page: who they are, then every live story crediting them, in any role. An
    author credited on no live story has no page yet."""
    author = author_with_links(slug)
    if author is None:
        raise Http404("No such author.")
    page = paginate_live(request, author_cards(author), "No such author.")
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
            feeds=feed_links((author.name, "authors:feed", {"slug": author.slug})),
        ),
        "structured_data": jsonld.profile_page(author),
    }
    response = render(request, "authors/author_detail.html", context)
    return add_cache_keys(response, author_key(author), *story_keys(page.items))
