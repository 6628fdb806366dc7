from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("tags/<slug:slug>/", views.tag, name="tag"),
    path("sources/<slug:slug>/", views.source, name="source"),
    path("<slug:section>/", views.section, name="section"),
    path(
        "<slug:section>/<int:year>/<str:month>/<str:day>/<slug:slug>/",
        views.article_detail,
        name="detail",
    ),
]
