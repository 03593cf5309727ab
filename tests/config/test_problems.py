"""Every error under /api/ is a problem (RFC 9457, application/problem+json), whatever answers
it: a serializer, a domain error, REST framework, Django, the request limits. And what the
server takes agrees with what the schema says: query parameters, JSON types, NUL and blanks."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from pytest_django.fixtures import Settings
from rest_framework import serializers
from rest_framework.test import APIClient
from uvicorn.config import Config
from uvicorn.server import ServerState

from accounts.models import User
from config.errors import DomainError
from config.openapi import NO_NUL_PATTERN, NOT_BLANK_PATTERN, PYTHON_WHITESPACE
from config.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES
from config.serving import (
    HEAD_TOO_LARGE,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_TARGET_BYTES,
    HttpToolsProtocol,
)
from tests.asgi import asgi_get
from tests.fake_llm import FakeLLM, Status
from tests.problems import field_errors_of, problem_of

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
ANALYZE = reverse("ai-api:analyze")
CASES = reverse("cases-api:list")
CONSULTATIONS = reverse("ai-api:consultations")
STATS = reverse("admin-api:cache-stats")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def api(client_user: User, api_client_for: Callable[[User], APIClient]) -> APIClient:
    api = api_client_for(client_user)
    api.raise_request_exception = False
    return api


# --- Where problems come from --------------------------------------------------------------


def test_a_refused_field_is_a_validation_problem_with_errors_nested_like_the_request(
    api: APIClient, client_user: User
) -> None:
    body = {"userId": client_user.pk, "context": {"caseId": 0}, "mesage": "Hi"}

    response = api.post(CHAT, body, format="json")

    errors = field_errors_of(response)
    assert response.json()["title"] == "Invalid request"
    assert errors["message"] == ["This field is required."]
    assert errors["mesage"] == ["Unknown field."]
    assert list(errors["context"]) == ["caseId"]


def test_a_body_that_is_not_an_object_is_refused_as_a_whole(api: APIClient) -> None:
    response = api.post(CHAT, [1, 2], format="json")

    assert list(field_errors_of(response)) == ["non_field_errors"]


def test_a_domain_error_keeps_its_status_words_type_and_headers(
    fake_llm: FakeLLM, api: APIClient, client_user: User
) -> None:
    fake_llm.default = Status(503)

    response = api.post(CHAT, {"userId": client_user.pk, "message": "Hi?"}, format="json")

    problem = problem_of(response, 503, type="/api/problems/ai-unavailable")
    # The contract's body is still there, as a member of the problem.
    assert problem["detail"] == "The AI is busy right now, please try again."
    assert problem["title"] == "AI unavailable"
    assert int(response["Retry-After"]) > 0


def test_a_forbidden_user_id_is_a_plain_403_problem(
    api: APIClient, client_user: User, lawyer: User
) -> None:
    response = api.post(CHAT, {"userId": lawyer.pk, "message": "Hi?"}, format="json")

    problem = problem_of(response, 403)
    assert problem["title"] == "Forbidden"
    assert problem["detail"] == "userId must be the id of the authenticated user."


def test_the_rate_limit_is_a_429_problem_with_retry_after(
    settings: Settings, api: APIClient, client_user: User
) -> None:
    limits = {"user": "1/60", "address": "100/60"}
    settings.AI_RATE_LIMITS = {**settings.AI_RATE_LIMITS, "analyze": limits}
    body = {"text": "The tenant pays rent monthly.", "policy": "lease"}

    api.post(ANALYZE, body, format="json")
    response = api.post(ANALYZE, body, format="json")

    problem_of(response, 429, type="/api/problems/rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_body_that_is_not_json_is_a_415_problem(api: APIClient) -> None:
    response = api.generic("POST", CHAT, "message=Hi", content_type="text/plain")

    problem = problem_of(response, 415)
    assert problem["detail"] == 'Unsupported media type "text/plain" in request.'


def test_malformed_json_is_a_400_problem_without_field_errors(api: APIClient) -> None:
    response = api.generic("POST", CHAT, b'{"message": ', content_type="application/json")

    assert "errors" not in problem_of(response, 400)


def test_a_401_carries_only_the_problem_members(client: Client) -> None:
    response = client.get(CASES, HTTP_AUTHORIZATION="Bearer not-a-token")

    problem = problem_of(response, 401)
    assert set(problem) == {"type", "title", "status", "detail"}  # no simplejwt `messages`
    assert response.has_header("WWW-Authenticate")


def test_no_credentials_is_a_401_problem(client: Client) -> None:
    problem = problem_of(client.get(CASES), 401)

    assert problem["detail"] == "Authentication credentials were not provided."


def test_an_unknown_route_a_wrong_method_and_a_page_past_the_end_are_problems(
    api: APIClient,
) -> None:
    assert problem_of(api.get("/api/nowhere"), 404)["title"] == "Not Found"
    wrong_method = api.put(CHAT, {}, format="json")
    assert problem_of(wrong_method, 405)["title"] == "Method Not Allowed"
    assert "POST" in wrong_method["Allow"]
    assert problem_of(api.get(CONSULTATIONS, {"page": 9}), 404)["detail"] == "Invalid page."


def test_a_body_over_the_upload_limit_is_a_413_problem_with_debug_on_too(
    api: APIClient, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"message": "' + b"a" * 2000 + b'"}'

    off = api.generic("POST", CHAT, body, content_type="application/json")
    settings.DEBUG = True
    on = api.generic("POST", CHAT, body, content_type="application/json")

    assert problem_of(off, 413)["detail"] == "The request body is too large."
    assert problem_of(on, 413)["detail"] == "The request body is too large."


def test_too_many_query_parameters_is_a_400_problem(api: APIClient, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = api.get(CASES + "?" + "&".join(f"f{i}=1" for i in range(20)))

    problem = problem_of(response, 400)
    assert problem["detail"] == "The request has too many fields or query parameters."


@pytest.mark.parametrize("debug", [False, True])
def test_a_host_not_allowed_is_a_400_problem(
    api: APIClient, settings: Settings, debug: bool
) -> None:
    settings.DEBUG = debug

    response = api.get(CASES, HTTP_HOST="attacker.example")

    assert problem_of(response, 400)["detail"] == "Bad request."


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_a_500_problem_that_shows_nothing_of_it(
    api: APIClient, settings: Settings, debug: bool
) -> None:
    settings.DEBUG = debug

    with mock.patch("cases.apis.case_list", side_effect=RuntimeError("a secret bug")):
        response = api.get(CASES)

    assert problem_of(response, 500)["detail"] == "A server error occurred."
    assert b"a secret bug" not in response.content


def test_a_csrf_failure_of_a_session_is_a_403_problem(lawyer: User, page_client_for: Any) -> None:
    page = page_client_for(lawyer)
    page.handler.enforce_csrf_checks = True

    response = page.post(CASES, {"title": "x"}, content_type="application/json")

    assert problem_of(response, 403)["detail"].startswith("CSRF Failed")


def test_the_login_lockout_is_a_429_problem(client: Client, settings: Settings) -> None:
    body = {"username": "nobody", "password": "wrong"}
    responses = [
        client.post(reverse("auth-api:login"), body, content_type="application/json")
        for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]

    locked = responses[-1]
    problem_of(locked, 429, type="/api/problems/login-locked")
    assert int(locked["Retry-After"]) > 0


def test_the_pages_keep_their_html_errors(lawyer: User, page_client_for: Any) -> None:
    page = page_client_for(lawyer)

    response = page.get("/cases/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- Problem types -------------------------------------------------------------------------


def _domain_errors(base: type = DomainError) -> list[type]:
    return [cls for sub in base.__subclasses__() for cls in (sub, *_domain_errors(sub))]


def test_every_domain_errors_problem_type_is_one_the_api_describes(client: Client) -> None:
    named = {cls.problem for cls in _domain_errors() if cls.problem is not None}

    assert named <= set(PROBLEM_TYPES)
    for slug, kind in PROBLEM_TYPES.items():
        response = client.get(kind.uri)
        assert response.status_code == 200, slug
        assert response.json()["status"] == kind.status
    problem_of(client.get("/api/problems/no-such-type"), 404)


# --- Query parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=", "page"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1&page=2", "page"),
        ("search=a&search=b", "search"),
        ("status=open&status=closed", "status"),
    ],
)
def test_a_query_parameter_the_schema_refuses_is_a_400(
    lawyer: User, api_client_for: Callable[[User], APIClient], query: str, field: str
) -> None:
    response = api_client_for(lawyer).get(f"{CASES}?{query}")

    assert list(field_errors_of(response)) == [field]


@pytest.mark.parametrize("query", ["days=", "days=abc&days=5", "days=5&days=5", "days=5.0"])
def test_days_is_one_whole_number(
    admin_user: User, api_client_for: Callable[[User], APIClient], query: str
) -> None:
    response = api_client_for(admin_user).get(f"{STATS}?{query}")

    assert list(field_errors_of(response)) == ["days"]


def test_the_query_parameters_the_schema_allows_are_taken(
    admin_user: User, lawyer: User, api_client_for: Callable[[User], APIClient]
) -> None:
    cases = api_client_for(lawyer).get(f"{CASES}?page=1&status=&practiceArea=&search=")
    stats = api_client_for(admin_user).get(f"{STATS}?days=5")

    assert (cases.status_code, stats.status_code) == (200, 200)


# --- JSON types, NUL and blanks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("message", 5), ("message", 1.5), ("message", True), ("locale", 5)],
)
def test_a_number_for_a_text_is_refused(
    api: APIClient, client_user: User, field: str, value: Any
) -> None:
    body = {"userId": client_user.pk, "message": "Hi?", field: value}

    response = api.post(CHAT, body, format="json")

    assert list(field_errors_of(response)) == [field]


def test_an_integer_must_be_a_json_number_and_a_boolean_a_json_boolean(
    lawyer: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(lawyer)

    body = {"userId": lawyer.pk, "message": "Hi", "context": {"caseId": "1"}}
    as_text = api.post(CHAT, body, format="json")
    yes = api.post(reverse("drafting-api:generate-document"), {"async": "yes"}, format="json")

    assert "context" in field_errors_of(as_text)
    assert field_errors_of(yes)["async"] == ["Must be a valid boolean."]


@pytest.mark.parametrize("message", ["", "   ", "\t\n", "\x1c", "Hi\x00", "\x00"])
def test_nul_and_blank_messages_are_refused(
    api: APIClient, client_user: User, message: str
) -> None:
    response = api.post(CHAT, {"userId": client_user.pk, "message": message}, format="json")

    assert list(field_errors_of(response)) == ["message"]


SAMPLES = ["a", " a ", "", " ", "\t\n\r", "\x1c\x1f", "\x85", "\u3000", "\ufeff", "a\x00", "\x00"]


@pytest.mark.parametrize(
    "field",
    [
        serializers.CharField(),
        serializers.CharField(trim_whitespace=False),
        serializers.CharField(allow_blank=True),
    ],
    ids=["trimmed", "untrimmed", "blank-allowed"],
)
def test_the_schemas_text_patterns_take_what_the_server_takes(
    field: serializers.CharField,
) -> None:
    if field.allow_blank:
        pattern = NO_NUL_PATTERN.replace("*", "+")  # "" is the schema's other choice
    else:
        pattern = NO_NUL_PATTERN if not field.trim_whitespace else NOT_BLANK_PATTERN
    for text in SAMPLES:
        try:
            field.run_validation(text)
        except serializers.ValidationError:
            taken = False
        else:
            taken = True
        if field.allow_blank:
            matched = text == "" or re.search(pattern, text) is not None
        else:  # minLength 1 besides the pattern
            matched = text != "" and re.search(pattern, text) is not None
        assert matched == taken, repr(text)


def test_the_whitespace_of_the_patterns_is_pythons() -> None:
    spaces = re.compile(f"[{PYTHON_WHITESPACE}]")

    assert {c for c in map(chr, range(0x110000)) if spaces.fullmatch(c)} == {
        c for c in map(chr, range(0x110000)) if c.isspace()
    }


# --- The schema --------------------------------------------------------------------------------


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_error_of_every_operation_is_a_documented_problem(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["Problem"]["required"] == ["type", "title", "status", "detail"]
    assert "errors" in components["ValidationProblem"]["properties"]
    for method, path, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if code >= "400":
                ref = response["content"][PROBLEM_CONTENT_TYPE]["schema"]["$ref"]
                name = "ValidationProblem" if code in {"400", "422"} else "Problem"
                assert set(response["content"]) == {PROBLEM_CONTENT_TYPE}, (method, path, code)
                assert ref == f"#/components/schemas/{name}", (method, path, code)
            if code in {"429", "503"}:
                assert "Retry-After" in response["headers"], (method, path, code)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)


def test_the_idempotent_operations_document_their_answer_headers(schema: dict[str, Any]) -> None:
    for path, codes in [
        ("/api/ai/chat", ["200"]),
        ("/api/ai/analyze", ["200"]),
        ("/api/ai/generate-document", ["200", "202"]),
    ]:
        for code in codes:
            headers = schema["paths"][path]["post"]["responses"][code]["headers"]
            assert {"Idempotent-Replayed", "X-Request-ID"} <= set(headers), (path, code)
    generate = schema["paths"]["/api/ai/generate-document"]["post"]["responses"]
    assert generate["200"]["headers"]["Location"]["required"] is True
    assert generate["202"]["headers"]["Location"]["required"] is True


# --- The request's head --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/nowhere?q=" + "a" * MAX_TARGET_BYTES, [], 414),
        ("/api/nowhere", [(b"x-big", b"b" * MAX_HEADER_BYTES)], 431),
        ("/api/nowhere", [(f"x-{i}".encode(), b"1") for i in range(MAX_HEADERS)], 431),
    ],
    ids=["long-url", "large-header", "many-headers"],
)
def test_a_head_over_the_apps_limits_is_a_problem(
    path: str, headers: list[tuple[bytes, bytes]], status: int
) -> None:
    answered, sent_headers, body = asyncio.run(asgi_get(path, headers))

    assert answered == status
    assert sent_headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(body)["status"] == status


def test_a_head_within_the_limits_reaches_django() -> None:
    path = "/api/nowhere?q=" + "a" * (MAX_TARGET_BYTES - 100)

    answered, _, body = asyncio.run(asgi_get(path, [(b"x-big", b"b" * 16_000)]))

    assert answered == 404
    assert json.loads(body)["detail"] == "Not found."


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def _server_answer(chunks: list[bytes]) -> tuple[bytes, dict[str, Any]]:
    """What the production server's protocol writes back for a connection sending `chunks`."""
    loop = asyncio.new_event_loop()
    try:
        config = Config(app=mock.AsyncMock(), http=HttpToolsProtocol, log_config=None)
        protocol = HttpToolsProtocol(config, ServerState(), {}, _loop=loop)
        transport = _Transport()
        protocol.connection_made(transport)
        for chunk in chunks:
            if transport.closed:
                break
            protocol.data_received(chunk)
    finally:
        loop.close()
    head, _, body = transport.written.partition(b"\r\n\r\n")
    assert transport.closed
    assert b"content-type: application/problem+json" in head
    return head.split(b"\r\n")[0], json.loads(body)


def test_the_server_stops_reading_a_head_over_its_limit() -> None:
    chunks = [b"GET /api/cases HTTP/1.1\r\nHost: x\r\nX-Big: "] + [b"b" * 8192] * 100

    status_line, problem = _server_answer(chunks)

    assert status_line == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert problem["detail"] == HEAD_TOO_LARGE


def test_the_servers_own_400_is_a_problem() -> None:
    status_line, problem = _server_answer([b"NOT HTTP AT ALL\r\n\r\n"])

    assert status_line == b"HTTP/1.1 400 Bad Request"
    assert problem == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The request is not valid HTTP.",
    }
