from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import AccountEvent, Invitation, User
from tests.factories import PASSWORD
from tests.problems import rule_broken
from tests.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db

INVITATIONS = "/accounts/invitations/"
LOGIN = "/accounts/login/"
NEW_PASSWORD = "a-long-Unusual-passphrase-17"
LINK = re.compile(r"http://\S+/accounts/invitation/(\S+)/")


def _invite(page: Client, **fields: str) -> object:
    body = {"email": "nina.park@example.org", "first_name": "Nina", "last_name": "Park"}
    return page.post(INVITATIONS, {"role": "client", **body, **fields})


def _token(body: str) -> str:
    match = LINK.search(body)
    assert match, body
    return match[1]


@pytest.fixture
def admin_page(page_client_for: Callable[[User], Client], admin_user: User) -> Client:
    return page_client_for(admin_user)


def _sent_invitation(admin_page: Client, capture: Callable, **fields: str) -> str:
    with capture(execute=True):
        response = _invite(admin_page, **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    return _token(mail.outbox[-1].body)


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Callable, eager_celery: None) -> Callable:
    return django_capture_on_commit_callbacks


def test_admin_invites_a_lawyer_who_gets_a_single_use_link_and_an_account_without_password(
    admin_page: Client, capture: Callable, admin_user: User
) -> None:
    token = _sent_invitation(admin_page, capture, role="lawyer")

    [message] = mail.outbox
    assert message.to == ["nina.park@example.org"]
    assert message.subject == "You are invited to Counsel"
    assert "authenticator app" in message.body
    user = User.objects.get(email="nina.park@example.org")
    assert (user.username, user.role, user.has_usable_password()) == (
        "nina.park@example.org",
        "lawyer",
        False,
    )
    invitation = Invitation.objects.get(user=user)
    # Only a hash of the token is kept.
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64
    assert invitation.invited_by == admin_user
    assert AccountEvent.objects.filter(user=user, kind="invited", actor=admin_user).exists()


