"""Every page form that changes something, and every admin route, refuses a POST without the
CSRF token; so does the API when the caller rides on a page session instead of a JWT."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from cases.models import Case
from consultations.models import Consultation, Conversation
from drafting.models import Draft, DraftBatch
from tests.security.conftest import World, page_client
from tests.security.matrix import MATRIX, Row, case_form, case_json
from tests.security.routes import admin_routes, sample_path

pytestmark = pytest.mark.django_db

PAGE_POSTS = [row for row in MATRIX if "POST" in row.methods and not row.is_api]
ADMIN_ROUTES = admin_routes()


def _counts() -> dict[str, int]:
    models = (Case, Draft, DraftBatch, Consultation, Conversation, TOTPDevice, StaticToken)
    return {model.__name__: model.objects.count() for model in models}


def _refused_for_csrf(response) -> bool:
    return response.status_code == 403 and b"CSRF verification failed" in response.content


@pytest.mark.parametrize("row", PAGE_POSTS, ids=lambda row: f"/{row.route}")
def test_page_post_without_the_token_is_refused(world: World, row: Row) -> None:
    # Who would otherwise be served: the lawyer on every staff form, anyone on the login.
    user = None if row.route == "accounts/login/" else world.lawyer
    page = page_client(user, enforce_csrf_checks=True)
    body = row.body(world, user) if row.body else {}
    before = _counts()

    response = page.post(row.url(world), body)

    assert _refused_for_csrf(response), (response.status_code, response.content[:200])
    assert _counts() == before


def test_the_same_form_with_the_token_goes_through(world: World) -> None:
    page = page_client(world.lawyer, enforce_csrf_checks=True)
    page.get(reverse("cases:create"))  # sets the csrftoken cookie, as a browser would keep it
    token = page.cookies["csrftoken"].value

    response = page.post(
        reverse("cases:create"), {**case_form(world, world.lawyer), "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/cases/")


def test_every_admin_route_refuses_a_post_without_the_token(world: World) -> None:
    page = page_client(world.admin, enforce_csrf_checks=True)

    served = [
        route for route in ADMIN_ROUTES if not _refused_for_csrf(page.post(sample_path(route), {}))
    ]

    assert not served, f"admin routes that took a POST without a CSRF token: {served}"


def test_api_on_a_page_session_needs_the_token_and_on_a_jwt_does_not(world: World) -> None:
    session = page_client(world.lawyer, enforce_csrf_checks=True)
    before = _counts()

    refused = session.post(
        "/api/cases", case_json(world, world.lawyer), content_type="application/json"
    )
    # A bearer token is no ambient credential: a browser never sends it on its own.
    bearer = APIClient(enforce_csrf_checks=True)
    bearer.credentials(HTTP_AUTHORIZATION=world.apis["lawyer"]._credentials["HTTP_AUTHORIZATION"])
    created = bearer.post("/api/cases", case_json(world, world.lawyer), format="json")

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert created.status_code == 201
    assert _counts() == {**before, "Case": before["Case"] + 1}
