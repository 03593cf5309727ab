from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import backup_codes_generate
from tests.factories import PASSWORD, LawyerFactory, TOTPDeviceFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SECURITY = reverse("accounts:security")


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def login(page: Client, username: str, otp: str = "", next_url: str = "") -> object:
    data = {"username": username, "password": PASSWORD, "otp": otp}
    if next_url:
        data["next"] = next_url
    return page.post(LOGIN, data)


def test_login_page_shows_username_password_and_code_fields() -> None:
    response = Client().get(LOGIN)

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("username", "password", "otp"):
        assert f'name="{name}"' in html


def test_client_logs_in_with_password_only_and_goes_to_next(client_user: User) -> None:
    page = Client()

    response = login(page, client_user.username, next_url=SECURITY)

    assert response.status_code == 302
    assert response.url == SECURITY
    assert page.get(SECURITY).status_code == 200


def test_login_ignores_a_next_url_on_another_site(client_user: User) -> None:
    response = login(Client(), client_user.username, next_url="https://evil.example/steal")

    assert response.status_code == 302
    assert "evil.example" not in response.url


def test_wrong_password_re_renders_the_form_with_an_error(client_user: User) -> None:
    page = Client()

    response = page.post(LOGIN, {"username": client_user.username, "password": "nope"})

    assert response.status_code == 200
    assert "Invalid username or password." in response.content.decode()
    assert SESSION_KEY not in page.session


def test_lawyer_without_a_code_is_asked_for_it_and_not_logged_in(lawyer: User) -> None:
    TOTPDeviceFactory(user=lawyer)
    page = Client()

    response = login(page, lawyer.username)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field-error"' in html
    assert "Enter the code from your authenticator app" in html
    assert SESSION_KEY not in page.session


def test_lawyer_with_a_wrong_code_sees_a_field_error(lawyer: User) -> None:
    device = TOTPDeviceFactory(user=lawyer)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    page = Client()

    response = login(page, lawyer.username, otp=wrong)

    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert SESSION_KEY not in page.session


def test_lawyer_with_a_valid_totp_code_is_logged_in_verified(lawyer: User) -> None:
    device = TOTPDeviceFactory(user=lawyer)
    page = Client()

    response = login(page, lawyer.username, otp=code_for(device), next_url=SECURITY)

    assert response.status_code == 302
    assert response.url == SECURITY
    assert "Verified with a code" in page.get(SECURITY).content.decode()


def test_a_backup_code_logs_in_once_only(lawyer: User) -> None:
    TOTPDeviceFactory(user=lawyer)
    code = backup_codes_generate(user=lawyer)[0]
    first = Client()

    assert login(first, lawyer.username, otp=code).status_code == 302

    second = Client()
    response = login(second, lawyer.username, otp=code)
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert SESSION_KEY not in second.session


def test_client_who_enrolled_a_device_must_give_a_code(client_user: User) -> None:
    TOTPDeviceFactory(user=client_user)

    response = login(Client(), client_user.username)

    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()


def test_logout_is_a_post_that_ends_the_session(
    page_client_for: Callable[[User], Client], client_user: User
) -> None:
    page = page_client_for(client_user)

    assert page.get(reverse("accounts:logout")).status_code == 405
    response = page.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == LOGIN
    assert page.get(SECURITY).status_code == 302


def test_staff_without_a_device_logs_in_to_the_enrolment_page(lawyer: User) -> None:
    page = Client()

    response = login(page, lawyer.username, next_url="/admin/")

    assert response.status_code == 302
    assert response.url == SECURITY
    html = page.get(SECURITY).content.decode()
    assert "Not verified" in html
    assert "Set up an authenticator app" in html


def test_unverified_staff_cannot_use_the_api_with_their_session(lawyer: User) -> None:
    page = Client()
    login(page, lawyer.username)

    assert page.get(reverse("auth-api:me")).status_code == 401


def test_staff_enrols_an_authenticator_and_the_session_becomes_verified(lawyer: User) -> None:
    page = Client()
    login(page, lawyer.username)

    started = page.post(reverse("accounts:totp-enrol"))
    assert started.status_code == 200
    assert "<svg" in started.content.decode()
    pending = TOTPDevice.objects.get(user=lawyer, confirmed=False)

    confirmed = page.post(reverse("accounts:totp-confirm"), {"token": code_for(pending)})

    assert confirmed.status_code == 302
    pending.refresh_from_db()
    assert pending.confirmed
    html = page.get(SECURITY).content.decode()
    assert "Verified with a code" in html
    assert "Two-factor authentication is on." in html


