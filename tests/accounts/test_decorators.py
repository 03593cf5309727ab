from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import TOTPDeviceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls_decorated")]


def test_anonymous_visitor_is_sent_to_login_with_next() -> None:
    response = Client().get("/members/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/members/"


def test_client_without_a_device_gets_the_page(
    page_client_for: Callable[[User], Client], client_user: User
) -> None:
    response = page_client_for(client_user).get("/members/")

    assert response.status_code == 200
    assert response.content == b"members only"


def test_verified_lawyer_gets_the_page(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    assert page_client_for(lawyer).get("/members/").status_code == 200


@pytest.mark.parametrize("has_device", [False, True])
def test_unverified_staff_are_sent_to_the_security_page(lawyer: User, has_device: bool) -> None:
    if has_device:
        TOTPDeviceFactory(user=lawyer)
    page = Client()
    page.force_login(lawyer)

    response = page.get("/members/")

    assert response.status_code == 302
    assert response.url == "/accounts/security/"
