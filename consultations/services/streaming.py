"""A chat answer as it is written: the pipeline's chat kind, read from the provider's stream.

The answer is cached and recorded `ok` only when it completed; a stream that broke is
recorded `failed` with what was shown, and one its reader closed (the user pressed Stop, the
connection dropped) is recorded `failed` with error_code "cancelled", and the provider's
connection is closed with it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from cases.models import Case
from config.dbpool import db, db_connection_release
from consultations.llm.cache import cache_store, cached_value
from consultations.llm.client import Completion
from consultations.llm.errors import LLMError
from consultations.llm.pii import restore
from consultations.models import Conversation
from consultations.services.chat import (
    ChatResult,
    chat_prepare,
    chat_question_vector,
    chat_result,
)
from consultations.services.citations import CitationFilter
from consultations.services.pipeline import AICall
from consultations.services.tool_rounds import ROUND_SEPARATOR, ToolRounds


@dataclass(frozen=True)
class StreamDelta:
    """More of the answer, identities restored."""

    text: str


@dataclass(frozen=True)
class StreamDone:
    result: ChatResult


@dataclass(frozen=True)
class StreamFailed:
    """The answer broke off (already recorded as failed); what was shown is all there is."""

    error: LLMError


ChatStreamEvent = StreamDelta | StreamDone | StreamFailed


@dataclass(frozen=True)
class ChatStream:
    conversation: Conversation
    events: AsyncGenerator[ChatStreamEvent, None]


async def chat_stream(
    *,
    user: User,
    message: str,
    case: Case | None = None,
    conversation: Conversation | None = None,
    locale: str = "en",
    request_id: str,
    endpoint: str = "",
    extra_context: Mapping[str, Any] | None = None,
) -> ChatStream:
    """`chat_answer`'s answer as it is written: its `events` are StreamDeltas, then one
    StreamDone or StreamFailed. Errors of the request itself (a conversation about another
    case, a spent budget) are raised here, before any event. A cached answer comes as one
    delta. Closing `events` (or cancelling its reader) stops the answer."""
    call = await db(
        _stream_prepare,
        user=user,
        message=message,
        case=case,
        conversation=conversation,
        locale=locale,
        request_id=request_id,
        endpoint=endpoint,
        extra_context=extra_context,
        query_vector=await chat_question_vector(
            user=user, message=message, case=case, conversation=conversation
        ),
    )
    rounds = ToolRounds(call)
    cached = await cached_value(rounds.key())
    if cached is not None and not cached.get("tool_calls"):
        cited = call.cite(restore(cached["text"], call.scrubber.mapping))
        # Recorded first: the whole answer goes out in one delta.
        consultation = await call.record_success(
            cached=cached, hit=True, answer=cited.answer, citations_dropped=cited.dropped
        )
        done = chat_result(
            call, answer=cited.answer, consultation=consultation, hit=True, cited=cited.references
        )
        events = _events(StreamDelta(cited.answer), StreamDone(done))
    else:
        await call.reserve()
        events = _stream_events(call, rounds, first=cached)
    return ChatStream(conversation=call.conversation, events=events)


def _stream_prepare(**question: Any) -> AICall:
    """`chat_prepare`, and a new conversation saved: its id goes out (in a header) before
    the answer is recorded."""
    call = chat_prepare(**question, idempotency_key="")  # a stream cannot be replayed
    if call.conversation.pk is None:
        call.conversation.save()
    return call


async def _events(*events: ChatStreamEvent) -> AsyncGenerator[ChatStreamEvent, None]:
    for event in events:
        yield event


async def _stream_events(
    call: AICall, rounds: ToolRounds, *, first: dict[str, Any] | None
) -> AsyncGenerator[ChatStreamEvent, None]:
    """The answer's rounds (consultations.services.tool_rounds): each from the cache when it
    is there (`first`: the first round's, a request for tools), else streamed from the
    provider; tool calls run between them. Only text is shown: a round that asks for tools
    usually has none."""
    await db_connection_release()
    restorer = _StreamRestorer(call.scrubber.mapping)
    # Keeps what was shown, too: a broken stream records it.
    citations = CitationFilter(call.ask.sources)
    shown = _RoundTexts()
    answer, hit = first, first is not None
    chunks: AsyncGenerator[str | Completion, None] | None = None
    try:
        while True:
            key = rounds.key()
            if answer is None:
                chunks = call.provider.stream(
                    messages=rounds.messages,
                    idempotency_key=uuid.uuid4().hex,
                    tools=call.ask.tools,
                    tool_choice=rounds.tool_choice,
                )
                completion: Completion | None = None
                async for chunk in chunks:
                    if isinstance(chunk, Completion):
                        completion = chunk
                    elif text := citations.feed(restorer.feed(shown.feed(chunk))):
                        yield StreamDelta(text)
                chunks = None
                assert completion is not None  # the provider's stream ends with its Completion
                answer = rounds.answer_of(completion)
                await cache_store(key=key, value=answer, ttl=rounds.ttl())
            elif text := citations.feed(restorer.feed(shown.feed(answer["text"]))):
                yield StreamDelta(text)
            if await rounds.take(answer, hit):
                break
            shown.round_ended()
            answer = await cached_value(rounds.key())
            hit = answer is not None
        if tail := citations.feed(restorer.flush()) + citations.flush():
            yield StreamDelta(tail)
    except LLMError as exc:
        await call.record_failure(error=exc, answer=citations.cited().answer)
        yield StreamFailed(exc)
        return
    except (GeneratorExit, asyncio.CancelledError):
        if chunks is not None:
            await chunks.aclose()
        await call.record_failure(error=None, answer=citations.cited().answer)
        raise
    answer_data, hit = rounds.final()
    cited = citations.cited()
    consultation = await call.record_success(
        cached=answer_data, hit=hit, answer=cited.answer, citations_dropped=cited.dropped
    )
    yield StreamDone(
        chat_result(
            call, answer=cited.answer, consultation=consultation, hit=hit, cited=cited.references
        )
    )


class _RoundTexts:
    """The texts of an answer's rounds as one text: the rounds' own separator between two
    that have any (as `ToolRounds.final` joins them)."""

    def __init__(self) -> None:
        self.shown = False  # any text of an earlier round
        self.pending = False  # a new round began after text was shown

    def feed(self, chunk: str) -> str:
        if not chunk:
            return chunk
        if self.pending:
            self.pending = False
            chunk = ROUND_SEPARATOR + chunk
        self.shown = self.shown or bool(chunk.strip())
        return chunk

    def round_ended(self) -> None:
        self.pending = self.shown


# The start of a placeholder that a chunk may end in the middle of: "<", "<PERS", "<PERSON_1".
_PLACEHOLDER_START = re.compile(r"<[A-Za-z]*(?:_\d*)?")
_PLACEHOLDER_MAX = 24


class _StreamRestorer:
    """Restores placeholders in a text that arrives in chunks: a chunk that ends inside one
    (`<PERS` + `ON_1>`) is held back until the rest arrives."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.held = ""

    def feed(self, chunk: str) -> str:
        text = self.held + chunk
        start = text.rfind("<")
        tail = text[start:] if start != -1 else ""
        if tail and len(tail) <= _PLACEHOLDER_MAX and _PLACEHOLDER_START.fullmatch(tail):
            self.held, text = tail, text[:start]
        else:
            self.held = ""
        return restore(text, self.mapping)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return restore(text, self.mapping)
