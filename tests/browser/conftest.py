"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against the app
served over ASGI, as in production.

Playwright's wheel carries only its driver; `playwright install` is never run (it downloads a
browser build, which this project does not allow), so the browser is the system one that
`scripts/setup --dev` installs.

The server is uvicorn in a thread of the test process (`asgi_live_server`), not pytest-django's
`live_server`: that one serves WSGI, under which an async view's stream (the staff chat page's
answer) is read to its end before the first byte goes out, so nothing streams and Stop cannot
stop it. Being in the test process, the server sees the test's settings; the tests are
transactional, which works on SQLite because the test database is a file (config/settings.py).
`--liveserver` / DJANGO_LIVE_TEST_SERVER_ADDRESS choose its address as for `live_server`.

    @pytest.mark.browser
    def test_something(browser_page, login_as_staff, lawyer):
        login_as_staff(lawyer)
        browser_page.goto("/assistant/")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pytest_django.fixtures import Settings

from accounts.models import User
from config.asgi import application, django_application
from tests.asgi import asgi_served
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


@pytest.fixture(scope="session")
def asgi_live_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The ASGI application production serves (config.asgi), with its static files as
    `live_server` serves them, under uvicorn in a thread of the test process for the whole
    session; its URL."""
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "127.0.0.1"
    )
    host, _, port = address.partition(":")
    # The pages need no lifespan: it runs the MCP server (config.asgi), not theirs.
    with asgi_served(
        ASGIStaticFilesHandler(application), host=host, port=int(port or 0), lifespan="off"
    ) as url:
        yield url


@pytest.fixture
def browser_context(
    chromium: Browser, asgi_live_server: str, transactional_db: None, settings: Settings
) -> Iterator[BrowserContext]:
    """A browser whose relative addresses go to the live server. The test's rows are
    committed (transactional_db), so that the server's own connections see them."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, urlsplit(asgi_live_server).hostname]
    context = chromium.new_context(base_url=asgi_live_server)
    context.set_default_timeout(10_000)
    yield context
    context.close()
    # As live_server's thread does, the server's threads give their connections back: they are
    # config.asgi's, shared with every later test that calls the application in this process,
    # and one without database access must find none open there.
    for thread in django_application.executors:
        thread.submit(connections.close_all).result()


@pytest.fixture
def browser_page(browser_context: BrowserContext) -> Page:
    """A fresh tab whose relative `goto("/assistant/")` goes to the live server."""
    return browser_context.new_page()


@pytest.fixture
def login_as_staff(browser_context: BrowserContext, asgi_live_server: str) -> Callable[..., None]:
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
                    "domain": urlsplit(asgi_live_server).hostname,
                    "path": "/",
                    "httpOnly": True,
                }
            ]
        )

    return login
