from django.shortcuts import get_object_or_404, render

from articles.models import Article

from .models import Author


def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    articles = (
        Article.objects.published()
        .filter(bylines__author=author)
        .distinct()
        .select_related("section")[:20]
    )
    return render(request, "authors/author_detail.html", {"author": author, "articles": articles})
