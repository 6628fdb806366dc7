from django.urls import path

from . import views

app_name = "ingest"

urlpatterns = [
    path("<slug:slug>/", views.push, name="push"),
]
