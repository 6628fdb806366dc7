import io

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts from an empty cache, as if the site had just started."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db):
    """The demo newsroom, loaded by the same command `make run` uses."""
    from django.core.management import call_command

    call_command("load_demo", quiet_logins=True, stdout=io.StringIO())
