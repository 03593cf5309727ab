"""The MCP server's protocol side: it lists Counsel's tools (consultations.tools) and calls
them through their one entry point, `tool_call`, for the caller that consultations.mcp.http
authenticated: their permissions, the scrubbing of a call outside a chat (the caller's and
the case's names become placeholders), the tool cache, a ToolCall row with channel "mcp".

A call the tools refuse (unknown tool, bad arguments, a case the caller may not see, a tool
that failed) and a call over the rate limit are tool results with `isError`, which the AI
client's model reads, never a protocol or HTTP error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from axes.helpers import get_client_ip_address
from mcp import types
from mcp.server import Server, ServerRequestContext

from accounts.models import User
from config.dbpool import db
from consultations.mcp.http import caller_of
from consultations.models import ToolCall
from consultations.ratelimit import RateLimited, rate_limit_hit
from consultations.tools import TOOLS, tool_call

logger = logging.getLogger("counsel.ai")

RATE_SCOPE = "mcp"  # settings.AI_RATE_LIMITS

# Read-only, and reading Counsel's data only: a client may call them without asking first.
_READ_ONLY = types.ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_TOOLS = [
    types.Tool(
        name=name,
        description=tool["description"],
        input_schema=tool["parameters"],
        annotations=_READ_ONLY,
    )
    for name, tool in TOOLS.items()
]


async def _tools_list(
    ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    return types.ListToolsResult(tools=_TOOLS)


async def _tool_call(
    ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
) -> types.CallToolResult:
    caller = caller_of(ctx.request.scope)  # type: ignore[union-attr]
    request_id = caller.request_id
    try:
        await rate_limit_hit(
            scope=RATE_SCOPE,
            user_id=caller.user.pk,
            address=get_client_ip_address(caller.request) or "unknown",
        )
    except RateLimited as refusal:
        await db(_refusal_record, user=caller.user, tool=params.name, request_id=request_id)
        wait = refusal.headers["Retry-After"]
        # In the shape of the tools' own errors.
        error = f"{refusal.detail} Retry after {wait} seconds."
        return _result(json.dumps({"error": error}), is_error=True)
    outcome = await db(
        tool_call,
        caller.user,
        params.name,
        params.arguments or {},
        scrub=None,
        channel=ToolCall.Channel.MCP,
        request_id=request_id,
    )
    return _result(outcome.content, is_error=outcome.is_error)


def _result(text: str, *, is_error: bool) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], is_error=is_error
    )


def _refusal_record(*, user: User, tool: str, request_id: str) -> None:
    """A call refused by the rate limit, before anything was read: its row and log line,
    without its arguments (a caller hammering the limit must not fill the audit)."""
    ToolCall.objects.create(
        user=user,
        channel=ToolCall.Channel.MCP,
        tool=tool[:50],
        error_code=RateLimited.code,
        error_message=RateLimited.default_detail,
        request_id=request_id,
    )
    logger.info(
        "tool call",
        extra={"tool": tool[:50], "channel": "mcp", "user_id": user.pk, "outcome": "rate_limit"},
    )


server: Server[Any] = Server(
    "counsel",
    instructions="Counsel's read-only tools over the law firm's cases you may see: a case's "
    "facts, upcoming deadlines and passages of its documents. Names of people come back as "
    "placeholders such as <PERSON_1>.",
    get_tool_input_schema=lambda name: TOOLS.get(name, {}).get("parameters"),
    on_list_tools=_tools_list,
    on_call_tool=_tool_call,
)
