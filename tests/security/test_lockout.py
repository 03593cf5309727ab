"""Nobody can lock another person out, and guessing stays bounded per account.

Failures lock the pair (account, address): a stranger's failures never lock the account at
another address, nor one person's typos a colleague behind the same office address. Across
all addresses an account takes LOGIN_ACCOUNT_FAILURES_PER_HOUR (20) failures an hour; beyond
them only addresses it logged in from may try."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginFailure, User
from tests.factories import PASSWORD, ClientFactory

pytestmark = pytest.mark.django_db

OFFICE, HOME, STRANGER = "10.0.0.1", "10.0.0.2", "203.0.113.9"
BUDGET = 20  # LOGIN_ACCOUNT_FAILURES_PER_HOUR


def api_login(username: str, password: str, ip: str) -> object:
    body = {"username": username, "password": password}
    return APIClient(REMOTE_ADDR=ip).post("/api/auth/login", body, format="json")


def page_login(username: str, password: str, ip: str) -> object:
    data = {"username": username, "password": password}
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", data)


def test_a_strangers_failures_never_lock_the_user_out_from_elsewhere(client_user: User) -> None:
    for _ in range(6):
        api_login(client_user.username, "guess", ip=STRANGER)

    assert api_login(client_user.username, PASSWORD, ip=STRANGER).status_code == 429
    assert api_login(client_user.username, PASSWORD, ip=HOME).status_code == 200
    assert page_login(client_user.username, PASSWORD, ip=OFFICE).status_code == 302


def test_one_persons_typos_do_not_lock_their_office(client_user: User) -> None:
    colleague = ClientFactory()
    for _ in range(6):
        page_login(client_user.username, "typo", ip=OFFICE)

    assert page_login(colleague.username, PASSWORD, ip=OFFICE).status_code == 302
    assert api_login(colleague.username, PASSWORD, ip=OFFICE).status_code == 200


def test_an_attacker_rotating_addresses_gets_twenty_guesses_an_hour(client_user: User) -> None:
    assert api_login(client_user.username, PASSWORD, ip=HOME).status_code == 200

    checked = [
        api_login(client_user.username, f"guess{n}", ip=f"198.51.100.{n}").status_code
        for n in range(1, 61)
    ]
    # Even the right password from a new address is refused now, without being checked.
    late_right_guess = api_login(client_user.username, PASSWORD, ip="198.51.100.200")

    assert checked == [401] * BUDGET + [429] * (60 - BUDGET)
    assert late_right_guess.status_code == 429
    assert "on this account" in late_right_guess.json()["detail"]
    assert 0 < int(late_right_guess["Retry-After"]) <= 3600
    # The owner still gets in from where they logged in before, on the API and the pages.
    assert api_login(client_user.username, PASSWORD, ip=HOME).status_code == 200
    assert page_login(client_user.username, PASSWORD, ip=HOME).status_code == 302
    assert page_login(client_user.username, PASSWORD, ip=OFFICE).status_code == 429


def test_the_budget_refills_as_failures_grow_an_hour_old(client_user: User) -> None:
    for n in range(BUDGET):
        api_login(client_user.username, "guess", ip=f"198.51.100.{n}")
    assert api_login(client_user.username, PASSWORD, ip=OFFICE).status_code == 429

    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=61))

    assert api_login(client_user.username, PASSWORD, ip=OFFICE).status_code == 200


def test_one_address_gets_five_guesses_per_quarter_hour_whatever_the_budget(
    client_user: User,
) -> None:
    statuses = [api_login(client_user.username, "guess", ip=STRANGER).status_code for _ in range(8)]

    # The fifth guess is checked and already answered with the lock.
    assert statuses == [401] * 4 + [429] * 4
