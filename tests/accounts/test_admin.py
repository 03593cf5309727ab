from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")


def test_anonymous_visitor_is_sent_to_the_accounts_login_page() -> None:
    response = Client().get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('accounts:login')}?next={ADMIN}"
    assert response.status_code == 200


def test_lawyer_is_refused_even_when_verified(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    response = page_client_for(lawyer).get(ADMIN, follow=True)

    assert response.status_code == 403


def test_admin_without_a_verified_session_is_sent_to_the_security_page(admin_user: User) -> None:
    page = Client()
    page.force_login(admin_user)

    response = page.get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:security")
    assert "Counsel administration" not in response.content.decode()


def test_verified_admin_sees_the_admin_index(
    page_client_for: Callable[[User], Client], admin_user: User
) -> None:
    response = page_client_for(admin_user).get(ADMIN)

    assert response.status_code == 200
    assert "Counsel administration" in response.content.decode()


def test_admin_user_list_shows_roles_and_filters_by_role(
    page_client_for: Callable[[User], Client], admin_user: User, lawyer: User, client_user: User
) -> None:
    page = page_client_for(admin_user)

    response = page.get(reverse("admin:accounts_user_changelist"), {"role__exact": "lawyer"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "By role" in html
    assert lawyer.username in html
    assert client_user.username not in html


def test_admin_login_url_forwards_to_the_accounts_login_keeping_next() -> None:
    response = Client().get(reverse("admin:login"), {"next": "/admin/accounts/user/"})

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next=/admin/accounts/user/"


def test_admin_adds_a_user_whose_role_decides_django_admin_access(
    page_client_for: Callable[[User], Client], admin_user: User
) -> None:
    page = page_client_for(admin_user)
    form = {
        "role": "admin",
        "password1": "a-long-unusual-pass-9",
        "password2": "a-long-unusual-pass-9",
    }

    page.post(reverse("admin:accounts_user_add"), {**form, "username": "newboss"})
    page.post(reverse("admin:accounts_user_add"), {**form, "username": "newlee", "role": "lawyer"})

    boss, lee = User.objects.get(username="newboss"), User.objects.get(username="newlee")
    assert (boss.role, boss.is_staff, boss.is_superuser) == ("admin", True, True)
    assert (lee.role, lee.is_staff, lee.is_superuser) == ("lawyer", False, False)
    assert lee.check_password("a-long-unusual-pass-9")


def _set_password(page: Client, user: User, password: str) -> None:
    response = page.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]


def test_a_new_password_set_by_an_admin_ends_the_users_api_tokens(
    page_client_for: Callable[[User], Client], admin_user: User, client_user: User
) -> None:
    old = tokens_for(user=client_user, otp_verified=False)
    time.sleep(1.1)  # tokens are dated to the second
    page = page_client_for(admin_user)

    _set_password(page, client_user, "a-fresh-unusual-pass-7")

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    refused = api.get(reverse("auth-api:me"))
    assert refused.status_code == 401
    assert "Log in again" in refused.json()["detail"]
    refresh = APIClient().post(
        reverse("auth-api:refresh"), {"refresh": old["refresh"]}, format="json"
    )
    assert refresh.status_code == 401
    client_user.refresh_from_db()
    assert client_user.check_password("a-fresh-unusual-pass-7")
    assert page.get(ADMIN).status_code == 200


def test_an_admin_who_sets_their_own_password_stays_signed_in(
    page_client_for: Callable[[User], Client], admin_user: User
) -> None:
    page = page_client_for(admin_user)

    _set_password(page, admin_user, "a-fresh-unusual-pass-8")

    assert page.get(ADMIN).status_code == 200
