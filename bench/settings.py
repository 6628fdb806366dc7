"""Benchmark settings: the production settings, plus the framework floor's URL.

Everything else (DEBUG off, middleware, database, Redis) comes from `newsroom/settings.py` and
the environment `bench/run.py` sets, so the pages are measured exactly as they are served.
"""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
