"""The one place Counsel talks to a language model.

``get_provider()`` returns the provider the settings choose: ``OpenAIProvider`` (the official
SDK's ``AsyncOpenAI``, so any OpenAI-compatible server works through ``LLM_BASE_URL``) or
``OfflineProvider`` (deterministic, no network, labelled). The pipeline awaits
``provider.complete(...)`` for a ``Completion`` or a typed ``LLMError``, or iterates
``provider.stream(...)`` for the answer in chunks; nothing else here is public. Waiting on the
model costs a coroutine, never a thread: a web process holds hundreds of calls at once.

Retries happen in exactly one layer, this one: the SDK's own retries are switched off, so
``LLM_MAX_RETRIES`` is the real number of retries and every attempt is logged. One overall
deadline (``LLM_DEADLINE_MS``) bounds all attempts and back-off sleeps together, because the
SDK's timeout only bounds each socket read of one attempt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import json
import logging
import math
import random
import re
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, TypeVar

import aiohttp
import httpx2
import openai
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from openai import AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from consultations.llm.errors import (
    DEFAULT_RETRY_AFTER,
    LLMBadOutput,
    LLMError,
    LLMMisconfigured,
    LLMRejected,
    LLMTimeout,
    LLMTruncated,
    LLMUnavailable,
)
from consultations.llm.loop_clients import LoopClients

logger = logging.getLogger("counsel.llm")

T = TypeVar("T")
# A chat message: role and content, and on the way of tool calls an assistant's `tool_calls`
# or a tool's `tool_call_id`.
Message = dict[str, Any]

OFFLINE_LABEL = "[Offline mode]"
OFFLINE_CHAT_ANSWER = (
    f"{OFFLINE_LABEL} Counsel's AI assistant is not connected to a language model, so it "
    "cannot answer this question. Please ask a lawyer at the firm, or try again once an "
    "administrator has connected the assistant."
)

# 408 request timeout, 409 lock conflict, 429 rate limit: worth another try, like any 5xx.
_RETRYABLE_STATUSES = frozenset({408, 409, 429})
# The back-off grows from LLM_BACKOFF_BASE_MS to at most this many times it (0.5 s -> 4 s).
_BACKOFF_CAP_FACTOR = 8
# An attempt given less time than this cannot succeed; retrying into it only wastes a call.
_MIN_ATTEMPT_S = 0.05


@dataclass(frozen=True)
class ToolRequest:
    """A tool the model asked to call: its call id, the tool's name and the arguments as the
    model wrote them (JSON text, not yet read)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    attempts: int
    provider: str
    # The tools the model asked for instead of (or besides) an answer.
    tool_calls: tuple[ToolRequest, ...] = ()

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Provider(Protocol):
    name: str
    model: str

    async def complete(
        self,
        *,
        messages: list[Message],
        idempotency_key: str,
        json_output: bool = False,
        json_schema: Mapping[str, Any] | None = None,
        offline_answer: str = "",
        max_tokens: int | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | None = None,
    ) -> Completion:
        """The model's answer to ``messages``, or an ``LLMError``.

        ``idempotency_key`` is sent on every attempt of this call (and only this call).
        ``json_output`` asks for a JSON object and guarantees ``text`` parses as one;
        ``json_schema`` (OpenAI's ``{"name", "schema", "strict"}``) describes that object to
        a provider that can hold the model to it.
        ``offline_answer`` is what the offline provider answers (a draft assembled from its
        template, a rule-based analysis); a real model ignores it.
        ``tools`` (the chat completions API's function tools) are offered to the model, whose
        answer may then be ``tool_calls`` with no text; ``tool_choice`` "none" keeps them in
        view but asks for text. A provider that refuses tools (HTTP 400) is asked again
        without them, and from then on never offered them.
        """
        ...

    def stream(
        self,
        *,
        messages: list[Message],
        idempotency_key: str,
        max_tokens: int | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | None = None,
    ) -> AsyncGenerator[str | Completion, None]:
        """The model's answer to ``messages`` in chunks of text, as they arrive, and last the
        whole ``Completion`` (text, tokens) when the answer is complete.

        Failures before the first chunk are retried like ``complete``'s; after it nothing is
        retried (the caller already showed part of the answer): a stream that breaks, or ends
        without a finish reason, raises ``LLMUnavailable`` or ``LLMTruncated`` after the
        chunks it had. Closing the generator (or cancelling its reader) closes the connection
        to the provider. ``tools`` as for ``complete``: the tool calls asked for come in the
        last ``Completion``, their deltas gathered.
        """
        ...


