"""Accounts in Chromium: an invitation from the admin's page to the new lawyer's first case
list (the e-mail through a real SMTP server, the link setting the password, the authenticator
and its backup codes before anything else), and the people list on a phone."""

from __future__ import annotations

import re
from base64 import b32decode
from collections.abc import Callable

import pytest
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

from accounts.models import Invitation, User
from tests.browser.watch import PHONE, fits_a_phone, script_problems
from tests.factories import LawyerFactory
from tests.smtp_server import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Unusual-passphrase-17"


def test_an_admin_invites_a_lawyer_who_accepts_and_enrols_before_anything_else(
    browser_page: Page,
    chromium: Browser,
    asgi_live_server: str,
    login_as_staff: Callable[[User], None],
    admin_user: User,
    smtp_server: SMTPServer,
    eager_celery: None,
) -> None:
    login_as_staff(admin_user)
    problems = script_problems(browser_page)
    browser_page.goto("/accounts/people/")
    browser_page.get_by_role("link", name="Invite someone").click()
    browser_page.get_by_label("E-mail address").fill("zara.ahmed@example.org")
    browser_page.get_by_label("First name").fill("Zara")
    browser_page.get_by_label("Last name").fill("Ahmed")
    browser_page.get_by_label("Role").select_option("lawyer")
    browser_page.get_by_role("button", name="Send the invitation").click()
    expect(browser_page.locator(".messages")).to_contain_text("Invitation sent to")
    expect(browser_page.locator(".invitations-pending")).to_contain_text("zara.ahmed@example.org")

    [message] = smtp_server.wait_for(1)
    link = re.search(r"http://\S+/accounts/invitation/\S+/", message.get_content())
    assert link, message.get_content()
    path = link[0].split("/", 3)[3]

    # The invited lawyer, in a browser of their own, on a phone.
    own = chromium.new_context(base_url=asgi_live_server, viewport=PHONE)
    page = own.new_page()
    problems += script_problems(page)
    page.goto(f"/{path}")
    expect(page.locator("h1")).to_have_text("Welcome to Counsel")
    fits_a_phone(page)
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    assert page.url.endswith("/accounts/security/")
    page.goto("/cases/")  # nothing else opens before the authenticator
    assert page.url.endswith("/accounts/security/")
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("#authenticator code").inner_text()
    page.get_by_label("Code from your app").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#backup-codes .codes li")).to_have_count(10)
    fits_a_phone(page)
    page.goto("/cases/")
    assert page.url.endswith("/cases/")
    own.close()

    # The admin sees the invitation accepted.
    browser_page.goto("/accounts/invitations/")
    expect(browser_page.locator(".invitations-accepted")).to_contain_text("zara.ahmed@example.org")
    assert Invitation.objects.get().accepted_at is not None
    assert problems == [], problems


def test_the_people_list_searches_as_one_types_and_a_person_is_deactivated_on_a_phone(
    browser_page: Page, login_as_staff: Callable[[User], None], admin_user: User
) -> None:
    gone = LawyerFactory(first_name="Idris", last_name="Vance", last_login=timezone.now())
    LawyerFactory.create_batch(3)
    login_as_staff(admin_user)
    problems = script_problems(browser_page)
    browser_page.set_viewport_size(PHONE)

    browser_page.goto("/accounts/people/")
    fits_a_phone(browser_page)
    browser_page.get_by_label("Search").fill("vance")
    # htmx replaces the table as one types (a swap, no page load).
    expect(browser_page.locator("#people-table")).to_contain_text("1 person")
    browser_page.get_by_role("link", name="Idris Vance").click()
    fits_a_phone(browser_page)
    browser_page.get_by_role("button", name="Deactivate").click()

    expect(browser_page.locator(".messages")).to_contain_text("Idris Vance is deactivated")
    expect(browser_page.locator(".account-events")).to_contain_text("Deactivated")
    gone.refresh_from_db()
    assert not gone.is_active
    assert problems == [], problems
