"""One call of a tool, by a model in a chat or by an MCP client: the one entry point.

`tool_call` validates the arguments, resolves the case with the caller's permissions (a case
the caller may not see is "not found", as if it did not exist), reads the tool cache or runs
the tool, scrubs the result, records a ToolCall row and returns a ToolOutcome. It never raises
for the call itself: a bad argument, an unknown tool, an unseen case or a failing tool is an
outcome with `is_error`, whose content tells the caller what went wrong. Synchronous (it reads
the database): async callers run it in a database thread (`config.dbpool.db`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import best_match

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to
from config.metrics import tool_call_observe
from consultations.llm.pii import Scrubber, mask_secrets
from consultations.models import Consultation, ToolCall
from consultations.tools.cache import tool_cache_get, tool_cache_key, tool_cache_set
from consultations.tools.catalogue import TOOLS_BY_NAME, Tool
from consultations.tools.lookups import ToolError

logger = logging.getLogger("counsel.ai")

# Arguments longer than this are refused before they are parsed.
MAX_ARGUMENTS_CHARS = 4_000


@dataclass(frozen=True)
class ToolOutcome:
    content: str  # the result (JSON text) or the error's message, scrubbed
    is_error: bool
    cached: bool
    elapsed_ms: int
    size: int  # characters of `content`
    call_id: int | None = None  # the ToolCall row


def tool_scrubber(*, user: User, case: Case | None) -> Scrubber:
    """A scrubber that knows the caller's and the case's parties' names: what a call outside a
    chat (an MCP client's) scrubs its results with."""
    known = [user.get_full_name(), *(case.party_names() if case else ())]
    return Scrubber(known_names=[name for name in known if name])


def tool_call(
    user: User,
    name: str,
    arguments: Mapping[str, Any] | str,
    *,
    scrub: Callable[[str], str] | None,
    consultation: Consultation | None = None,
    channel: str = ToolCall.Channel.CHAT,
    case: Case | None = None,
    request_id: str = "",
) -> ToolOutcome:
    """Run tool `name` for `user` with `arguments` (a JSON object, or its text as a model
    sends it). `case` is the case a call that names none is about (a chat's case; the caller
    has checked the user may see it). `scrub` is the scrubber of the exchange the result goes
    into (a chat's, so a party has the same placeholder as in the question); None: a new one
    knowing the caller and the case the call resolved (`tool_scrubber`)."""
    started = time.monotonic()
    parsed: dict[str, Any] = {}
    resolved: Case | None = None
    cached = False
    try:
        tool, parsed = _parsed(name, arguments)
        resolved = _case(user, parsed.get("case"), default=case)
        content, cached = _result(tool, user=user, case=resolved, arguments=parsed)
        error = None
    except ToolError as exc:
        content, error = json.dumps({"error": exc.message}), exc
    except Exception as exc:
        # Broad on purpose: a tool's failure is the caller's tool message, never a 500.
        logger.exception("tool failed", extra={"tool": name, "user_id": user.pk})
        content = json.dumps({"error": "The tool failed; try again or answer without it."})
        error = ToolError("failed", str(exc)[:300])
    scrubbed = (scrub or tool_scrubber(user=user, case=resolved).scrub)(content)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    record = ToolCall.objects.create(
        consultation=consultation,
        user=user,
        case=resolved,
        channel=channel,
        tool=name[:50],
        arguments=_recorded(parsed or arguments),
        result_size=len(scrubbed),
        elapsed_ms=elapsed_ms,
        cached=cached,
        error_code=error.code if error else "",
        error_message=mask_secrets(error.message)[:300] if error else "",
        request_id=request_id,
    )
    tool_call_observe(
        tool=name, channel=channel, cached=cached, error_code=error.code if error else ""
    )
    logger.info(
        "tool call",
        extra={
            "tool": name[:50],
            "channel": channel,
            "user_id": user.pk,
            "cached": cached,
            "outcome": error.code if error else "ok",
            "latency_ms": elapsed_ms,
        },
    )
    return ToolOutcome(
        content=scrubbed,
        is_error=error is not None,
        cached=cached,
        elapsed_ms=elapsed_ms,
        size=len(scrubbed),
        call_id=record.pk,
    )


def _parsed(name: str, arguments: Mapping[str, Any] | str) -> tuple[Tool, dict[str, Any]]:
    tool = TOOLS_BY_NAME.get(name)
    if tool is None:
        raise ToolError("unknown_tool", f"There is no tool {name[:50]!r}.")
    if isinstance(arguments, str):
        if len(arguments) > MAX_ARGUMENTS_CHARS:
            raise ToolError("invalid_arguments", "The arguments are too long.")
        try:
            arguments = json.loads(arguments or "{}")
        except ValueError:
            raise ToolError("invalid_arguments", "The arguments are not JSON.") from None
    if not isinstance(arguments, Mapping):
        raise ToolError("invalid_arguments", "The arguments must be a JSON object.")
    arguments = dict(arguments)
    error = best_match(tool.validator().iter_errors(arguments))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "arguments"
        raise ToolError("invalid_arguments", f"{where}: {error.message[:200]}")
    return tool, arguments


def _case(user: User, named: str | None, *, default: Case | None) -> Case | None:
    """The case a call is about, if the caller may see it: "not found" otherwise, whether it
    exists or not. Only the case's row: what a tool reads beyond it (case_lookup's lawyers)
    it reads when it runs, not on every call (most are other tools', or the cache's)."""
    visible = cases_visible_to(user)
    if named is None:
        if default is None:
            return None
        found = visible.filter(pk=default.pk).first()
    elif named.isdigit():
        found = visible.filter(pk=int(named)).first()
    else:
        found = visible.filter(reference__iexact=named.strip()).first()
    if found is None:
        raise ToolError("not_found", "Case not found.")
    return found


def _result(
    tool: Tool, *, user: User, case: Case | None, arguments: dict[str, Any]
) -> tuple[str, bool]:
    """`(result, cached)`: the result as JSON text, secrets masked, from the cache or the tool."""
    keyed = {**arguments, "case": case.pk if case else None}
    visibility = "staff" if user.is_staff_member else f"client:{user.pk}"
    if case is None and tool.caller_wide_without_case:
        visibility += f":user:{user.pk}"
    key = tool_cache_key(
        tool=tool.name,
        arguments=keyed,
        visibility=visibility,
        scopes=tool.scopes(user=user, case=case),
    )
    if key is not None and (hit := tool_cache_get(key)) is not None:
        return hit, True
    data = tool.read(user=user, case=case, arguments=arguments)
    # Secrets never reach the cache; identities are scrubbed per call (placeholders differ).
    content = mask_secrets(json.dumps(data, ensure_ascii=False))
    if key is not None:
        tool_cache_set(key, content)
    return content, False


def _recorded(arguments: Mapping[str, Any] | str) -> dict[str, Any]:
    """The arguments as the audit keeps them, secrets masked; raw text when they were not a
    valid object, cut short."""
    if isinstance(arguments, Mapping) and len(text := json.dumps(arguments)) <= 2_000:
        return json.loads(mask_secrets(text))
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments, default=str)
    return {"raw": mask_secrets(raw[:500])}
