"""Counsel's MCP server (`/mcp`), served by uvicorn on a loopback port as production serves
it (config.asgi, its lifespan run), and spoken to with the MCP SDK's own client over
Streamable HTTP. The test's rows are committed (transactional_db): the server reads them on
its own connections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from django.utils import timezone
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from prometheus_client import REGISTRY
from pytest_django.fixtures import Settings

from accounts.authentication import SIGNED_OUT
from accounts.models import User
from accounts.services import tokens_for
from cases.models import Deadline
from config.asgi import application
from config.dbpool import db_pool_end
from consultations.mcp.http import McpEndpoint
from consultations.mcp.server import server
from consultations.models import ToolCall
from consultations.tools import TOOLS
from tests.asgi import asgi_get, asgi_served
from tests.factories import (
    CaseFactory,
    ClientFactory,
    DeadlineFactory,
    DocumentFactory,
    LawyerFactory,
    PassageFactory,
)

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with asgi_served(application) as url:
        yield f"{url}/mcp"
    # The server read on the AI path's database threads (config.dbpool).
    db_pool_end()


def token_of(user: User, *, otp_verified: bool | None = None) -> str:
    verified = user.is_staff_member if otp_verified is None else otp_verified
    return tokens_for(user=user, otp_verified=verified)["access"]


@asynccontextmanager
async def mcp_client(
    url: str, token: str, statuses: list[int] | None = None, *, mode: str = "auto"
) -> AsyncIterator[Client]:
    """The SDK's client connected to `url` with `token`, in `mode` ("auto": the current
    protocol; "legacy": the handshake of clients before 2026-07-28); the HTTP status of each
    of its requests goes to `statuses`."""

    async def seen(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    async with (
        httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, event_hooks={"response": [seen]}
        ) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


async def _tools(url: str, token: str, statuses: list[int] | None = None) -> list[Any]:
    async with mcp_client(url, token, statuses) as client:
        return (await client.list_tools()).tools


def post(url: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    """One JSON-RPC message posted as an MCP client posts it."""
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    return httpx2.post(
        url,
        json=message,
        headers={"Accept": "application/json, text/event-stream", **(headers or {})},
    )


async def _call(
    url: str, token: str, name: str, arguments: dict[str, Any], mode: str
) -> CallToolResult:
    async with mcp_client(url, token, mode=mode) as client:
        return await client.call_tool(name, arguments)


def call(
    user: User, url: str, name: str, arguments: dict[str, Any], *, mode: str = "auto"
) -> CallToolResult:
    """`name` called by `user` with the SDK's client, as a new connection."""
    return asyncio.run(_call(url, token_of(user), name, arguments, mode))


def text_of(result: CallToolResult) -> str:
    [content] = result.content
    assert isinstance(content, TextContent)
    return content.text


def test_the_tools_are_listed_with_their_descriptions_and_schemas(mcp_url: str) -> None:
    user = ClientFactory()

    tools = asyncio.run(_tools(mcp_url, token_of(user)))

    assert {tool.name: (tool.description, tool.input_schema) for tool in tools} == {
        name: (tool["description"], tool["parameters"]) for name, tool in TOOLS.items()
    }
    assert all(tool.annotations.read_only_hint for tool in tools)


def test_each_tool_answers_a_lawyer_on_the_case_and_is_recorded_as_an_mcp_call(
    mcp_url: str,
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer], title="Lease dispute")
    DeadlineFactory(
        case=case, responsible=lawyer, kind=Deadline.Kind.FILING, notes="File the defence"
    )
    PassageFactory(
        document=DocumentFactory(case=case), text="The lease notice period is three months."
    )

    looked_up = call(lawyer, mcp_url, "case_lookup", {"case": case.reference})
    deadlines = call(lawyer, mcp_url, "deadlines_list", {"case": case.reference, "days": 14})
    found = call(lawyer, mcp_url, "documents_search", {"case": case.reference, "query": "notice"})

    assert [answer.is_error for answer in (looked_up, deadlines, found)] == [False] * 3
    assert json.loads(text_of(looked_up))["title"] == "Lease dispute"
    # Every kind by its code: its label ("Filing") would read as a name to the scrubber.
    assert [(d["kind"], d["notes"]) for d in json.loads(text_of(deadlines))["deadlines"]] == [
        (Deadline.Kind.FILING, "File the defence")
    ]
    assert [p["text"] for p in json.loads(text_of(found))["passages"]] == [
        "The lease notice period is three months."
    ]
    records = ToolCall.objects.order_by("id")
    assert [(r.tool, r.channel, r.user, r.case, r.error_code) for r in records] == [
        ("case_lookup", "mcp", lawyer, case, ""),
        ("deadlines_list", "mcp", lawyer, case, ""),
        ("documents_search", "mcp", lawyer, case, ""),
    ]
    assert all(r.consultation is None and r.request_id for r in records)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_the_parties_names_never_leave_raw(mcp_url: str, mode: str) -> None:
    client = ClientFactory(first_name="Jane", last_name="Doe")
    case = CaseFactory(client=client, opposing_parties="Helen Carter")

    result = call(client, mcp_url, "case_lookup", {"case": case.reference}, mode=mode)

    facts = json.loads(text_of(result))
    assert facts["reference"] == case.reference
    assert facts["client"].startswith("<PERSON_")
    assert facts["opposing_parties"][0].startswith("<PERSON_")
    assert "Jane" not in text_of(result)
    assert "Carter" not in text_of(result)


