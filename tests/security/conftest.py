# The real-browser fixtures (Chromium, live server with the demo newsroom) are shared with
# the browser suite.
from tests.browser.conftest import chromium, new_page, screenshot_dir, site  # noqa: F401