def get_provider() -> Provider:
    """The provider configured by the settings; built once per distinct configuration."""
    return _provider(
        settings.LLM_PROVIDER,
        settings.LLM_API_KEY,
        settings.LLM_BASE_URL,
        settings.LLM_MODEL,
        settings.LLM_TIMEOUT_MS,
        settings.LLM_DEADLINE_MS,
        settings.LLM_MAX_RETRIES,
        settings.LLM_BACKOFF_BASE_MS,
    )


@lru_cache(maxsize=8)
def _provider(
    name: str,
    api_key: str,
    base_url: str | None,
    model: str,
    timeout_ms: int,
    deadline_ms: int,
    max_retries: int,
    backoff_base_ms: int,
) -> Provider:
    # Keyed on the settings themselves, so a changed setting (a test's override, too) can
    # never meet a provider built for the old one.
    if name == "offline":
        return OfflineProvider()
    if name == "openai":
        if not api_key:
            raise ImproperlyConfigured(
                "LLM_PROVIDER=openai needs LLM_API_KEY (a local server accepts any value)."
            )
        return OpenAIProvider(
            api_key=api_key,
            base_url=base_url,
            model=model,
            timeout_ms=timeout_ms,
            deadline_ms=deadline_ms,
            max_retries=max_retries,
            backoff_base_ms=backoff_base_ms,
        )
    raise ImproperlyConfigured(f"LLM_PROVIDER must be 'openai' or 'offline', not {name!r}.")


def estimate_tokens(text: str) -> int:
    # About four characters a token in English: good enough for a cost estimate.
    return math.ceil(len(text) / 4)


def _token_counts(messages: list[dict[str, str]], text: str, usage: Any) -> tuple[int, int]:
    """`(prompt, completion)` tokens: the provider's usage, else an estimate (the offline
    provider, and compatible servers that send no usage: an estimate beats a zero cost)."""
    if usage is not None:
        return usage.prompt_tokens, usage.completion_tokens
    return sum(estimate_tokens(m.get("content", "")) for m in messages), estimate_tokens(text)


def _json_object_or_raise(text: str, *, attempts: int) -> None:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise LLMBadOutput(attempts=attempts, upstream_status=200) from exc
    if not isinstance(value, dict):
        raise LLMBadOutput(attempts=attempts, upstream_status=200)


