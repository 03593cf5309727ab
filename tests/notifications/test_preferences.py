"""A user's choice of e-mails: on the page linked from their security page, and in the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from notifications.models import NotificationPreferences
from tests.problems import field_errors_of

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"
API = "/api/me/notifications"
ALL_ON = {"drafts": True, "deadlines": True, "budgets": True, "documents": True}


def _choices(user: User) -> dict[str, bool]:
    row = NotificationPreferences.objects.get(user=user)
    return {topic: getattr(row, topic) for topic in ALL_ON}


def test_the_security_page_links_to_the_choice_of_emails(
    lawyer: User, page_client_for: Callable[[User], Client]
) -> None:
    page = page_client_for(lawyer).get("/accounts/security/")

    assert f'href="{PAGE}"' in page.content.decode()


def test_every_email_is_on_until_the_user_unticks_it_on_the_page(
    lawyer: User, page_client_for: Callable[[User], Client]
) -> None:
    browser = page_client_for(lawyer)
    page = browser.get(PAGE).content.decode()
    assert page.count('type="checkbox"') == 4
    assert page.count("checked") == 4
    assert lawyer.email in page

    saved = browser.post(PAGE, {"deadlines": "on", "budgets": "on"}, follow=True)

    assert saved.redirect_chain == [(PAGE, 302)]
    assert "Your e-mail choices are saved." in saved.content.decode()
    assert saved.content.decode().count("checked") == 2
    assert _choices(lawyer) == {**ALL_ON, "drafts": False, "documents": False}


def test_the_api_reads_and_replaces_the_callers_choices(
    client_user: User, lawyer: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    assert api.get(API).json() == ALL_ON

    changed = {**ALL_ON, "budgets": False}
    response = api.put(API, changed, format="json")

    assert (response.status_code, response.json()) == (200, changed)
    assert api.get(API).json() == changed
    assert _choices(client_user) == changed
    assert not NotificationPreferences.objects.filter(user=lawyer).exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"drafts": False}, {"deadlines", "budgets", "documents"}),
        ({**ALL_ON, "sms": True}, {"sms"}),
        ({**ALL_ON, "drafts": "maybe"}, {"drafts"}),
    ],
)
def test_the_api_refuses_a_partial_unknown_or_mistyped_choice(
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    body: dict[str, object],
    errors: set[str],
) -> None:
    response = api_client_for(client_user).put(API, body, format="json")

    assert set(field_errors_of(response)) == errors
    assert not NotificationPreferences.objects.exists()
