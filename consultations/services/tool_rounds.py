"""Rounds of tool calls: the model is offered the tools (consultations.tools); when it answers
with tool calls, each runs through `tool_call` with the caller's permissions, its result
(scrubbed by the call's own scrubber, so a party keeps its placeholder) goes back as a `tool`
message, and the model is asked again. After LLM_TOOL_ROUNDS rounds of calls it is asked to
answer without them (`tool_choice` "none"). A tool's error is a tool message like any result.

Each round is cached on its own, under the key of everything sent in it (`AICall.key`): the
first round's under the question's, so a repeated question skips the model's choice of tools;
a later round's under the tools' results too. The tools run again on every call (from the
tool cache while nothing they read changed), so an answer is reused only while the facts it
was given are the same: a changed deadline is a new result, a new key, a new answer. The
answer's tokens are every round's.

`answer_with_tools` is the plain answer's loop; the stream (consultations.services.streaming)
runs its own loop over the same `ToolRounds` steps.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from config.dbpool import db, db_connection_release
from consultations.llm.cache import answer_of, cached_call
from consultations.llm.client import Completion, Message
from consultations.llm.errors import LLMBadOutput
from consultations.llm.pii import restore
from consultations.tools import tool_call
from consultations.tools.calls import MAX_ARGUMENTS_CHARS

if TYPE_CHECKING:
    from consultations.services.pipeline import AICall

# Between the texts of two rounds of one answer.
ROUND_SEPARATOR = "\n\n"


@dataclass
class ToolRounds:
    """One question's rounds: what has been sent so far and what each round answered."""

    call: AICall
    messages: list[Message] = field(init=False)
    rounds: int = 0  # rounds that ended in tool calls
    answers: list[tuple[dict[str, Any], bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.messages = list(self.call.ask.messages)

    @property
    def tool_choice(self) -> str | None:
        # The last round keeps the tools in view (the messages refer to them) but asks for text.
        return "none" if self.rounds >= settings.LLM_TOOL_ROUNDS else None

    def key(self) -> str:
        return self.call.key(messages=self.messages, tool_choice=self.tool_choice)

    def ttl(self) -> int:
        return settings.LLM_CACHE_TTL[self.call.kind]

    async def ask_model(self) -> dict[str, Any]:
        """This round's answer from the provider (the budget held before the first)."""
        await self.call.reserve()
        await db_connection_release()
        completion = await self.call.provider.complete(
            messages=self.messages,
            idempotency_key=uuid.uuid4().hex,
            offline_answer=self.call.ask.offline_answer,
            tools=self.call.ask.tools,
            tool_choice=self.tool_choice,
        )
        return self.answer_of(completion)

    def answer_of(self, completion: Completion) -> dict[str, Any]:
        """The round's answer as the cache keeps it. Asked for text and still calling tools,
        a model's text is the answer; without any, the answer is bad output (never cached,
        and no endless loop)."""
        answer = answer_of(completion)
        called = self.tool_choice == "none" and answer.pop("tool_calls", None)
        if called and not completion.text.strip():
            raise LLMBadOutput(attempts=completion.attempts, upstream_status=200)
        return answer

    async def take(self, answer: dict[str, Any], hit: bool) -> bool:
        """Count one round's answer and run the tools it asks for; whether it is the final
        answer (it asked for none)."""
        self.answers.append((answer, hit))
        requests = answer.get("tool_calls") or []
        if not requests:
            return True
        self.rounds += 1
        results = await db(self._run, requests)
        self.messages = [*self.messages, _assistant_calls(answer, requests), *results]
        self.call.sent = self.messages
        return False

    def _run(self, requests: list[Mapping[str, str]]) -> list[Message]:
        call = self.call
        results: list[Message] = []
        for request in requests:
            outcome = tool_call(
                call.user,
                request["name"],
                _restored(request["arguments"], call.scrubber.mapping),
                scrub=call.scrubber.scrub,
                case=call.case,
                request_id=call.request_id,
            )
            if outcome.call_id is not None:
                call.tool_call_ids.append(outcome.call_id)
            results.append(
                {"role": "tool", "tool_call_id": request["id"], "content": outcome.content}
            )
        return results

    def final(self) -> tuple[dict[str, Any], bool]:
        """`(answer, hit)`: the last round's answer with every round's tokens and attempts;
        a hit when every round was."""
        last, _ = self.answers[-1]
        answer = {key: value for key, value in last.items() if key != "tool_calls"}
        # What a model wrote beside its tool calls (rarely anything) is part of the answer,
        # as the stream showed it.
        answer["text"] = ROUND_SEPARATOR.join(
            text for round_answer, _ in self.answers if (text := round_answer["text"]).strip()
        )
        for name in ("prompt_tokens", "completion_tokens", "attempts"):
            answer[name] = sum(round_answer[name] for round_answer, _ in self.answers)
        return answer, all(hit for _, hit in self.answers)


def _restored(arguments: str, mapping: dict[str, str]) -> dict[str, Any] | str:
    """The model's arguments with the placeholders it was given restored in their strings: the
    tool reads the firm's data. Text that is not a JSON object goes as it is, for the tool to
    refuse."""
    try:
        parsed = json.loads(arguments or "{}") if len(arguments) <= MAX_ARGUMENTS_CHARS else None
    except ValueError:
        return arguments
    if not isinstance(parsed, dict):
        return arguments
    return {
        name: restore(value, mapping) if isinstance(value, str) else value
        for name, value in parsed.items()
    }


def _assistant_calls(answer: Mapping[str, Any], requests: list[Mapping[str, str]]) -> Message:
    return {
        "role": "assistant",
        "content": answer["text"] or "",
        "tool_calls": [
            {
                "id": request["id"],
                "type": "function",
                "function": {"name": request["name"], "arguments": request["arguments"]},
            }
            for request in requests
        ],
    }


async def answer_with_tools(call: AICall) -> tuple[dict[str, Any], bool]:
    """`(answer, hit)` of a call whose Ask offers tools: rounds until the model answers."""
    rounds = ToolRounds(call)
    while True:
        answer, hit = await cached_call(
            key=rounds.key(), ttl=rounds.ttl(), compute=rounds.ask_model
        )
        if await rounds.take(answer, hit):
            return rounds.final()