class OfflineProvider:
    """Answers without a model: the caller's ``offline_answer``, or a note that it is offline.

    Text answers always start with ``OFFLINE_LABEL``. A JSON answer cannot carry a label in
    its text, so the service labels it from ``Completion.provider == "offline"``.
    """

    name = "offline"
    model = "offline"

    async def complete(
        self,
        *,
        messages: list[Message],
        idempotency_key: str,
        json_output: bool = False,
        json_schema: Mapping[str, Any] | None = None,
        offline_answer: str = "",
        max_tokens: int | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | None = None,
    ) -> Completion:
        offered = {tool["function"]["name"] for tool in tools} if tool_choice != "none" else set()
        if _DEADLINES_TOOL in offered and (request := _deadlines_request(messages)):
            return self._completion(messages, "", tool_calls=(request,))
        if answered := _deadlines_answer(messages):
            offline_answer = answered
        if json_output:
            # The same promise as a real model: JSON output is a JSON object or an error.
            _json_object_or_raise(offline_answer, attempts=1)
            text = offline_answer
        elif offline_answer.startswith(OFFLINE_LABEL):
            text = offline_answer
        elif offline_answer:
            text = f"{OFFLINE_LABEL}\n\n{offline_answer}"
        else:
            text = OFFLINE_CHAT_ANSWER
        return self._completion(messages, text)

    def _completion(
        self, messages: list[Message], text: str, tool_calls: tuple[ToolRequest, ...] = ()
    ) -> Completion:
        prompt_tokens, completion_tokens = _token_counts(messages, text, usage=None)
        return Completion(
            text=text,
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason="tool_calls" if tool_calls else "stop",
            attempts=1,
            provider=self.name,
            tool_calls=tool_calls,
        )

    async def stream(
        self,
        *,
        messages: list[Message],
        idempotency_key: str,
        max_tokens: int | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | None = None,
    ) -> AsyncGenerator[str | Completion, None]:
        completion = await self.complete(
            messages=messages, idempotency_key=idempotency_key, tools=tools, tool_choice=tool_choice
        )
        if completion.tool_calls:
            yield completion
            return
        # A few chunks, like a model's, so a streaming page behaves the same offline.
        words = completion.text.split(" ")
        size = max(1, math.ceil(len(words) / _OFFLINE_CHUNKS))
        for start in range(0, len(words), size):
            last = start + size >= len(words)
            yield " ".join(words[start : start + size]) + ("" if last else " ")
        yield completion


_OFFLINE_CHUNKS = 4

# The offline provider answers one kind of question through a tool, as a model would: "What
# deadlines…", "What is due…" (each pattern reads its text once: linear time).
_DEADLINES_TOOL = "deadlines_list"
_ASKING = re.compile(r"\s*+(?:what|which|when|list|show|any)\b", re.IGNORECASE)
_ABOUT_DEADLINES = re.compile(r"\b(?:deadlines?|due)\b", re.IGNORECASE)
_WINDOW = re.compile(
    r"\b(\d{1,3}|an?|one|two|three|four|five|six)\s++(day|week|month)s?\b", re.IGNORECASE
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30}


def _deadlines_request(messages: list[Message]) -> ToolRequest | None:
    """deadlines_list for the last question when it is an obvious one about deadlines and no
    tool has answered it yet; its window ("in the next two weeks") when it names one."""
    if messages and messages[-1]["role"] != "user":
        return None
    question = messages[-1]["content"] if messages else ""
    if not (_ASKING.match(question) and _ABOUT_DEADLINES.search(question)):
        return None
    arguments: dict[str, int] = {}
    if window := _WINDOW.search(question):
        count, unit = window.group(1).lower(), window.group(2).lower()
        number = int(count) if count.isdigit() else _NUMBERS[count]
        arguments["days"] = min(max(number * _UNIT_DAYS[unit], 1), 366)
    return ToolRequest(
        id="offline-deadlines", name=_DEADLINES_TOOL, arguments=json.dumps(arguments)
    )


