"""Second-factor rules the access matrix does not show: wrong login codes throttle the device
itself, a client who opted in to two-factor must give a code to the API too, and a
refresh never turns a token minted without the second factor into one with it.
(Login lockouts per account and per address, wrong login codes included, are in
tests/accounts/test_throttling.py; unverified staff sessions and tokens are columns of the
matrix.)"""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from tests.factories import PASSWORD, TOTPDeviceFactory

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, *, wrong: bool = False) -> str:
    value = totp(device.bin_key)
    return f"{(value + 1) % 1_000_000 if wrong else value:06d}"


def test_after_wrong_login_codes_the_device_refuses_even_the_right_one_for_a_while(
    lawyer: User, settings: Settings
) -> None:
    # Apart from django-axes' lockout (five failures): django-otp makes the device wait
    # factor x 2^(failures-1) seconds; a factor of 10 makes that 40 s after three failures.
    settings.OTP_TOTP_THROTTLE_FACTOR = 10
    device = TOTPDeviceFactory(user=lawyer)
    login = {"username": lawyer.username, "password": PASSWORD}
    for _ in range(3):
        APIClient().post(
            "/api/auth/login", {**login, "otp": _code(device, wrong=True)}, format="json"
        )

    response = APIClient().post("/api/auth/login", {**login, "otp": _code(device)}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"].startswith("That code is not valid")


def test_a_client_who_enrolled_must_give_a_code_to_the_api(client_user: User) -> None:
    device = TOTPDeviceFactory(user=client_user)
    api = APIClient()
    login = "/api/auth/login"

    without = api.post(
        login, {"username": client_user.username, "password": PASSWORD}, format="json"
    )
    body = {"username": client_user.username, "password": PASSWORD, "otp": _code(device)}
    tokens = api.post(login, body, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert without.status_code == 401
    assert "authenticator" in without.json()["detail"]
    assert api.get("/api/auth/me").json()["otpVerified"] is True


def test_refreshing_a_staff_token_minted_without_the_second_factor_still_fails(
    lawyer: User,
) -> None:
    refresh = tokens_for(user=lawyer, otp_verified=False)["refresh"]
    api = APIClient()

    refreshed = api.post("/api/auth/refresh", {"refresh": refresh}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")

    assert refreshed.status_code == 200
    assert api.get("/api/auth/me").status_code == 401
