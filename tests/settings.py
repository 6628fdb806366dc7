"""Test settings: the project's settings with a non-UTC newsroom zone and fast hashing.

Everything else comes from `newsroom/settings.py`, driven by the same environment
(DATABASE_URL picks PostgreSQL; without it the tests run on SQLite).
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# Daylight saving in spring and autumn: the suite must hold outside UTC.
os.environ.setdefault("NEWSROOM_TIME_ZONE", "Europe/Berlin")
os.environ.setdefault("SITE_URL", "https://news.example")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1,news.example")

from newsroom.settings import *  # noqa: E402,F403
from newsroom.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="newsroom-test-media-")
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = False
STATIC_ROOT = tempfile.mkdtemp(prefix="newsroom-test-static-")
