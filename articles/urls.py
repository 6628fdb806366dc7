from django.urls import path, register_converter

from .public import feeds, views


class FixedDigits:
    """Exactly ``digits`` digits, kept as a string so "03" stays "03"."""

    def __init__(self, digits):
        self.regex = rf"[0-9]{{{digits}}}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class Year(FixedDigits):
    def __init__(self):
        super().__init__(4)


class TwoDigits(FixedDigits):
    def __init__(self):
        super().__init__(2)


register_converter(Year, "yyyy")
register_converter(TwoDigits, "dd")

app_name = "articles"

# Fixed prefixes come before "<section>/", so a section cannot shadow them.
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_view, name="search"),
    path("corrections/", views.corrections, name="corrections"),
    path("news-sitemap.xml", views.news_sitemap, name="news_sitemap"),
    path("tags/<slug:slug>/", views.tag, name="tag"),
    path("sources/<slug:slug>/", views.source, name="source"),
    path("feeds/latest/rss/", feeds.latest_rss, name="latest_rss"),
    path("feeds/latest/atom/", feeds.latest_atom, name="latest_atom"),
    path("feeds/sections/<slug:slug>/rss/", feeds.section_rss, name="section_rss"),
    path("feeds/sections/<slug:slug>/atom/", feeds.section_atom, name="section_atom"),
    path("feeds/tags/<slug:slug>/rss/", feeds.tag_rss, name="tag_rss"),
    path("feeds/tags/<slug:slug>/atom/", feeds.tag_atom, name="tag_atom"),
    path("<slug:section>/", views.section, name="section"),
    path(
        "<slug:section>/<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/",
        views.article_detail,
        name="detail",
    ),
]
