from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Newsroom")

    def ready(self):
        # Receivers that keep each article's stored search vector current.
        from . import search  # noqa: F401
        from .caching import connect_signals

        connect_signals()
