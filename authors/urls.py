from django.urls import path

from . import feeds, views

app_name = "authors"

# Included at the site's root, before the articles' "<section>/" addresses.
urlpatterns = [
    path("authors/<slug:slug>/", views.author_detail, name="detail"),
    path("feeds/authors/<slug:slug>/rss/", feeds.author_rss, name="feed_rss"),
    path("feeds/authors/<slug:slug>/atom/", feeds.author_atom, name="feed_atom"),
]