def test_enrolment_with_a_wrong_code_shows_a_field_error(lawyer: User) -> None:
    page = Client()
    login(page, lawyer.username)
    page.post(reverse("accounts:totp-enrol"))
    pending = TOTPDevice.objects.get(user=lawyer, confirmed=False)
    wrong = f"{(totp(pending.bin_key) + 1) % 1_000_000:06d}"

    response = page.post(reverse("accounts:totp-confirm"), {"token": wrong})

    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    pending.refresh_from_db()
    assert not pending.confirmed


def test_enrolment_over_htmx_returns_only_the_authenticator_section(lawyer: User) -> None:
    page = Client()
    login(page, lawyer.username)

    response = page.post(reverse("accounts:totp-enrol"), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'id="authenticator"' in html
    assert "<html" not in html
    assert "<svg" in html


def test_unverified_session_cannot_add_a_device_when_one_exists(lawyer: User) -> None:
    TOTPDeviceFactory(user=lawyer)
    page = Client()
    page.force_login(lawyer)

    response = page.post(reverse("accounts:totp-enrol"))

    assert "Two-factor authentication is already set up." in response.content.decode()
    assert TOTPDevice.objects.filter(user=lawyer).count() == 1


def test_verified_user_generates_ten_backup_codes_shown_once(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    page = page_client_for(lawyer)

    response = page.post(reverse("accounts:backup-codes"))

    assert response.status_code == 200
    html = response.content.decode()
    codes = list(StaticToken.objects.filter(device__user=lawyer).values_list("token", flat=True))
    assert len(codes) == 10
    assert all(code in html for code in codes)
    assert "10 unused backup codes" in page.get(SECURITY).content.decode()


def test_unverified_session_cannot_generate_backup_codes(lawyer: User) -> None:
    TOTPDeviceFactory(user=lawyer)
    page = Client()
    page.force_login(lawyer)

    response = page.post(reverse("accounts:backup-codes"))

    assert response.status_code == 403
    assert "Backup codes are available once" in response.content.decode()


def test_security_page_requires_login() -> None:
    response = Client().get(SECURITY)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_another_lawyer_cannot_be_logged_in_by_a_code_of_someone_else() -> None:
    mine, theirs = LawyerFactory(), LawyerFactory()
    TOTPDeviceFactory(user=mine)
    their_device = TOTPDeviceFactory(user=theirs)

    response = login(Client(), mine.username, otp=code_for(their_device))

    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()


def test_turning_on_two_factor_ends_every_other_session_and_token(client_user: User) -> None:
    # Someone who already holds the account (a second browser, stolen API tokens) must not
    # keep it once its owner turns the second factor on.
    this_browser, other_browser = Client(), Client()
    login(this_browser, client_user.username)
    login(other_browser, client_user.username)
    api = APIClient()
    old = api.post(
        reverse("auth-api:login"),
        {"username": client_user.username, "password": PASSWORD},
        format="json",
    ).json()
    time.sleep(1.1)  # sessions and tokens are dated to the second
    this_browser.post(reverse("accounts:totp-enrol"))
    pending = TOTPDevice.objects.get(user=client_user, confirmed=False)

    this_browser.post(reverse("accounts:totp-confirm"), {"token": code_for(pending)})

    assert this_browser.get(SECURITY).status_code == 200
    assert other_browser.get(SECURITY).status_code == 302  # to the login page
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    refused = api.get(reverse("auth-api:me"))
    assert refused.status_code == 401
    assert "Log in again" in refused.json()["detail"]
    refreshed = APIClient().post(
        reverse("auth-api:refresh"), {"refresh": old["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401
    assert "Log in again" in refreshed.json()["detail"]
    # The next code: the one just used cannot be played again.
    next_code = f"{totp(pending.bin_key, drift=1):06d}"
    fresh = APIClient().post(
        reverse("auth-api:login"),
        {"username": client_user.username, "password": PASSWORD, "otp": next_code},
        format="json",
    )
    assert fresh.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh.json()['access']}")
    assert api.get(reverse("auth-api:me")).status_code == 200
