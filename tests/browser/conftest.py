"""Browser tests: a real server in a thread, Debian's Chromium driven by Playwright.

Skipped with a visible reason when /usr/bin/chromium is missing, unless AANWEZIG_REQUIRE_BROWSER=1
(CI), which turns the missing browser into a failure. They run on SQLite only: the browser
exercises the pages, the database backends are covered by the integration tests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if "[postgresql]" in item.nodeid:
                item.add_marker(pytest.mark.skip(reason="browser tests run on SQLite only"))


@pytest.fixture
def app_config() -> dict:
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None}


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("AANWEZIG_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "Chromium is required (AANWEZIG_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing"
            )
        pytest.skip(
            "Chromium not installed: sudo apt-get install chromium (make test installs it as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="nl-BE", timezone_id="Europe/Brussels")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
