"""Counsel's MCP server (`/mcp`), served by uvicorn on a loopback port as production serves
it (config.asgi, its lifespan run), and spoken to with the MCP SDK's own client over
Streamable HTTP. The test's rows are committed (transactional_db): the server reads them on
its own connections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pytest_django.fixtures import Settings

from accounts.models import User
from accounts.services import tokens_for
from config.asgi import application
from tests.asgi import asgi_served
from tests.factories import ClientFactory, LawyerFactory

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with asgi_served(application) as url:
        yield f"{url}/mcp"


def token_of(user: User, *, otp_verified: bool | None = None) -> str:
    verified = user.is_staff_member if otp_verified is None else otp_verified
    return tokens_for(user=user, otp_verified=verified)["access"]


@asynccontextmanager
async def mcp_client(
    url: str, token: str, statuses: list[int] | None = None
) -> AsyncIterator[Client]:
    """The SDK's client connected to `url` with `token`; the HTTP status of each of its
    requests goes to `statuses`."""

    async def seen(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    async with (
        httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, event_hooks={"response": [seen]}
        ) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
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


def test_a_client_lists_the_tools_with_its_token(mcp_url: str) -> None:
    user = ClientFactory()

    tools = asyncio.run(_tools(mcp_url, token_of(user)))

    assert isinstance(tools, list)


def test_a_request_without_a_token_is_refused_with_the_apis_401(mcp_url: str) -> None:
    response = post(mcp_url)

    assert response.status_code == 401
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


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (lambda: LawyerFactory(), "Two-factor verification is required."),
        (lambda: ClientFactory(is_active=False), "User is inactive"),
    ],
    ids=["staff-without-second-factor", "inactive"],
)
def test_a_token_the_api_refuses_is_refused(mcp_url: str, make: Any, detail: str) -> None:
    user = make()
    response = post(mcp_url, {"Authorization": f"Bearer {token_of(user, otp_verified=False)}"})

    assert response.status_code == 401
    assert json.loads(response.content)["detail"] == detail


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
