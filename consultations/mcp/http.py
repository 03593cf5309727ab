"""`/mcp`: Counsel's MCP server over Streamable HTTP, for the firm's approved AI clients.

An ASGI application beside Django's (config.asgi routes the path here). Before the SDK sees a
request it is checked as the API checks one: its Host against ALLOWED_HOSTS, its size, and its
`Authorization: Bearer <access token>` by the API's own JWT authentication (a staff token
without a passed second factor, a token of a deactivated user or one issued before its user
was signed out everywhere are refused, 401 with the API's problem). The caller then rides on
the request to the tool handlers (consultations.mcp.server), which run with their rights only.

Stateless and JSON: each POST is one JSON-RPC exchange answered with one JSON body, so any web
process serves any request (no session to be sticky to) and nothing stays open between them.
The SDK's session manager still owns a task group for the life of the process; `running()`
holds it, entered by the ASGI lifespan (config.asgi).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated

from accounts.authentication import VerifiedJWTAuthentication
from accounts.models import User
from config.dbpool import db
from config.errors import DATABASE_DOWN, DATABASE_OUTAGES, DATABASE_RETRY_AFTER
from config.metrics import http_response_observe
from config.request_ids import request_id_for
from config.serving import problem_send

logger = logging.getLogger("counsel.mcp")

MCP_PATH = "/mcp"
# A tool call's JSON-RPC message is a tool's name and a few short arguments.
MAX_BODY_BYTES = 64 * 1024
BODY_TOO_LARGE = f"An MCP message is at most {MAX_BODY_BYTES} bytes."
NOT_RUNNING = "The MCP server is starting or stopping; try again in a moment."
BAD_HOST = "The Host header names a host this server does not serve."
ONLY_POST = "Send each MCP message in a POST; this server opens no stream and keeps no session."


@dataclass(frozen=True)
class Caller:
    """Who sent an MCP request, as the tool handlers see it: the authenticated user, the
    request as Django reads it (for the client's address) and the request's id."""

    user: User
    request: ASGIRequest
    request_id: str


def caller_of(scope: Any) -> Caller:
    """The caller `McpEndpoint` authenticated, from the HTTP request's ASGI scope."""
    return scope["state"]["caller"]


class McpEndpoint:
    """ASGI application of `/mcp` serving `server`; `running()` must be entered (the ASGI
    lifespan does) before it answers, else each request gets a 503."""

    def __init__(self, server: Server[Any]) -> None:
        self.server = server
        self.manager: StreamableHTTPSessionManager | None = None
        self.auth = VerifiedJWTAuthentication()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # A manager runs once: each lifespan (a process, a test's server) gets its own.
        manager = StreamableHTTPSessionManager(
            app=self.server,
            json_response=True,
            stateless=True,
            # The Host is checked here as Django checks it (ALLOWED_HOSTS), with its patterns.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=MAX_BODY_BYTES,
        )
        async with manager.run():
            self.manager = manager
            try:
                yield
            finally:
                self.manager = None

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        started = time.perf_counter()
        # The request as Django reads it, without its body (the SDK reads that).
        request = ASGIRequest(scope, io.BytesIO())
        request_id = request_id_for(request)
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # As the AI endpoints answer: the id of the request's log lines and records.
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self._answer(scope, request, request_id, receive, sending)
        finally:
            http_response_observe(
                endpoint=MCP_PATH,
                method=scope["method"],
                status=status,
                seconds=time.perf_counter() - started,
            )

    async def _answer(
        self, scope: Any, request: ASGIRequest, request_id: str, receive: Any, send: Any
    ) -> None:
        manager = self.manager
        if manager is None:
            await problem_send(send, 503, NOT_RUNNING, {"Retry-After": "5"})
            return
        try:
            request.get_host()
        except DisallowedHost:
            await problem_send(send, 400, BAD_HOST)
            return
        # Each message is a POST answered in its body. A GET would open a stream for the
        # server's own messages (the SDK holds it open forever when stateless, and this server
        # has none to send); a DELETE would end a session, and there is none. The spec's answer
        # to both is 405.
        if request.method != "POST":
            await problem_send(send, 405, ONLY_POST, {"Allow": "POST"})
            return
        length = request.META.get("CONTENT_LENGTH", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            await problem_send(send, 413, BODY_TOO_LARGE)
            return
        try:
            user = await db(self._authenticated, request)
        except AuthenticationFailed as refusal:
            challenge = self.auth.authenticate_header(request)  # type: ignore[arg-type]
            await problem_send(send, 401, _detail(refusal), {"WWW-Authenticate": challenge})
            return
        except DATABASE_OUTAGES:
            logger.exception("database unavailable")
            await problem_send(send, 503, DATABASE_DOWN, {"Retry-After": DATABASE_RETRY_AFTER})
            return
        state = scope.setdefault("state", {})
        state["caller"] = Caller(user=user, request=request, request_id=request_id)
        await manager.handle_request(scope, receive, send)

    def _authenticated(self, request: ASGIRequest) -> User:
        """The user of the request's access token, by the API's rules (simplejwt reads the
        user's row); AuthenticationFailed when there is none or it is refused."""
        authenticated = self.auth.authenticate(request)  # type: ignore[arg-type]
        if authenticated is None:
            raise AuthenticationFailed(NotAuthenticated.default_detail)
        return authenticated[0]


def _detail(refusal: AuthenticationFailed) -> str:
    # simplejwt's InvalidToken carries `code` and `messages` beside `detail`, as in the API
    # (config.api.exception_handler) only `detail` is told.
    detail = refusal.detail
    if isinstance(detail, dict):
        return str(detail.get("detail", ""))
    return str(detail)
