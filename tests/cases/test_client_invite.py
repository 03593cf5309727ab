from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Invitation, User
from tests.factories import CaseFactory, LawyerFactory

pytestmark = pytest.mark.django_db

BODY = {"email": "new.client@example.org", "first_name": "Ines", "last_name": "Duarte"}


def test_a_lawyer_invites_a_client_to_their_own_case(
    page_client_for: Callable[[User], Client],
    lawyer: User,
    eager_celery: None,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    page = page_client_for(lawyer)
    assert "Invite a new client" in page.get(f"/cases/{case.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/cases/{case.pk}/invite-client/", {**BODY, "role": "admin"})

    assert response["Location"] == f"/cases/{case.pk}/"
    invited = User.objects.get(email="new.client@example.org")
    assert invited.role == "client"  # the form has no role: always a client
    case.refresh_from_db()
    assert case.client == invited
    assert case.history.first().history_user == lawyer
    assert Invitation.objects.get(user=invited).invited_by == lawyer
    assert mail.outbox[0].to == ["new.client@example.org"]
    detail = page.get(f"/cases/{case.pk}/").content.decode()
    assert "not yet joined" in detail
    with django_capture_on_commit_callbacks(execute=True):
        resent = page.post(
            f"/accounts/invitations/{Invitation.objects.get().pk}/resend/",
            {"next": f"/cases/{case.pk}/"},
        )
    assert resent["Location"] == f"/cases/{case.pk}/"
    assert len(mail.outbox) == 2
    # The lawyer may resend or revoke the invitation they sent, not open the admins' list.
    invitation = Invitation.objects.get()
    assert page.post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 302
    assert page.get("/accounts/invitations/").status_code == 403


def test_a_lawyer_cannot_invite_to_a_case_they_are_not_on(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[LawyerFactory()])
    client_before = case.client

    response = page_client_for(lawyer).post(f"/cases/{case.pk}/invite-client/", BODY)

    assert response.status_code == 404
    assert not User.objects.filter(email="new.client@example.org").exists()
    case.refresh_from_db()
    assert case.client == client_before


def test_a_client_cannot_invite(page_client_for: Callable[[User], Client]) -> None:
    case = CaseFactory()

    response = page_client_for(case.client).post(f"/cases/{case.pk}/invite-client/", BODY)

    assert response.status_code == 403
    assert not User.objects.filter(email="new.client@example.org").exists()


def test_a_lawyer_cannot_manage_another_lawyers_invitation(
    page_client_for: Callable[[User], Client],
    lawyer: User,
    admin_user: User,
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    page_client_for(admin_user).post(f"/cases/{case.pk}/invite-client/", BODY)
    invitation = Invitation.objects.get()

    response = page_client_for(lawyer).post(f"/accounts/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
