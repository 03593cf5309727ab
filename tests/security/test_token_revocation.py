"""API tokens can be ended by their owner: a refresh token is spent when used (a new one comes
with the new access token), a spent one presented again revokes every refresh token of its
login, and `POST /api/auth/logout` revokes them on request."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
REUSED = "This refresh token was already used"


def _post(path: str, body: dict) -> object:
    return APIClient().post(path, body, format="json")


def _login(user: User) -> dict[str, str]:
    response = _post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def _refresh(refresh: str) -> object:
    return _post(REFRESH, {"refresh": refresh})


def test_a_refresh_token_is_spent_by_its_use_and_replaced(client_user: User) -> None:
    first = _login(client_user)["refresh"]

    rotated = _refresh(first)

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first
    assert _refresh(rotated.json()["refresh"]).status_code == 200


def test_a_reused_refresh_token_is_refused_and_ends_its_whole_login(client_user: User) -> None:
    stolen = _login(client_user)["refresh"]
    thief = _refresh(stolen).json()["refresh"]

    reuse = _refresh(stolen)  # the owner, still holding the token the thief copied

    assert reuse.status_code == 401
    assert REUSED in reuse.json()["detail"]
    assert _refresh(thief).status_code == 401


def test_a_reuse_ends_only_its_own_login(client_user: User) -> None:
    phone, laptop = _login(client_user)["refresh"], _login(client_user)["refresh"]
    _refresh(phone)

    assert _refresh(phone).status_code == 401
    assert _refresh(laptop).status_code == 200


def test_logout_revokes_the_login_and_no_other(client_user: User) -> None:
    phone, laptop = _login(client_user)["refresh"], _login(client_user)["refresh"]
    current = _refresh(phone).json()["refresh"]

    assert _post(LOGOUT, {"refresh": current}).status_code == 204

    assert _refresh(current).status_code == 401
    assert _refresh(laptop).status_code == 200


def test_logout_refuses_what_is_not_a_refresh_token(client_user: User) -> None:
    tokens = _login(client_user)

    assert _post(LOGOUT, {"refresh": tokens["access"]}).status_code == 401
    assert _post(LOGOUT, {"refresh": "not-a-token"}).status_code == 401
    assert _post(LOGOUT, {"refresh": tokens["refresh"], "extra": 1}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_refresh_token_do_not_both_get_a_live_token(
    client_user: User,
) -> None:
    refresh = _login(client_user)["refresh"]
    start = threading.Barrier(4)
    answers: list[object] = []

    def use() -> None:
        start.wait()
        try:
            answers.append(_refresh(refresh))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # At most one got through; whatever it got is revoked by the others' reuse.
    issued = [answer.json()["refresh"] for answer in answers if answer.status_code == 200]
    assert len(issued) <= 1
    assert all(_refresh(token).status_code == 401 for token in issued)
