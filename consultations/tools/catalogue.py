"""The tools a model (in a chat) or an MCP client may call: each one's name, what it does, the
JSON Schema of its arguments, what it reads and which cache versions its result depends on.

The schemas are small and closed (no patterns, bounded strings and numbers, no extra
properties), so validating arguments takes time linear in their size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from accounts.models import User
from cases.models import Case
from consultations.tools import cache as tool_cache
from consultations.tools import lookups

_CASE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 40,
    "description": "The case's reference, such as CN-2026-0001. In a chat about a case, "
    "leave it out to mean that case.",
}


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON Schema of the arguments object
    read: Callable[..., dict[str, Any]]  # (user=, case=, arguments=) -> plain data
    # Whether a call without a case reads the caller's own data across their cases.
    caller_wide_without_case: bool = False
    # Whether it reads the firm's knowledge base (for staff).
    reads_knowledge_base: bool = False

    def validator(self) -> Draft202012Validator:
        return _VALIDATORS[self.name]

    def scopes(self, *, user: User, case: Case | None) -> list[str]:
        """The cache versions a result of this tool for `user` about `case` depends on."""
        scopes = [tool_cache.CASE.format(case.pk)] if case is not None else []
        if self.reads_knowledge_base and user.is_staff_member:
            scopes.append(tool_cache.KNOWLEDGE_BASE)
        if case is None and self.caller_wide_without_case:
            scopes.append(tool_cache.DEADLINES)
        return scopes

    def as_openai(self) -> dict[str, Any]:
        """The tool as the chat completions API offers it to a model."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


_TOOLS = (
    Tool(
        name="case_lookup",
        description="The facts of a case: reference, title, status, practice area, client, "
        "opposing parties, lawyers and description.",
        parameters={
            "type": "object",
            "properties": {"case": _CASE},
            "additionalProperties": False,
        },
        read=lookups.case_lookup,
    ),
    Tool(
        name="deadlines_list",
        description="The open deadlines of a case due within the next `days` days (overdue "
        "ones included), soonest first; without a case, the caller's own deadlines across "
        "their cases.",
        parameters={
            "type": "object",
            "properties": {
                "case": _CASE,
                "days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 366,
                    "description": "How many days ahead to look, from today; default 14.",
                },
            },
            "additionalProperties": False,
        },
        read=lookups.deadlines_list,
        caller_wide_without_case=True,
    ),
    Tool(
        name="documents_search",
        description="Passages of the case's documents (and, for the firm's staff, of the "
        "firm's knowledge base) that best match a query, best first, with their document and "
        "page.",
        parameters={
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 500,
                    "description": "What to look for, in a few words.",
                },
                "case": _CASE,
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10,
                    "description": "How many passages; default 5.",
                },
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        read=lookups.documents_search,
        reads_knowledge_base=True,
    ),
)

TOOLS_BY_NAME: dict[str, Tool] = {tool.name: tool for tool in _TOOLS}
_VALIDATORS = {
    tool.name: Draft202012Validator(tool.parameters, format_checker=None) for tool in _TOOLS
}
# The public catalogue (what the MCP server lists): name -> description and parameters.
TOOLS: dict[str, dict[str, Any]] = {
    tool.name: {"description": tool.description, "parameters": dict(tool.parameters)}
    for tool in _TOOLS
}


def tools_for_model() -> list[dict[str, Any]]:
    """Every tool, as the chat completions API's `tools` parameter lists them."""
    return [tool.as_openai() for tool in _TOOLS]