@pytest.mark.parametrize("role", ["client", "lawyer"])
def test_a_case_the_caller_may_not_see_is_not_found(mcp_url: str, role: str) -> None:
    caller = ClientFactory() if role == "client" else LawyerFactory()
    theirs = CaseFactory(title="Someone else's matter")
    DeadlineFactory(case=theirs)

    answers = [
        call(caller, mcp_url, name, {"case": theirs.reference, **extra})
        for name, extra in [
            ("case_lookup", {}),
            ("deadlines_list", {}),
            ("documents_search", {"query": "matter"}),
        ]
    ]
    nowhere = call(caller, mcp_url, "case_lookup", {"case": "CN-1999-9999"})

    for answer in answers:
        assert answer.is_error
        assert text_of(answer) == text_of(nowhere)
        assert json.loads(text_of(answer)) == {"error": "Case not found."}
    assert set(ToolCall.objects.values_list("error_code", "channel")) == {("not_found", "mcp")}


def test_the_callers_request_id_ties_the_response_to_the_record(mcp_url: str) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    message = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "case_lookup", "arguments": {"case": case.reference}},
    }

    response = httpx2.post(
        mcp_url,
        json=message,
        headers={
            "Authorization": f"Bearer {token_of(lawyer)}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25",  # a client of the handshake era, stateless
            "X-Request-ID": "trace-0001-abcd",
        },
    )

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-0001-abcd"
    assert response.json()["result"]["isError"] is False
    assert ToolCall.objects.get().request_id == "trace-0001-abcd"


def test_a_bad_call_is_a_tool_error_not_a_protocol_error(mcp_url: str) -> None:
    lawyer = LawyerFactory()

    unknown = call(lawyer, mcp_url, "case_delete", {})
    invalid = call(lawyer, mcp_url, "deadlines_list", {"days": 0})

    assert unknown.is_error
    assert invalid.is_error
    assert json.loads(text_of(invalid))["error"].startswith("days:")
    assert list(ToolCall.objects.order_by("id").values_list("error_code", flat=True)) == [
        "unknown_tool",
        "invalid_arguments",
    ]


def test_tool_calls_over_the_rate_limit_are_refused_and_recorded(
    mcp_url: str, settings: Settings
) -> None:
    settings.AI_RATE_LIMITS = {
        **settings.AI_RATE_LIMITS,
        "mcp": {"user": "2/60", "address": "100/60"},
    }
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])

    answers = [call(lawyer, mcp_url, "case_lookup", {"case": case.reference}) for _ in range(3)]

    assert [answer.is_error for answer in answers] == [False, False, True]
    assert json.loads(text_of(answers[2]))["error"].startswith("Too many requests")
    assert list(ToolCall.objects.order_by("id").values_list("error_code", flat=True)) == [
        "",
        "",
        "rate_limit",
    ]


def test_a_request_without_a_token_is_refused_with_the_apis_401(mcp_url: str) -> None:
    response = post(mcp_url)

    assert response.status_code == 401
    assert len(response.headers["x-request-id"]) == 32
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert json.loads(response.content)["detail"] == (
        "Authentication credentials were not provided."
    )


def test_the_sdk_client_cannot_connect_without_a_valid_token(mcp_url: str) -> None:
    statuses: list[int] = []

    with pytest.raises(Exception, match="unhandled errors"):
        asyncio.run(_tools(mcp_url, "not-a-token", statuses))

    assert statuses
    assert set(statuses) == {401}


def _signed_out_token() -> str:
    user = ClientFactory()
    token = token_of(user)
    user.signed_out_before = timezone.now() + timedelta(seconds=1)
    user.save(update_fields=["signed_out_before"])
    return token


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (
            lambda: token_of(LawyerFactory(), otp_verified=False),
            "Two-factor verification is required.",
        ),
        (lambda: token_of(ClientFactory(is_active=False)), "User is inactive"),
        (
            lambda: tokens_for(user=ClientFactory(), otp_verified=False)["refresh"],
            "Given token not valid for any token type",
        ),
        (_signed_out_token, SIGNED_OUT),
    ],
    ids=["staff-without-second-factor", "inactive", "refresh-token", "signed-out"],
)
def test_a_token_the_api_refuses_is_refused(
    mcp_url: str, token: Callable[[], str], detail: str
) -> None:
    response = post(mcp_url, {"Authorization": f"Bearer {token()}"})

    assert response.status_code == 401
    assert json.loads(response.content)["detail"] == detail


def test_a_get_for_a_stream_is_refused_not_held_open(mcp_url: str) -> None:
    user = ClientFactory()
    response = httpx2.get(
        mcp_url,
        headers={"Authorization": f"Bearer {token_of(user)}", "Accept": "text/event-stream"},
        timeout=5,
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_without_its_lifespan_the_server_answers_503_not_a_crash() -> None:
    endpoint = McpEndpoint(server)  # as a server that runs no lifespan leaves it

    status, headers, body = asyncio.run(asgi_get("/mcp", app=endpoint))

    assert status == 503
    assert headers["retry-after"] == "5"
    assert json.loads(body)["status"] == 503


def test_mcp_responses_are_counted_in_the_http_metrics(mcp_url: str) -> None:
    def refused() -> float:
        labels = {"endpoint": "/mcp", "method": "POST", "status": "401"}
        return REGISTRY.get_sample_value("counsel_http_requests_total", labels) or 0.0

    before = refused()
    post(mcp_url)

    assert refused() == before + 1


def test_a_host_django_does_not_serve_is_refused(mcp_url: str) -> None:
    user = ClientFactory()
    response = post(mcp_url, {"Authorization": f"Bearer {token_of(user)}", "Host": "evil.test"})

    assert response.status_code == 400


def test_a_body_over_the_limit_is_refused_unread(mcp_url: str, settings: Settings) -> None:
    user = ClientFactory()
    response = httpx2.post(
        mcp_url,
        content=b"{" + b" " * 70_000 + b"}",
        headers={
            "Authorization": f"Bearer {token_of(user)}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )

    assert response.status_code == 413
