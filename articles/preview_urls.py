"""The public address of share-preview links (no login; the token is the key)."""

from django.urls import path

from .preview import shared_preview

urlpatterns = [path("<slug:token>/", shared_preview, name="shared_preview")]
