from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FRONTEND = "https://app.counsel.example"


@pytest.fixture(autouse=True)
def _frontend_allowed(settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]


def preflight(client: Client, path: str, origin: str, headers: str) -> object:
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.mark.parametrize("path", ["/api/ai/chat", "/api/ai/generate-document", "/api/cases"])
def test_preflight_from_the_frontend_allows_the_headers_the_api_needs(
    client: Client, path: str
) -> None:
    response = preflight(
        client, path, FRONTEND, "authorization, content-type, idempotency-key, prefer"
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "prefer"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_api_responses_expose_retry_after_to_the_frontend(client: Client) -> None:
    response = client.get("/api/cases", HTTP_ORIGIN=FRONTEND)

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "retry-after" in response["Access-Control-Expose-Headers"].lower()


def test_other_origins_get_no_cors_headers(client: Client) -> None:
    response = preflight(client, "/api/ai/chat", "https://evil.example", "authorization")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Headers" not in response


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/cases/"])
def test_pages_and_admin_are_never_opened_to_other_origins(client: Client, path: str) -> None:
    response = client.get(path, HTTP_ORIGIN=FRONTEND)

    assert "Access-Control-Allow-Origin" not in response