def test_the_invitation_reaches_a_real_smtp_server_and_its_link_sets_the_password(
    smtp_server: SMTPServer,
    eager_celery: None,
    django_capture_on_commit_callbacks: Callable,
    admin_page: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(admin_page).status_code == 302

    [message] = smtp_server.to("nina.park@example.org")
    assert message["Subject"] == "You are invited to Counsel"
    token = _token(message.get_content())
    page = Client()
    assert "nina.park@example.org" in page.get(f"/accounts/invitation/{token}/").content.decode()

    response = page.post(
        f"/accounts/invitation/{token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    assert page.get("/cases/").status_code == 200
    login = Client().post(LOGIN, {"username": "nina.park@example.org", "password": NEW_PASSWORD})
    assert login["Location"] == "/cases/"


def test_a_staff_member_who_accepts_enrols_and_gets_backup_codes_before_anything_else(
    admin_page: Client, capture: Callable
) -> None:
    token = _sent_invitation(admin_page, capture, role="lawyer")
    page = Client()

    response = page.post(
        f"/accounts/invitation/{token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == "/accounts/security/"
    # Nothing else opens before the authenticator is set up.
    assert page.get("/cases/")["Location"] == "/accounts/security/"
    page.post("/accounts/security/authenticator/")
    device = User.objects.get(email="nina.park@example.org").totpdevice_set.get()
    code = f"{totp(device.bin_key):06d}"
    confirmed = page.post("/accounts/security/authenticator/confirm/", {"token": code})
    assert confirmed.status_code == 302
    security = page.get("/accounts/security/").content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", security)
    assert len(codes) == 10
    # Shown once.
    assert not re.findall(
        r"<li>([a-z0-9]{8})</li>", page.get("/accounts/security/").content.decode()
    )
    assert page.get("/cases/").status_code == 200


def test_the_password_follows_djangos_validators(admin_page: Client, capture: Callable) -> None:
    token = _sent_invitation(admin_page, capture)

    response = Client().post(
        f"/accounts/invitation/{token}/", {"new_password1": "12345", "new_password2": "12345"}
    )

    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.get(email="nina.park@example.org").has_usable_password()


def test_a_used_link_shows_a_clear_page(admin_page: Client, capture: Callable) -> None:
    token = _sent_invitation(admin_page, capture)
    body = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    Client().post(f"/accounts/invitation/{token}/", body)

    response = Client().post(f"/accounts/invitation/{token}/", body)

    assert response.status_code == 410
    assert "already accepted" in response.content.decode()


def test_an_expired_link_shows_a_clear_page(admin_page: Client, capture: Callable) -> None:
    token = _sent_invitation(admin_page, capture)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = Client().get(f"/accounts/invitation/{token}/")

    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_revoked_link_shows_a_clear_page_and_an_unknown_one_too(
    admin_page: Client, capture: Callable
) -> None:
    token = _sent_invitation(admin_page, capture)
    invitation = Invitation.objects.get()

    assert admin_page.post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 302

    assert "withdrawn" in Client().get(f"/accounts/invitation/{token}/").content.decode()
    unknown = Client().get("/accounts/invitation/not-a-token/")
    assert unknown.status_code == 410
    assert "not valid" in unknown.content.decode()


def test_a_resend_replaces_the_link(admin_page: Client, capture: Callable) -> None:
    first = _sent_invitation(admin_page, capture)
    invitation = Invitation.objects.get()

    with capture(execute=True):
        admin_page.post(f"/accounts/invitations/{invitation.pk}/resend/")

    second = _token(mail.outbox[-1].body)
    assert second != first
    assert Client().get(f"/accounts/invitation/{first}/").status_code == 410
    assert Client().get(f"/accounts/invitation/{second}/").status_code == 200
    assert AccountEvent.objects.filter(kind="invitation-resent").count() == 1


def test_pending_and_accepted_invitations_are_listed(admin_page: Client, capture: Callable) -> None:
    token = _sent_invitation(admin_page, capture)
    _sent_invitation(admin_page, capture, email="omar.idris@example.org")
    Client().post(
        f"/accounts/invitation/{token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    html = admin_page.get(INVITATIONS).content.decode()

    pending, accepted = html.split('id="pending-heading"')[1].split('id="accepted-heading"')
    assert "omar.idris@example.org" in pending
    assert "nina.park@example.org" not in pending
    assert "nina.park@example.org" in accepted


def test_an_address_that_has_an_account_cannot_be_invited(
    admin_page: Client, client_user: User
) -> None:
    response = _invite(admin_page, email=client_user.email.upper())

    assert response.status_code == 200
    assert "has an account" in response.content.decode()


def test_an_address_that_is_someones_username_cannot_be_invited(
    admin_page: Client, client_user: User
) -> None:
    User.objects.filter(pk=client_user.pk).update(username="old.login@example.org")

    response = _invite(admin_page, email="Old.Login@example.org")

    assert response.status_code == 200
    assert "has an account" in response.content.decode()
    assert not User.objects.filter(email__iexact="old.login@example.org").exists()


def test_a_lawyer_cannot_open_the_invitations_page(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    page = page_client_for(lawyer)

    assert page.get(INVITATIONS).status_code == 403
    assert _invite(page).status_code == 403
    assert not User.objects.filter(email="nina.park@example.org").exists()


def test_a_client_frontend_accepts_through_the_api_then_logs_in(
    admin_page: Client, capture: Callable
) -> None:
    token = _sent_invitation(admin_page, capture)
    api = APIClient()

    refused = api.post(
        "/api/auth/invitation/accept", {"token": token, "password": "short"}, format="json"
    )
    assert "password" in rule_broken(refused)
    response = api.post(
        "/api/auth/invitation/accept", {"token": token, "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"username": "nina.park@example.org", "role": "client"}
    login = api.post(
        "/api/auth/login",
        {"username": "nina.park@example.org", "password": NEW_PASSWORD},
        format="json",
    )
    assert login.status_code == 200
    again = api.post(
        "/api/auth/invitation/accept", {"token": token, "password": NEW_PASSWORD}, format="json"
    )
    assert "already accepted" in rule_broken(again)["token"][0]


def test_deactivating_an_invited_account_ends_its_link(
    admin_page: Client, capture: Callable
) -> None:
    token = _sent_invitation(admin_page, capture)
    user = User.objects.get(email="nina.park@example.org")

    admin_page.post(f"/accounts/people/{user.pk}/deactivate/")

    response = Client().get(f"/accounts/invitation/{token}/")
    assert response.status_code == 410
    assert "not active" in response.content.decode()


def test_an_invited_person_cannot_log_in_before_accepting(
    admin_page: Client, capture: Callable
) -> None:
    _sent_invitation(admin_page, capture)

    for password in (PASSWORD, ""):
        response = Client().post(LOGIN, {"username": "nina.park@example.org", "password": password})
        assert response.status_code == 200


def test_staff_who_accept_through_the_api_must_enrol_on_the_pages_before_the_api_logs_them_in(
    admin_page: Client, capture: Callable
) -> None:
    token = _sent_invitation(admin_page, capture, role="lawyer")
    api = APIClient()
    accepted = api.post(
        "/api/auth/invitation/accept", {"token": token, "password": NEW_PASSWORD}, format="json"
    )
    assert accepted.json() == {"username": "nina.park@example.org", "role": "lawyer"}

    login = api.post(
        "/api/auth/login",
        {"username": "nina.park@example.org", "password": NEW_PASSWORD},
        format="json",
    )

    assert login.status_code == 403
    assert "Enrol two-factor" in login.json()["detail"]
