"""The admin login's throttle (django-axes): how a username is recorded for the lockout.

Axes stores the username it counts failures for in a 255-character column. A longer one
(anyone can type one) must still be refused with the ordinary "wrong username or password"
and still count, so it is recorded as its first characters plus a digest of the whole:
the same long name always maps to the same record, and no two long names collide.
"""

import hashlib

from django.conf import settings

RECORDED_USERNAME_MAX = 255


def throttled_username(request, credentials=None):
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if username is None or len(username) <= RECORDED_USERNAME_MAX:
        return username
    digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{username[: RECORDED_USERNAME_MAX - len(digest) - 1]}…{digest}"
