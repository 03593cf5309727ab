from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import PASSWORD, TOTPDeviceFactory
from tests.problems import detail_of

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts. Try again in 15 minutes."
PAGE_LOGIN = reverse("accounts:login")
API_LOGIN = "/api/auth/login"


def page_login(username: str, password: str, ip: str = "10.0.0.1", otp: str = "") -> object:
    data = {"username": username, "password": password, "otp": otp}
    return Client(REMOTE_ADDR=ip).post(PAGE_LOGIN, data)


def api_login(username: str, password: str, ip: str = "10.0.0.1", otp: str = "") -> object:
    body = {"username": username, "password": password, "otp": otp}
    return APIClient(REMOTE_ADDR=ip).post(API_LOGIN, body, format="json")


def test_page_login_is_locked_after_five_wrong_passwords(client_user: User) -> None:
    for _ in range(4):
        assert page_login(client_user.username, "wrong").status_code == 200
    page_login(client_user.username, "wrong")

    response = page_login(client_user.username, PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert 'name="username"' in html


def test_api_login_is_locked_after_five_wrong_passwords(client_user: User) -> None:
    for _ in range(4):
        assert api_login(client_user.username, "wrong").status_code == 401
    api_login(client_user.username, "wrong")

    response = api_login(client_user.username, PASSWORD)

    assert response.status_code == 429
    assert detail_of(response) == LOCKED
    assert response.headers["Retry-After"] == "900"


def test_wrong_codes_count_as_failed_logins(lawyer: User) -> None:
    device = TOTPDeviceFactory(user=lawyer)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    for _ in range(5):
        api_login(lawyer.username, PASSWORD, otp=wrong)
    device.refresh_from_db()
    device.throttle_reset()

    response = api_login(lawyer.username, PASSWORD, otp=f"{totp(device.bin_key):06d}")

    assert response.status_code == 429
    assert detail_of(response) == LOCKED
