"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every request that does not go to the test server is aborted (no map tiles, no internet);
console errors fail the test. Without Chromium the tests are skipped, except in CI.
"""

import os
import shutil

import pytest

from config.chromium import CHROMIUM_ARGS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
# prepare data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
    if CHROMIUM:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("CI=true but Chromium is not installed: apt-get install chromium")
    skip = pytest.mark.skip(reason="Chromium not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps its connections per context, and Playwright's sync API switches context:
    # once it has started, the tests see new connection objects, without the database
    # snapshot that serialized_rollback restores (the Curators group, the shipped grids).
    # Hand the snapshot over, or a transactional test after the first one finds them gone.
    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, snapshot in snapshots.items():
            connections[alias]._test_serialized_contents = snapshot
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.console_errors = []

    def record_console_error(message):
        # Blocked external requests (map tiles) are expected; anything else is a failure.
        blocked = message.text.startswith("Failed to load resource") and not message.location.get(
            "url", ""
        ).startswith(live_server.url)
        if message.type == "error" and not blocked:
            page.console_errors.append(message.text)

    page.on("console", record_console_error)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    yield page
    context.close()


def serious_accessibility_violations(page):
    """axe-core's serious and critical violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def log_in(page, live_server, user):
    """Give the browser the session of `user`, logged in without a password."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
