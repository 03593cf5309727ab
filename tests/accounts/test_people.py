from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.invitations import invitation_create
from accounts.models import AccountEvent, User
from accounts.services import tokens_for
from consultations.budgets import month_start
from consultations.models import Consultation
from tests.factories import (
    ClientFactory,
    ConsultationFactory,
    LawyerFactory,
    TOTPDeviceFactory,
)

pytestmark = pytest.mark.django_db

PEOPLE = "/accounts/people/"


@pytest.fixture
def admin_page(page_client_for: Callable[[User], Client], admin_user: User) -> Client:
    return page_client_for(admin_user)


def test_the_list_shows_last_login_and_this_months_ai_cost_in_one_query_for_the_rows(
    admin_page: Client, django_assert_max_num_queries: Callable
) -> None:
    spender = LawyerFactory(first_name="Amara", last_name="Okafor", last_login=timezone.now())
    ConsultationFactory(user=spender, cost_estimate=Decimal("1.25"))
    ConsultationFactory(user=spender, cost_estimate=Decimal("0.50"))
    last_month = ConsultationFactory(user=spender, cost_estimate=Decimal("9"))
    Consultation.objects.filter(pk=last_month.pk).update(
        created_at=month_start() - timedelta(days=1)
    )
    LawyerFactory.create_batch(20)

    with django_assert_max_num_queries(8) as queries:
        html = admin_page.get(PEOPLE).content.decode()
    few = len(queries)
    LawyerFactory.create_batch(3)
    with django_assert_max_num_queries(few):
        admin_page.get(PEOPLE)

    row = html.split("Amara Okafor")[1].split("</tr>")[0]
    assert "$1.75" in row
    assert "Never" not in row
    assert "AI cost this month" in html


def test_the_list_searches_filters_and_pages(admin_page: Client) -> None:
    LawyerFactory(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    ClientFactory.create_batch(30)

    found = admin_page.get(PEOPLE, {"search": "grace navy"}).content.decode()
    assert "Grace Hopper" in found
    assert "1 person" in found
    lawyers = admin_page.get(PEOPLE, {"role": "client"}).content.decode()
    assert "Grace Hopper" not in lawyers
    assert "Page 1 of 2" in lawyers
    second = admin_page.get(PEOPLE, {"role": "client", "page": 2}, HTTP_HX_REQUEST="true")
    assert "<html" not in second.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_the_list_filters_by_status(admin_page: Client, admin_user: User) -> None:
    invitation_create(
        actor=admin_user,
        email="ines@example.org",
        role=User.Role.LAWYER,
        first_name="Ines",
        last_name="Invited",
    )
    LawyerFactory(first_name="Dora", last_name="Deactivated", is_active=False)
    LawyerFactory(first_name="Anna", last_name="Active")

    def shown(status: str) -> set[str]:
        html = admin_page.get(PEOPLE, {"status": status}).content.decode()
        return {
            name for name in ("Ines Invited", "Dora Deactivated", "Anna Active") if name in html
        }

    assert shown("invited") == {"Ines Invited"}
    assert shown("inactive") == {"Dora Deactivated"}
    assert shown("active") == {"Ines Invited", "Anna Active"}


def test_deactivation_kills_an_existing_token_and_session_at_once(
    admin_page: Client, page_client_for: Callable[[User], Client], admin_user: User
) -> None:
    lawyer = LawyerFactory()
    page = page_client_for(lawyer)
    tokens = tokens_for(user=lawyer, otp_verified=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/auth/me").status_code == 200
    time.sleep(1.1)  # tokens are dated to the second

    response = admin_page.post(f"{PEOPLE}{lawyer.pk}/deactivate/")

    assert response.status_code == 302
    assert api.get("/api/auth/me").status_code == 401
    refresh = APIClient().post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert page.get("/cases/")["Location"].startswith("/accounts/login/")
    event = AccountEvent.objects.get(user=lawyer, kind="deactivated")
    assert event.actor == admin_user
    # Reactivated, the old token stays dead.
    admin_page.post(f"{PEOPLE}{lawyer.pk}/reactivate/")
    lawyer.refresh_from_db()
    assert lawyer.is_active
    assert api.get("/api/auth/me").status_code == 401


def test_a_role_change_is_recorded_and_keeps_the_admin_flags_in_step(
    admin_page: Client, admin_user: User
) -> None:
    lawyer = LawyerFactory()

    response = admin_page.post(f"{PEOPLE}{lawyer.pk}/role/", {"role": "admin"}, follow=True)

    assert f"{lawyer.get_full_name()} is now admin." in response.content.decode()
    lawyer.refresh_from_db()
    assert (lawyer.role, lawyer.is_staff, lawyer.is_superuser) == ("admin", True, True)
    event = AccountEvent.objects.get(user=lawyer, kind="role-changed")
    assert (event.actor, event.detail) == (admin_user, "Lawyer → Admin")
    html = admin_page.get(f"{PEOPLE}{lawyer.pk}/").content.decode()
    assert "Lawyer → Admin" in html


def test_a_second_factor_reset_is_recorded_and_sends_staff_back_to_enrol(
    admin_page: Client, page_client_for: Callable[[User], Client], admin_user: User
) -> None:
    lawyer = LawyerFactory()
    page = page_client_for(lawyer)  # with a device, verified
    assert page.get("/cases/").status_code == 200

    admin_page.post(f"{PEOPLE}{lawyer.pk}/second-factor-reset/")

    assert not lawyer.totpdevice_set.exists()
    event = AccountEvent.objects.get(user=lawyer, kind="second-factor-reset")
    assert event.actor == admin_user
    assert event.at is not None
    assert page.get("/cases/")["Location"].startswith("/accounts/login/")
    html = admin_page.get(f"{PEOPLE}{lawyer.pk}/").content.decode()
    assert "Second factor reset" in html
    assert admin_user.get_full_name() in html


def test_an_admin_cannot_deactivate_or_demote_themself(
    admin_page: Client, admin_user: User
) -> None:
    admin_page.post(f"{PEOPLE}{admin_user.pk}/deactivate/")
    admin_page.post(f"{PEOPLE}{admin_user.pk}/role/", {"role": "client"})

    admin_user.refresh_from_db()
    assert (admin_user.is_active, admin_user.role) == (True, "admin")
    assert not AccountEvent.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "{pk}/"),
        ("post", "{pk}/deactivate/"),
        ("post", "{pk}/role/"),
        ("post", "{pk}/second-factor-reset/"),
    ],
)
def test_a_lawyer_cannot_manage_people(
    page_client_for: Callable[[User], Client], lawyer: User, method: str, path: str
) -> None:
    other = LawyerFactory()
    TOTPDeviceFactory(user=other)

    response = getattr(page_client_for(lawyer), method)(
        PEOPLE + path.format(pk=other.pk), {"role": "admin"} if method == "post" else None
    )

    assert response.status_code == 403
    other.refresh_from_db()
    assert (other.is_active, other.role) == (True, "lawyer")
    assert other.totpdevice_set.exists()
