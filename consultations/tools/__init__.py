"""The read-only tools a model may call in a chat, and an MCP client over MCP: `case_lookup`,
`deadlines_list` and `documents_search`, each with the caller's permissions only, their
results scrubbed, cached in their own layer (consultations.tools.cache) and recorded as
ToolCall rows.

    outcome = tool_call(user, "deadlines_list", {"case": "CN-2026-0001", "days": 14},
                        scrub=scrubber.scrub, channel="mcp")

`TOOLS` is the catalogue (name -> description and JSON Schema of the arguments).
"""

from consultations.tools.calls import ToolOutcome, tool_call, tool_scrubber
from consultations.tools.catalogue import TOOLS, tools_for_model

__all__ = ["TOOLS", "ToolOutcome", "tool_call", "tool_scrubber", "tools_for_model"]
