"""The MCP server's protocol side: the tools it lists and what a call does."""

from __future__ import annotations

from typing import Any

from mcp import types
from mcp.server import Server, ServerRequestContext


async def _tools_list(
    ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[])


async def _tool_call(
    ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=f"No tool named {params.name}.")],
        is_error=True,
    )


server: Server[Any] = Server(
    "counsel",
    instructions="Counsel's read-only tools over the firm's cases.",
    on_list_tools=_tools_list,
    on_call_tool=_tool_call,
)
