"""Everything under /api/ answers a problem (application/problem+json), also where Django
answers on its own (an unknown route, a body too large, too many fields, a host not allowed,
a 500), and a body
nested deep enough to exhaust the parser's recursion is a 400, not an anonymous 500. The
pages keep their HTML error pages."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from accounts.models import User
from config.parsers import MAX_JSON_DEPTH, JSONParser
from tests.problems import field_errors_of, problem_of
from tests.security.linear_time import MOST_GROWTH, growth

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")


@pytest.fixture
def api(client_user: User, api_client_for: Callable[[User], APIClient]) -> APIClient:
    api = api_client_for(client_user)
    api.raise_request_exception = False
    return api


def post_raw(api: APIClient, path: str, body: bytes, content_type: str = "application/json") -> Any:
    return api.generic("POST", path, body, content_type=content_type)


def detail(response: Any) -> str:
    """The detail of a problem without field errors."""
    body = problem_of(response, response.status_code)
    assert set(body) == {"type", "title", "status", "detail"}
    return body["detail"]


def test_a_deeply_nested_body_is_a_400_that_says_so(api: APIClient) -> None:
    response = post_raw(api, CHAT, b"[" * 2000)

    assert response.status_code == 400
    assert "nested" in detail(response)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 2000 + b"]" * 2000,  # complete, valid JSON
        b'{"userId": 1, "message": "Hi", "context": ' + b'{"a": ' * 1500 + b"1" + b"}" * 1501,
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
    ],
    ids=["valid-2000", "inside-a-field", "one-past-the-limit"],
)
def test_any_body_nested_past_the_limit_is_refused(api: APIClient, body: bytes) -> None:
    response = post_raw(api, CHAT, body)

    assert response.status_code == 400
    assert "nested" in detail(response)


def test_nesting_within_the_limit_reaches_the_serializer(api: APIClient) -> None:
    nested = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH

    response = post_raw(api, CHAT, nested)

    # The serializer's own complaint: the body is not an object.
    assert "non_field_errors" in field_errors_of(response)


def _parse(text: str) -> None:
    with contextlib.suppress(ParseError):
        JSONParser().parse(io.BytesIO(text.encode()))


def _closed(opening: str, closing: str) -> Callable[[int], str]:
    """Balanced nesting as deep as `size` allows."""
    return lambda size: opening * (size // 2) + closing * (size // 2)


def _repeated(head: str, unit: str, tail: str) -> Callable[[int], str]:
    """Valid JSON of about `size` characters: `unit` repeated whole between head and tail."""
    return lambda size: head + unit * (size // len(unit)) + tail


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda size: "[" * size, id="unclosed"),
        pytest.param(_closed("[", "]"), id="balanced-lists"),
        pytest.param(_closed('{"a":', "}"), id="balanced-objects"),
        pytest.param(_repeated("[", "[],", "1]"), id="many-empty-lists"),
        pytest.param(_repeated("[", "[" * 40 + "]" * 40 + ",", "1]"), id="many-too-deep"),
        pytest.param(_repeated("[", '"\\"[",', "1]"), id="escaped-strings"),
        pytest.param(_repeated('["', "[\\\\", '"]'), id="brackets-in-a-string"),
    ],
)
def test_the_depth_check_takes_linear_time(make: Callable[[int], str]) -> None:
    assert growth(_parse, make) < MOST_GROWTH


def test_a_body_over_the_upload_limit_is_a_413_in_json(api: APIClient, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post_raw(api, CHAT, b'{"message": "' + b"a" * 2000 + b'"}')

    assert response.status_code == 413
    assert detail(response) == "The request body is too large."


def test_too_many_query_parameters_is_a_400_in_json(api: APIClient, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"field{i}=1" for i in range(20))

    response = api.get(f"/api/cases?{query}")

    assert response.status_code == 400
    assert detail(response) == "The request has too many fields or query parameters."


def test_a_form_encoded_body_is_a_415_in_json() -> None:
    client = Client(raise_request_exception=False)

    response = client.generic(
        "POST",
        reverse("auth-api:login"),
        b"username=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in detail(response)


def test_a_host_not_allowed_is_a_400_in_json(api: APIClient) -> None:
    response = api.get("/api/cases", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert detail(response) == "Bad request."


def test_an_unknown_route_is_a_404_in_json_even_with_debug_on(
    api: APIClient, settings: Settings
) -> None:
    settings.DEBUG = True

    response = api.get("/api/no-such-route/")

    assert response.status_code == 404
    assert detail(response) == "Not found."


def test_a_wrong_method_is_a_405_in_json_with_its_allow_header(api: APIClient) -> None:
    response = api.delete(CHAT)

    assert response.status_code == 405
    assert "POST" in response["Allow"]
    detail(response)


def test_an_unexpected_error_is_a_500_in_json(api: APIClient) -> None:
    with mock.patch("cases.apis.case_list", side_effect=RuntimeError("a bug")):
        response = api.get("/api/cases")

    assert response.status_code == 500
    assert detail(response) == "A server error occurred."
    assert "a bug" not in response.content.decode()


def test_the_pages_keep_their_html_error_pages(
    lawyer: User, page_client_for: Callable[[User], Client], settings: Settings
) -> None:
    page = page_client_for(lawyer)
    page.raise_request_exception = False

    missing = page.get("/cases/no-such-page/")
    foreign_host = page.get("/cases/", HTTP_HOST="attacker.example")

    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("text/html")
    assert foreign_host.status_code == 400
    assert foreign_host["Content-Type"].startswith("text/html")
