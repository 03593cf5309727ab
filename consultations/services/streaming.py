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

from django.conf import settings

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
from consultations.services.pipeline import AICall, answer_of


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
    key = call.key()
    cached = await cached_value(key)
    if cached is not None:
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
        events = _stream_events(call, key)
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


async def _stream_events(call: AICall, key: str) -> AsyncGenerator[ChatStreamEvent, None]:
    await db_connection_release()
    restorer = _StreamRestorer(call.scrubber.mapping)
    # Keeps what was shown, too: a broken stream records it.
    citations = CitationFilter(call.ask.sources)
    chunks = call.provider.stream(messages=call.ask.messages, idempotency_key=uuid.uuid4().hex)
    completion: Completion | None = None
    try:
        async for chunk in chunks:
            if isinstance(chunk, Completion):
                completion = chunk
                continue
            if text := citations.feed(restorer.feed(chunk)):
                yield StreamDelta(text)
        if tail := citations.feed(restorer.flush()) + citations.flush():
            yield StreamDelta(tail)
    except LLMError as exc:
        await call.record_failure(error=exc, answer=citations.cited().answer)
        yield StreamFailed(exc)
        return
    except (GeneratorExit, asyncio.CancelledError):
        await chunks.aclose()
        await call.record_failure(error=None, answer=citations.cited().answer)
        raise
    assert completion is not None  # the provider's stream ends with its Completion
    answer_data = answer_of(completion)
    await cache_store(key=key, value=answer_data, ttl=settings.LLM_CACHE_TTL[call.kind])
    cited = citations.cited()
    consultation = await call.record_success(
        cached=answer_data, hit=False, answer=cited.answer, citations_dropped=cited.dropped
    )
    yield StreamDone(
        chat_result(
            call, answer=cited.answer, consultation=consultation, hit=False, cited=cited.references
        )
    )


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
