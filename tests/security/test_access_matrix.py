"""The access matrix (tests/security/matrix.py) held against the running application: every
route, every method it answers, every role; and the Django admin's routes by one rule."""

from __future__ import annotations

import pytest
from django.urls import resolve

from tests.security.conftest import DEACTIVATED, EXPIRED, ROLES, World, page_client
from tests.security.matrix import ADMIN_LOGIN, LOGIN, MATRIX, SECURITY, Outcome, Row
from tests.security.routes import (
    HTTP_METHODS,
    admin_routes,
    all_routes,
    declared_methods,
    outcome,
    sample_path,
    send,
)

pytestmark = pytest.mark.django_db

ROUTES = {route.route: route for route in all_routes()}
ADMIN_ROUTES = admin_routes()
# What every response carries, pages and API alike (SecurityMiddleware, XFrameOptions).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _cases() -> list[tuple[Row, str]]:
    return [(row, method) for row in MATRIX for method in row.methods]


def _case_id(case: tuple[Row, str]) -> str:
    row, method = case
    return f"{method} /{row.route}" + (f" ({row.note})" if row.note else "")


# --- the matrix covers every route ------------------------------------------------------------


def test_every_route_is_in_the_matrix_or_is_the_admins() -> None:
    classified = {row.route for row in MATRIX}
    unclassified = sorted(set(ROUTES) - classified - set(ADMIN_ROUTES))

    assert not unclassified, f"routes the access matrix does not classify: {unclassified}"
    assert not classified - set(ROUTES), (
        f"rows for routes that no longer exist: {classified - set(ROUTES)}"
    )


def test_the_matrix_lists_every_method_each_route_answers(world: World) -> None:
    missing: dict[str, set[str]] = {}
    anonymous = page_client(None)
    for route, rows in _rows_by_route().items():
        listed = {method for row in rows for method in row.methods}
        answered = declared_methods(ROUTES[route])
        if answered is None:
            # A function view: every method it does not refuse with 405 is answered.
            url = rows[0].url(world)
            answered = {
                method
                for method in HTTP_METHODS
                if anonymous.generic(method, url).status_code != 405
            }
        if answered != listed:
            missing[route] = answered ^ listed
    assert not missing, f"methods answered but not in the matrix, or listed but refused: {missing}"


def _rows_by_route() -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {}
    for row in MATRIX:
        rows.setdefault(row.route, []).append(row)
    return rows


# --- each row, for each role ------------------------------------------------------------------


def _deactivated_expectation(row: Row) -> Outcome:
    """A user deactivated after logging in is nobody: their session is anonymous, and an API
    view that reads credentials refuses their token with 401. So is a caller whose access
    token expired (the admin's: it would open everything)."""
    view_class = ROUTES[row.route].view_class
    if row.is_api and getattr(view_class, "authentication_classes", ()):
        return 401
    return row.access.anonymous


@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_access(world: World, case: tuple[Row, str]) -> None:
    row, method = case
    nobody = _deactivated_expectation(row)
    expected = {**row.access._asdict(), DEACTIVATED: nobody, EXPIRED: nobody}
    got: dict[str, Outcome] = {}
    headers_missing: dict[str, list[str]] = {}
    for role in (*ROLES, DEACTIVATED, EXPIRED):
        response = send(world, row, method, role)
        got[role] = outcome(response)
        wrong = [name for name, value in SECURITY_HEADERS.items() if response.get(name) != value]
        if wrong:
            headers_missing[role] = wrong

    differences = {
        role: f"expected {expected[role]}, got {got[role]}"
        for role in expected
        if got[role] != expected[role]
    }
    assert not differences, differences
    assert not headers_missing, f"security headers missing or wrong: {headers_missing}"


# --- the Django admin: verified firm admins only ----------------------------------------------


def test_every_admin_route_has_a_sample_path_that_reaches_it() -> None:
    wrong = {
        route: sample_path(route)
        for route in ADMIN_ROUTES
        if resolve(sample_path(route)).route != route
    }

    assert not wrong, wrong


@pytest.mark.parametrize("role", ["anonymous", "client", "lawyer", "admin_no_otp", DEACTIVATED])
def test_every_admin_route_refuses_all_but_verified_firm_admins(world: World, role: str) -> None:
    """The admin site sends whoever it does not serve to its login (its logout to its index),
    which passes them on: anonymous visitors to the accounts login, staff without a second
    factor to the security page, anyone else a 403. (A verified admin's way in is in
    tests/accounts/test_admin.py.)"""
    page = world.pages[role]
    wrong = {}
    for route in ADMIN_ROUTES:
        got = outcome(page.get(sample_path(route)))
        expected: Outcome = ADMIN_LOGIN
        if route == "admin/login/":
            expected = {"lawyer": 403, "client": 403, "admin_no_otp": SECURITY}.get(role, LOGIN)
        elif route == "admin/logout/":
            expected = 302  # to the admin index, which sends them to the login
        if got != expected:
            wrong[route] = f"expected {expected}, got {got}"

    assert not wrong, wrong
