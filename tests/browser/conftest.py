"""Browser journeys: Playwright (Python) driving Debian's Chromium against ``live_server``.

* Chromium: ``/usr/bin/chromium`` (``scripts/ensure_chromium.sh`` installs it).  When it is
  missing the tests are skipped with a reason — except in CI (``CI`` set), where they fail.
* Each test runs against a live server thread on a transactional database; the data the
  migrations seed (groups, approval rules) is restored for each test (serialized rollback).
* Screenshots of each key page go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-gpu",
        "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "staff-pass-123"
TIMEOUT_MS = 15_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: Playwright + Chromium staff journeys")


def _unavailable_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} not found (run scripts/ensure_chromium.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def seed_data(django_db_setup):
    """The database as the migrations left it (groups, approval rules, wave templates).

    Read before Playwright starts: once its event loop runs, Django's connection objects
    (context-local) are new ones without ``_test_serialized_contents``, so
    ``serialized_rollback`` alone would restore nothing when a database test ran first.
    """
    from django.db import connection

    return getattr(connection, "_test_serialized_contents", None)


@pytest.fixture(scope="session")
def browser(request, seed_data):
    reason = _unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests
    # make between browser steps are ordinary synchronous code. Only while browsers run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    request.addfinalizer(lambda: os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
                         if previous is None else None)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _pristine_db(request, seed_data):
    """Start every browser test from the migrated data, even when ``serialized_rollback``
    found no serialized contents on this context's connection (see ``seed_data``)."""
    from django.core.management import call_command
    from django.db import connection

    if not seed_data or hasattr(connection, "_test_serialized_contents"):
        return
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    connection.creation.deserialize_db_from_string(seed_data)
    # From now on Django's own serialized rollback works on this connection too.
    connection._test_serialized_contents = seed_data


@pytest.fixture
def page(browser, live_server):
    from django.core.cache import cache

    cache.clear()  # the dashboard caches its tiles; every test starts from its own data
    context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.base_url = live_server.url
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def staff(django_user_model):
    """Make a superuser staff member: ``staff("alice")``."""

    def make(username: str):
        return django_user_model.objects.create_superuser(username, f"{username}@example.com",
                                                         PASSWORD)

    return make


def login(page, username: str) -> None:
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def logout(page) -> None:
    page.click("#logout-form button")
    page.wait_for_url(re.compile(r".*/admin/logout/$"))


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def run_action(page, action: str) -> None:
    """Choose a changelist action for the checked rows and run it."""
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
