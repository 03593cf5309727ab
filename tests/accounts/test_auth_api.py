from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django_otp.oath import totp
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.services import backup_codes_generate, tokens_for
from tests.factories import PASSWORD, ClientFactory, TOTPDeviceFactory
from tests.problems import detail_of, field_errors_of

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
ME = "/api/auth/me"
ME_KEYS = {"id", "username", "role", "firstName", "lastName", "email", "otpVerified"}


def post(path: str, body: dict) -> object:
    return APIClient().post(path, body, format="json")


def bearer(access: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def test_client_logs_in_with_password_and_gets_exactly_access_and_refresh(
    client_user: User,
) -> None:
    response = post(LOGIN, {"username": client_user.username, "password": PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_the_access_token_identifies_the_user_on_me(client_user: User) -> None:
    tokens = post(LOGIN, {"username": client_user.username, "password": PASSWORD}).json()

    response = bearer(tokens["access"]).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ME_KEYS
    assert body["id"] == str(client_user.pk)
    assert body["username"] == client_user.username
    assert body["role"] == "client"
    assert body["firstName"] == client_user.first_name
    assert body["lastName"] == client_user.last_name
    assert body["email"] == client_user.email
    assert body["otpVerified"] is False


def test_unknown_fields_are_rejected_with_a_field_error(client_user: User) -> None:
    response = post(
        LOGIN, {"username": client_user.username, "password": PASSWORD, "remember": True}
    )

    assert response.status_code == 400
    assert field_errors_of(response) == {"remember": ["Unknown field."]}


def test_missing_fields_are_field_errors() -> None:
    response = post(LOGIN, {})

    assert response.status_code == 400
    assert set(field_errors_of(response)) == {"username", "password"}


def test_bad_credentials_get_401_with_a_detail(client_user: User) -> None:
    response = post(LOGIN, {"username": client_user.username, "password": "wrong"})

    assert response.status_code == 401
    assert detail_of(response) == "Invalid username or password."


def test_staff_without_a_code_get_401_asking_for_it(lawyer: User) -> None:
    TOTPDeviceFactory(user=lawyer)

    response = post(LOGIN, {"username": lawyer.username, "password": PASSWORD})

    assert response.status_code == 401
    assert "code" in response.json()["detail"]


def test_staff_with_a_valid_code_get_tokens_marked_verified(lawyer: User) -> None:
    device = TOTPDeviceFactory(user=lawyer)

    response = post(
        LOGIN,
        {"username": lawyer.username, "password": PASSWORD, "otp": f"{totp(device.bin_key):06d}"},
    )

    assert response.status_code == 200
    me = bearer(response.json()["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["role"] == "lawyer"
    assert me.json()["otpVerified"] is True


def test_staff_can_log_in_with_a_backup_code(admin_user: User) -> None:
    TOTPDeviceFactory(user=admin_user)
    code = backup_codes_generate(user=admin_user)[0]

    response = post(LOGIN, {"username": admin_user.username, "password": PASSWORD, "otp": code})

    assert response.status_code == 200


def test_staff_without_an_enrolled_device_are_refused(lawyer: User) -> None:
    response = post(LOGIN, {"username": lawyer.username, "password": PASSWORD, "otp": "123456"})

    assert response.status_code == 403
    assert detail_of(response) == (
        "Enrol two-factor authentication in Counsel before using the API."
    )


def test_refresh_gives_a_new_working_access_token_and_a_new_refresh_token(lawyer: User) -> None:
    device = TOTPDeviceFactory(user=lawyer)
    tokens = post(
        LOGIN,
        {"username": lawyer.username, "password": PASSWORD, "otp": f"{totp(device.bin_key):06d}"},
    ).json()

    response = post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    me = bearer(response.json()["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["otpVerified"] is True


def test_refresh_rejects_an_access_token_and_garbage(client_user: User) -> None:
    tokens = post(LOGIN, {"username": client_user.username, "password": PASSWORD}).json()

    assert post(REFRESH, {"refresh": tokens["access"]}).status_code == 401
    assert post(REFRESH, {"refresh": "not-a-token"}).status_code == 401
    assert post(REFRESH, {"refresh": tokens["refresh"], "extra": 1}).status_code == 400


def test_expired_access_token_is_rejected(client_user: User) -> None:
    token = AccessToken.for_user(client_user)
    token.set_exp(lifetime=-timedelta(minutes=1))

    response = bearer(str(token)).get(ME)

    assert response.status_code == 401


def test_deactivated_users_tokens_stop_working(client_user: User) -> None:
    tokens = post(LOGIN, {"username": client_user.username, "password": PASSWORD}).json()
    client_user.is_active = False
    client_user.save()

    assert bearer(tokens["access"]).get(ME).status_code == 401
    assert post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_staff_token_minted_without_a_second_factor_is_refused(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    access = tokens_for(user=lawyer, otp_verified=False)["access"]

    assert bearer(access).get(ME).status_code == 401
    assert api_client_for(lawyer).get(ME).status_code == 200


def test_me_without_credentials_is_401() -> None:
    assert APIClient().get(ME).status_code == 401


def test_me_works_with_a_verified_page_session(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    response = page_client_for(lawyer).get(ME)

    assert response.status_code == 200
    assert response.json()["otpVerified"] is True


def test_api_login_updates_last_login(client_user: User) -> None:
    post(LOGIN, {"username": client_user.username, "password": PASSWORD})

    client_user.refresh_from_db()
    assert client_user.last_login is not None


def test_me_of_an_account_without_an_email_keeps_to_the_schema() -> None:
    """An account need not have an email address; `me` then says "", which the schema allows
    (a format "email" would not)."""
    user = ClientFactory(email="")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    me = schema["components"]["schemas"]["Me"]

    response = bearer(tokens_for(user=user, otp_verified=False)["access"]).get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == ""
    Draft202012Validator(me, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        response.json()
    )
