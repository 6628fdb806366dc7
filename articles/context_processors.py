from django.conf import settings


def site(request):
    """Site identity and navigation for every template."""
    from .models import Section

    return {
        "site": settings.NEWSROOM_SITE,
        "site_url": settings.SITE_URL,
        "nav_sections": Section.objects.all,
    }