def _deadlines_answer(messages: list[Message]) -> str:
    """The answer to the deadlines the tool found (its JSON result, the last message), or ""."""
    last = messages[-1] if messages else {}
    if last.get("role") != "tool" or last.get("tool_call_id") != "offline-deadlines":
        return ""
    try:
        found = json.loads(last["content"])
    except ValueError:
        found = {"error": "the result could not be read"}
    if "error" in found:
        return f"{OFFLINE_LABEL} The deadlines could not be looked up: {found['error']}"
    if not found["deadlines"]:
        return f"{OFFLINE_LABEL} No open deadlines are due by {found['through']}."
    lines = [f"{OFFLINE_LABEL} Open deadlines due by {found['through']}:"]
    for deadline in found["deadlines"]:
        when = " ".join(filter(None, [deadline["due_date"], deadline["due_time"]]))
        overdue = " (overdue)" if deadline["overdue"] else ""
        notes = f": {deadline['notes']}" if deadline["notes"] else ""
        lines.append(
            f"- {when}{overdue}, {deadline['kind']}, {deadline['case']} "
            f"{deadline['case_title']}, {deadline['responsible']}{notes}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class _Failure:
    """What one failed attempt means for the next: the error to raise if it is the last."""

    error: type[LLMError]
    code: str
    retryable: bool
    upstream_status: int | None = None
    retry_after: float | None = None  # seconds the server asked us to wait


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_ms: int,
        deadline_ms: int,
        max_retries: int,
        backoff_base_ms: int,
    ) -> None:
        self.model = model
        self.timeout = timeout_ms / 1000
        self.deadline = deadline_ms / 1000
        self.max_retries = max_retries
        self.backoff_base = backoff_base_ms / 1000
        self._client_options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "max_retries": 0,  # ours is the only retry layer
            "timeout": httpx2.Timeout(self.timeout),
            # A body of the wrong shape raises instead of becoming a half-empty object.
            "_strict_response_validation": True,
        }
        # One client (and its pool of connections) per event loop: an async client belongs
        # to the loop it first ran in. The web server's loop lives as long as its process;
        # a sync caller's loop (a Celery task, a test) lives for one call.
        # Set once the provider answered 400 to `tools` and then answered without them: it
        # (or its model) has no function calling, and is not offered tools again.
        self.tools_refused = False
        self._clients: LoopClients[openai.AsyncOpenAI] = LoopClients(
            close=lambda client: client.close()
        )

    def _client(self) -> openai.AsyncOpenAI:
        # The SDK's aiohttp transport rather than its default one: half the CPU a call
        # (measured: 0.6 against 1.1 ms), and its pool does not walk every connection each
        # time a request starts or ends, which with hundreds in flight cost more than the rest
        # of a request. The timeouts are the same, per socket read.
        return self._clients.get(
            lambda: openai.AsyncOpenAI(
                **self._client_options, http_client=openai.DefaultAioHttpClient()
            )
        )

    async def complete(
        self,
        *,
        messages: list[Message],
        idempotency_key: str,
        json_output: bool = False,
        json_schema: Mapping[str, Any] | None = None,
        offline_answer: str = "",
        max_tokens: int | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | None = None,
    ) -> Completion:
        params: dict[str, Any] = {"model": self.model, "messages": messages}
        if max_tokens is not None:
            # `max_tokens` rather than `max_completion_tokens`: every OpenAI-compatible
            # server (Ollama, vLLM, LiteLLM) understands it.
            params["max_tokens"] = max_tokens

        async def ask(params: dict[str, Any]) -> Completion:
            return await self._complete_formats(
                params,
                idempotency_key=idempotency_key,
                json_output=json_output,
                json_schema=json_schema,
            )

        with self._refusals_logged():
            return await self._with_tools_if_known(ask, params, tools, tool_choice)

    async def _with_tools_if_known(
        self,
        ask: Callable[[dict[str, Any]], Awaitable[T]],
        params: dict[str, Any],
        tools: Sequence[Mapping[str, Any]],
        tool_choice: str | None,
    ) -> T:
        """`ask(params)` with `tools` offered, unless this provider refused them: a server or
        model without function calling answers 400 naming them, and is asked again without."""
        if not tools or self.tools_refused:
            return await ask(params)
        offered = {**params, "tools": [dict(tool) for tool in tools]}
        if tool_choice is not None:
            offered["tool_choice"] = tool_choice
        try:
            return await ask(offered)
        except LLMMisconfigured as exc:
            if not _refuses_tools(exc):
                raise
        logger.warning(
            "llm tools refused, asking again without them",
            extra={"provider": self.name, "model": self.model},
        )
        answer = await ask(params)
        # Only once the plain request worked: a 400 for another reason is not a refusal.
        self.tools_refused = True
        return answer

    async def _complete_formats(
        self,
        params: dict[str, Any],
        *,
        idempotency_key: str,
        json_output: bool,
        json_schema: Mapping[str, Any] | None,
    ) -> Completion:
        *plainer, last = _response_formats(json_schema) if json_output else (None,)
        spent = 0  # attempts the formats the provider refused took
        for response_format in plainer:
            try:
                return await self._complete_once(
                    params,
                    response_format,
                    spent=spent,
                    idempotency_key=idempotency_key,
                    json_output=json_output,
                )
            except LLMMisconfigured as exc:
                # 400 is how a server says it does not know a parameter: a plainer way
                # of asking for JSON may be one it knows. Any other refusal (a bad key,
                # an unknown model) would be the same whatever the format.
                if exc.upstream_status != 400:
                    raise
                spent = exc.attempts
                logger.warning(
                    "llm response_format refused, asking again with a plainer one",
                    extra={
                        "provider": self.name,
                        "model": self.model,
                        "response_format": response_format["type"],
                    },
                )
        return await self._complete_once(
            params,
            last,
            spent=spent,
            idempotency_key=idempotency_key,
            json_output=json_output,
        )

    async def _complete_once(
        self,
        params: dict[str, Any],
        response_format: dict[str, Any] | None,
        *,
        spent: int,
        idempotency_key: str,
        json_output: bool,
    ) -> Completion:
        """One request with its retries, `response_format` added when not None; the attempts
        count on from `spent`, those of the formats tried before."""
        if response_format is not None:
            params = {**params, "response_format": response_format}

        async def attempt(timeout: float, number: int) -> Completion:
            response = await self._create(params, timeout=timeout, idempotency_key=idempotency_key)
            return self._completion(
                response,
                messages=params["messages"],
                attempts=number,
                json_output=json_output,
            )

        try:
            completion = await self._with_retries(attempt, idempotency_key=idempotency_key)
        except LLMError as exc:
            exc.attempts += spent
            raise
        return dataclasses.replace(completion, attempts=spent + completion.attempts)

    @contextmanager
    def _refusals_logged(self) -> Iterator[None]:
        """A refused request is logged at ERROR: only an admin can fix it (an alert reads
        the same failure from the metrics)."""
        try:
            yield
        except LLMMisconfigured as exc:
            cause = exc.__cause__
            logger.error(
                "llm provider refused the request: check LLM_API_KEY, LLM_MODEL, LLM_BASE_URL",
                extra={
                    "provider": self.name,
                    "model": self.model,
                    "upstream_status": exc.upstream_status,
                    # The provider's code for it ("invalid_api_key", "model_not_found"), never
                    # its message, which may quote the prompt.
                    "provider_error": getattr(cause, "code", None) or getattr(cause, "type", None),
                    "attempts": exc.attempts,
                },
            )
            raise

    async def stream(
        self,
        *,
        messages: list[Message],
        idempotency_key: str,
        max_tokens: int | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | None = None,
    ) -> AsyncGenerator[str | Completion, None]:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        deadline = time.monotonic() + self.deadline

        async def attempt(params: dict[str, Any], timeout: float, number: int) -> _OpenedStream:
            # The first event is read inside the retry loop: until it arrives nothing has
            # been shown, so a failure is as retryable as a non-streamed one.
            opened = await self._create(params, timeout=timeout, idempotency_key=idempotency_key)
            try:
                events = aiter(opened)
                return _OpenedStream(opened, events, await anext(events, None), number)
            except httpx2.HTTPError as exc:
                await opened.close()
                raise _as_sdk_error(exc, opened.response.request) from exc
            except BaseException:
                await opened.close()
                raise

        async def opening(params: dict[str, Any]) -> _OpenedStream:
            return await self._with_retries(
                lambda timeout, number: attempt(params, timeout, number),
                idempotency_key=idempotency_key,
            )

        with self._refusals_logged():
            opened, events, first, attempts = await self._with_tools_if_known(
                opening, params, tools, tool_choice
            )
        parts: list[str] = []
        calls = _ToolCallDeltas()
        finish_reason: str | None = None
        usage = None
        try:
            chunk = first
            while chunk is not None:
                if chunk.usage is not None:
                    usage = chunk.usage
                if chunk.choices:
                    choice = chunk.choices[0]
                    finish_reason = choice.finish_reason or finish_reason
                    if choice.delta.tool_calls:
                        calls.feed(choice.delta.tool_calls)
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
                if time.monotonic() > deadline:
                    raise LLMTimeout(attempts=attempts)
                chunk = await anext(events, None)
        except (httpx2.HTTPError, *_SDK_ERRORS) as exc:
            # Mid-answer: no retry, the caller has already passed part of it on.
            logger.info(
                "llm stream broken",
                extra={"provider": self.name, "error_kind": type(exc).__name__},
            )
            raise LLMUnavailable(attempts=attempts, upstream_status=200) from exc
        finally:
            await opened.close()
        text = "".join(parts)
        tool_calls = calls.requests()
        if finish_reason is None or finish_reason == "length":
            raise LLMTruncated(attempts=attempts, upstream_status=200)
        if finish_reason == "content_filter":
            raise LLMRejected(attempts=attempts, upstream_status=200)
        if not text.strip() and not tool_calls:
            raise LLMBadOutput(attempts=attempts, upstream_status=200)
        prompt_tokens, completion_tokens = _token_counts(messages, text, usage)
        yield Completion(
            text=text,
            model=first.model if first is not None else self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish_reason,
            attempts=attempts,
            provider=self.name,
            tool_calls=tool_calls,
        )

    async def embed(self, *, texts: list[str], model: str, batch: int) -> list[list[float]]:
        """One vector per text of ``texts``, in order, from the embeddings ``model``: a request
        per ``batch`` texts, each with its own retries and deadline, or an ``LLMError``. The
        texts are sent as they are: the caller has scrubbed them."""
        vectors: list[list[float]] = []
        with self._refusals_logged():
            for start in range(0, len(texts), batch):
                vectors += await self._embed_batch(texts[start : start + batch], model=model)
        return vectors

    async def _embed_batch(self, texts: list[str], *, model: str) -> list[list[float]]:
        idempotency_key = uuid.uuid4().hex

        async def attempt(timeout: float, number: int) -> list[list[float]]:
            response = await self._client().embeddings.create(
                model=model,
                input=texts,
                # Floats, not the SDK's default base64: every compatible server sends them.
                encoding_format="float",
                timeout=httpx2.Timeout(timeout),
                extra_headers={"Idempotency-Key": idempotency_key},
            )
            data = sorted(response.data, key=lambda item: item.index)
            if [item.index for item in data] != list(range(len(texts))):
                raise LLMBadOutput(attempts=number, upstream_status=200)
            return [item.embedding for item in data]

        return await self._with_retries(attempt, idempotency_key=idempotency_key, model=model)

    async def _create(self, params: dict[str, Any], *, timeout: float, idempotency_key: str) -> Any:
        """One chat.completions.create, the messages sent as they are.

        The SDK first walks every request parameter against its typed definitions, with the GIL
        held, to send the same bytes: 1 ms for two messages, 36 ms for a conversation of 100.
        The messages are plain JSON already, so they go in `extra_body`, which the SDK merges
        into the body after that walk, in the place of an empty list.
        """
        return await self._client().chat.completions.create(
            **{**params, "messages": []},
            extra_body={"messages": params["messages"]},
            timeout=httpx2.Timeout(timeout),
            extra_headers={"Idempotency-Key": idempotency_key},
        )

    async def _with_retries(
        self,
        attempt: Callable[[float, int], Awaitable[T]],
        *,
        idempotency_key: str,
        model: str | None = None,
    ) -> T:
        """``attempt(timeout_seconds, attempt_number)`` until it succeeds, a failure is final,
        the retries run out or the deadline would pass. ``stream`` reuses this for
        the part before its first chunk."""
        deadline = time.monotonic() + self.deadline
        bad_bodies = 0
        number = 0
        while True:
            number += 1
            timeout = min(self.timeout, max(deadline - time.monotonic(), _MIN_ATTEMPT_S))
            started = time.monotonic()
            try:
                result = await attempt(timeout, number)
            except LLMError as exc:
                # Raised on a complete, well-formed answer that is unusable (truncated,
                # filtered, not the JSON asked for): the same request would get the same.
                self._log(
                    number,
                    started,
                    idempotency_key,
                    outcome=exc.code,
                    status=exc.upstream_status,
                    model=model,
                )
                raise
            except _SDK_ERRORS as exc:
                error = exc
                failure = _classify(exc, bad_bodies=bad_bodies)
                if failure.code == "bad_output":
                    bad_bodies += 1
            else:
                self._log(number, started, idempotency_key, outcome="ok", status=200, model=model)
                return result

            sleep = failure.retry_after
            if sleep is None:
                sleep = self._backoff(number)
            remaining = deadline - time.monotonic()
            retry = (
                failure.retryable
                and number <= self.max_retries
                and sleep + _MIN_ATTEMPT_S < remaining
            )
            self._log(
                number,
                started,
                idempotency_key,
                outcome=failure.code,
                status=failure.upstream_status,
                error_kind=type(error).__name__,
                sleep=sleep if retry else None,
                model=model,
            )
            if not retry:
                raise failure.error(
                    attempts=number,
                    code=failure.code,
                    upstream_status=failure.upstream_status,
                    retry_after=(
                        max(1, math.ceil(failure.retry_after))
                        if failure.retry_after is not None
                        else DEFAULT_RETRY_AFTER
                    ),
                ) from error
            await asyncio.sleep(sleep)

    def _backoff(self, number: int) -> float:
        # Exponential with full jitter: callers that failed together do not retry together.
        ceiling = self.backoff_base * min(2 ** (number - 1), _BACKOFF_CAP_FACTOR)
        return random.uniform(0, ceiling)

    def _completion(
        self,
        response: ChatCompletion,
        *,
        messages: list[Message],
        attempts: int,
        json_output: bool,
    ) -> Completion:
        if not response.choices:
            raise LLMBadOutput(attempts=attempts, upstream_status=200)
        choice = response.choices[0]
        if choice.finish_reason == "length":
            raise LLMTruncated(attempts=attempts, upstream_status=200)
        if choice.finish_reason == "content_filter":
            raise LLMRejected(attempts=attempts, upstream_status=200)
        text = choice.message.content or ""
        tool_calls = tuple(
            ToolRequest(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in choice.message.tool_calls or ()
            if call.type == "function"
        )
        if not text.strip() and not tool_calls:
            # A refusal, or nothing at all: nothing a caller of `complete` can show.
            raise LLMBadOutput(attempts=attempts, upstream_status=200)
        if json_output:
            _json_object_or_raise(text, attempts=attempts)
        prompt_tokens, completion_tokens = _token_counts(messages, text, response.usage)
        return Completion(
            text=text,
            model=response.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=choice.finish_reason,
            attempts=attempts,
            provider=self.name,
            tool_calls=tool_calls,
        )

    def _log(
        self,
        number: int,
        started: float,
        idempotency_key: str,
        *,
        outcome: str,
        status: int | None,
        error_kind: str = "",
        sleep: float | None = None,
        model: str | None = None,
    ) -> None:
        # Metadata only: never the messages, never the answer.
        logger.info(
            "llm attempt",
            extra={
                "provider": self.name,
                "model": model or self.model,
                "attempt": number,
                "outcome": outcome,
                "upstream_status": status,
                "error_kind": error_kind,
                "latency_ms": round((time.monotonic() - started) * 1000),
                "retry_in_ms": None if sleep is None else round(sleep * 1000),
                "idempotency_key": idempotency_key,
            },
        )


class _ToolCallDeltas:
    """The tool calls of a streamed answer, gathered from their deltas: each call's id and
    name come in its first delta, its arguments in pieces, all under the call's index."""

    def __init__(self) -> None:
        self.calls: dict[int, dict[str, Any]] = {}

    def feed(self, deltas: Sequence[Any]) -> None:
        for delta in deltas:
            call = self.calls.setdefault(delta.index, {"id": "", "name": "", "arguments": []})
            call["id"] = delta.id or call["id"]
            if delta.function is not None:
                call["name"] = delta.function.name or call["name"]
                if delta.function.arguments:
                    call["arguments"].append(delta.function.arguments)

    def requests(self) -> tuple[ToolRequest, ...]:
        return tuple(
            ToolRequest(id=call["id"], name=call["name"], arguments="".join(call["arguments"]))
            for _, call in sorted(self.calls.items())
        )


class _OpenedStream(NamedTuple):
    stream: AsyncStream[ChatCompletionChunk]
    events: AsyncIterator[ChatCompletionChunk]
    first: ChatCompletionChunk | None
    attempts: int


def _as_sdk_error(exc: httpx2.HTTPError, request: httpx2.Request) -> openai.APIError:
    """The SDK error a transport failure would have been had it happened before the body:
    the SDK lets those of a stream's body through unwrapped."""
    if isinstance(exc, httpx2.TimeoutException):
        return openai.APITimeoutError(request=request)
    return openai.APIConnectionError(message=str(exc) or type(exc).__name__, request=request)


# A body that is not JSON reaches us as the SDK's own JSONDecodeError (or, with bytes that
# are not UTF-8, UnicodeDecodeError), not as an OpenAIError.
_SDK_ERRORS = (openai.APIError, json.JSONDecodeError, UnicodeDecodeError)


def _classify(exc: Exception, *, bad_bodies: int) -> _Failure:
    # Order matters: APITimeoutError is an APIConnectionError, and APIResponseValidationError
    # is neither a status error nor a connection error.
    if isinstance(exc, openai.APITimeoutError) and not _closed_by_server(exc):
        return _Failure(LLMTimeout, "timeout", retryable=True)
    if isinstance(exc, openai.APITimeoutError):
        return _Failure(LLMUnavailable, "unavailable", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return _Failure(LLMUnavailable, "unavailable", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        # Handled by number: the SDK has no class for 408, it raises a bare APIStatusError.
        status = exc.status_code
        if status in _RETRYABLE_STATUSES or status >= 500:
            return _Failure(
                LLMUnavailable,
                "rate_limited" if status == 429 else "unavailable",
                retryable=True,
                upstream_status=status,
                retry_after=_retry_after(exc.response.headers),
            )
        return _Failure(LLMMisconfigured, "misconfigured", retryable=False, upstream_status=status)
    if isinstance(exc, openai.APIResponseValidationError):
        # A well-formed body of the wrong shape: the server will not change its mind.
        return _Failure(LLMBadOutput, "bad_output", retryable=False, upstream_status=200)
    if isinstance(exc, ValueError):
        # A body cut short or garbled on the way is transient: one retry, not two. The same
        # Idempotency-Key lets a provider that stores answers replay the good one.
        return _Failure(LLMBadOutput, "bad_output", retryable=bad_bodies == 0, upstream_status=200)
    # A bare APIError: the provider reported an error in a way none of the above covers.
    return _Failure(LLMRejected, "rejected", retryable=False)


def _refuses_tools(exc: LLMMisconfigured) -> bool:
    """Whether a refusal is of the tools: a 400 whose error names them (OpenAI's `param`, or
    the words of vLLM's, Ollama's or LiteLLM's "does not support tools"). Another 400 (a
    prompt too long) would be refused without tools too."""
    cause = exc.__cause__
    param = getattr(cause, "param", None)
    message = str(getattr(cause, "message", "") or "")
    return exc.upstream_status == 400 and (
        param in ("tools", "tool_choice") or "tool" in message.lower()
    )


def _closed_by_server(exc: BaseException) -> bool:
    """Whether a timeout the SDK reports was a connection the server closed or reset: the
    aiohttp transport reports any lost connection as a connect timeout."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
            return True
        cause = cause.__cause__
    return False


def _response_formats(json_schema: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """The ways to ask for a JSON object, best first: held to the schema (OpenAI, vLLM,
    Ollama, LiteLLM), any JSON object (servers without schemas), or the prompt's words alone
    (servers that know neither, whose answer is still checked)."""
    plainer = ({"type": "json_object"}, None)
    if json_schema is None:
        return plainer
    return ({"type": "json_schema", "json_schema": dict(json_schema)}, *plainer)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms``, or ``Retry-After`` as seconds or as an HTTP date."""
    for header, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    value = headers.get("retry-after")
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(when.timestamp() - time.time(), 0.0)
    return None
