"""The project's URLs plus uploaded media, so the live server shows pictures as a browser would.

`django.conf.urls.static.static()` serves nothing unless DEBUG is on, and the tests run with
DEBUG off, so the media route is spelled out here.
"""

import re

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from newsroom.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    re_path(
        rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
    *project_urlpatterns,
]
