from django.conf import settings


def site(request):
    """Site identity and navigation for every template."""
    from .caching import navigation_sections

    return {
        "site": settings.NEWSROOM_SITE,
        "site_url": settings.SITE_URL,
        "nav_sections": navigation_sections,
    }
