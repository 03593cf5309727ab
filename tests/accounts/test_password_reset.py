from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import AccountEvent, User
from accounts.services import tokens_for
from tests.factories import PASSWORD, ClientFactory, LawyerFactory, TOTPDeviceFactory
from tests.problems import field_errors_of, problem_of, rule_broken
from tests.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db

RESET = "/api/auth/password-reset"
CONFIRM = "/api/auth/password-reset/confirm"
NEW_PASSWORD = "a-long-Unusual-passphrase-17"
LINK = re.compile(r"http://\S+/accounts/reset/([^/\s]+)/([^/\s]+)/")


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Callable, eager_celery: None) -> Callable:
    return django_capture_on_commit_callbacks


def _ask(capture: Callable, email: str, api: APIClient | None = None) -> object:
    with capture(execute=True):
        return (api or APIClient()).post(RESET, {"email": email}, format="json")


def _link(body: str) -> tuple[str, str]:
    match = LINK.search(body)
    assert match, body
    return match[1], match[2]


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    capture: Callable, client_user: User
) -> None:
    known = _ask(capture, client_user.email)
    unknown = _ask(capture, "nobody@example.org")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [message] = mail.outbox
    assert message.to == [client_user.email]
    assert message.subject == "Reset your Counsel password"
    assert "1 hour" in message.body


def test_an_inactive_or_invited_account_gets_no_link(capture: Callable) -> None:
    ClientFactory(email="gone@example.org", is_active=False)
    invited = ClientFactory(email="invited@example.org")
    invited.set_unusable_password()
    invited.save()

    assert _ask(capture, "gone@example.org").status_code == 202
    assert _ask(capture, "invited@example.org").status_code == 202
    assert mail.outbox == []


def test_a_reset_through_a_real_smtp_server_sets_the_password_once_and_ends_other_logins(
    smtp_server: SMTPServer,
    eager_celery: None,
    django_capture_on_commit_callbacks: Callable,
    client_user: User,
) -> None:
    old_session = Client()
    old_session.post("/accounts/login/", {"username": client_user.username, "password": PASSWORD})
    old_token = tokens_for(user=client_user, otp_verified=False)["access"]
    time.sleep(1.1)  # tokens are dated to the second
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password_reset/", {"email": client_user.email})
    [message] = smtp_server.to(client_user.email)
    uid, token = _link(message.get_content())

    page = Client()
    form = page.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert "Choose a new password" in form.content.decode()
    done = page.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done["Location"] == "/accounts/reset/done/"
    # Nobody is logged in by a reset; the other session and the API token have ended.
    assert page.get("/cases/")["Location"].startswith("/accounts/login/")
    assert old_session.get("/cases/")["Location"].startswith("/accounts/login/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {old_token}")
    assert api.get("/api/auth/me").status_code == 401
    # Single use.
    again = Client().get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert "not valid" in again.content.decode()
    login = Client().post(
        "/accounts/login/", {"username": client_user.username, "password": NEW_PASSWORD}
    )
    assert login["Location"] == "/cases/"
    assert AccountEvent.objects.filter(user=client_user, kind="password-reset").exists()


def test_the_api_confirm_sets_the_password_and_refuses_a_spent_or_bad_token(
    capture: Callable, client_user: User
) -> None:
    _ask(capture, client_user.email)
    uid, token = _link(mail.outbox[0].body)
    api = APIClient()

    weak = api.post(CONFIRM, {"uid": uid, "token": token, "password": "123"}, format="json")
    assert "password" in rule_broken(weak)
    done = api.post(CONFIRM, {"uid": uid, "token": token, "password": NEW_PASSWORD}, format="json")
    assert done.status_code == 204
    spent = api.post(CONFIRM, {"uid": uid, "token": token, "password": NEW_PASSWORD}, format="json")
    assert "token" in rule_broken(spent)
    forged = api.post(
        CONFIRM, {"uid": "zz", "token": "x-y", "password": NEW_PASSWORD}, format="json"
    )
    assert "token" in rule_broken(forged)
    unknown = api.post(CONFIRM, {"uid": uid, "token": token, "extra": 1}, format="json")
    assert set(field_errors_of(unknown)) == {"extra", "password"}
    login = api.post(
        "/api/auth/login",
        {"username": client_user.username, "password": NEW_PASSWORD},
        format="json",
    )
    assert login.status_code == 200


def test_staff_still_need_their_second_factor_after_a_reset(capture: Callable) -> None:
    lawyer = LawyerFactory()
    device = TOTPDeviceFactory(user=lawyer)
    _ask(capture, lawyer.email)
    uid, token = _link(mail.outbox[0].body)
    api = APIClient()
    api.post(CONFIRM, {"uid": uid, "token": token, "password": NEW_PASSWORD}, format="json")

    without = api.post(
        "/api/auth/login", {"username": lawyer.username, "password": NEW_PASSWORD}, format="json"
    )
    assert without.status_code == 401
    page = Client()
    page.post("/accounts/login/", {"username": lawyer.username, "password": NEW_PASSWORD})
    assert page.get("/cases/").status_code == 302
    with_code = api.post(
        "/api/auth/login",
        {
            "username": lawyer.username,
            "password": NEW_PASSWORD,
            "otp": f"{totp(device.bin_key):06d}",
        },
        format="json",
    )
    assert with_code.status_code == 200


def test_asking_is_throttled_per_account_whether_or_not_it_exists(
    capture: Callable, settings: object, client_user: User
) -> None:
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "password-reset": {"address": "100/3600", "account": "2/3600"},
    }
    for email in (client_user.email, "nobody@example.org"):
        assert _ask(capture, email).status_code == 202
        assert _ask(capture, email.upper()).status_code == 202
        refused = _ask(capture, email)
        problem_of(refused, 429, type="/api/problems/rate-limited")
        assert 0 < int(refused["Retry-After"]) <= 3600
    assert len(mail.outbox) == 2
    # Another account is not held up.
    assert _ask(capture, "someone.else@example.org").status_code == 202


def test_asking_is_throttled_per_address_on_the_page_too(
    capture: Callable, settings: object
) -> None:
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "password-reset": {"address": "3/3600", "account": "100/3600"},
    }
    page = Client()
    for number in range(3):
        response = page.post("/accounts/password_reset/", {"email": f"p{number}@example.org"})
        assert response["Location"] == "/accounts/password_reset/done/"

    refused = page.post("/accounts/password_reset/", {"email": "p9@example.org"})

    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    other_address = Client(REMOTE_ADDR="10.1.2.3")
    assert (
        other_address.post("/accounts/password_reset/", {"email": "p9@example.org"}).status_code
        == 302
    )


def test_setting_a_password_is_throttled_per_account(settings: object, client_user: User) -> None:
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "password-set": {"address": "100/3600", "account": "3/3600"},
    }
    api = APIClient()
    body = {"uid": "MQ", "token": "guess", "password": NEW_PASSWORD}
    for _ in range(3):
        assert api.post(CONFIRM, body, format="json").status_code == 422

    problem_of(api.post(CONFIRM, body, format="json"), 429, type="/api/problems/rate-limited")


def test_a_redis_outage_lets_a_reset_through(
    redis_down: None, capture: Callable, client_user: User
) -> None:
    assert _ask(capture, client_user.email).status_code == 202
    assert len(mail.outbox) == 1
