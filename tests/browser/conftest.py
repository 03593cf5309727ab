"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against pytest-django's
`live_server`.

Playwright's wheel carries only its driver; `playwright install` is never run (it downloads a
browser build, which this project does not allow), so the browser is the system one that
`scripts/setup --dev` installs. `live_server` serves from a thread of the test process and is
transactional, which works on SQLite because the test database is a file (config/settings.py).

    @pytest.mark.browser
    def test_something(browser_page, live_server, login_as_staff, lawyer):
        login_as_staff(lawyer)
        browser_page.goto(live_server.url + "/assistant/")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from tests.factories import TOTPDeviceFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a small /dev/shm crashes tabs
    # Nothing reaches the internet from a test, not even the browser's own housekeeping.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Per module, not per session: while Playwright runs, its event loop makes Django refuse ORM
# calls in this thread, so it must stop before the suite's other tests run.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup --dev")
    # Playwright's sync API runs an event loop in this thread, which makes Django refuse the
    # ORM calls of the test itself (factories, logins). The test is still plain sync code.
    # Unset again afterwards: a later test's subprocess (manage.py check --deploy) inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_context(chromium: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def browser_page(browser_context: BrowserContext) -> Page:
    """A fresh tab whose relative `goto("/assistant/")` goes to the live server."""
    return browser_context.new_page()


@pytest.fixture
def login_as_staff(browser_context: BrowserContext, live_server: LiveServer) -> Callable[..., None]:
    """Log `user` (a lawyer or admin) in to the browser as after a full login with OTP, or,
    not `verified`, as one who has no second factor yet (on the way to enrol one)."""

    def login(user: User, *, verified: bool = True) -> None:
        django_client = Client()
        django_client.force_login(user)
        session = django_client.session
        if verified:
            session[DEVICE_ID_SESSION_KEY] = TOTPDeviceFactory(user=user).persistent_id
            session.save()
        browser_context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.session_key,
                    "domain": urlsplit(live_server.url).hostname,
                    "path": "/",
                    "httpOnly": True,
                }
            ]
        )

    return login
