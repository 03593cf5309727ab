from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from asgiref.sync import async_to_sync

from consultations.llm.client import Completion, get_provider
from consultations.llm.errors import LLMError, LLMTimeout, LLMTruncated, LLMUnavailable
from tests.fake_llm import Drop, FakeLLM, Reply, Status

MESSAGES = [{"role": "user", "content": "Hello?"}]


def drain(stream: AsyncGenerator[str | Completion, None]) -> tuple[list[str], Any]:
    """The chunks a stream yielded, and the Completion it ended with or the LLMError it
    raised; read to its end in one event loop."""

    async def read() -> tuple[list[str], Any]:
        chunks: list[str] = []
        try:
            async for item in stream:
                if isinstance(item, Completion):
                    # The Completion is the last item: nothing may follow it.
                    assert await anext(stream, None) is None
                    return chunks, item
                chunks.append(item)
        except LLMError as error:
            return chunks, error
        raise AssertionError("the stream ended without its Completion")

    return async_to_sync(read)()


def open_stream() -> AsyncGenerator[str | Completion, None]:
    return get_provider().stream(messages=MESSAGES, idempotency_key=uuid.uuid4().hex)


def test_a_stream_yields_chunks_and_returns_the_whole_completion(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="one two three", prompt_tokens=5, completion_tokens=3))

    chunks, completion = drain(open_stream())

    assert chunks == ["one ", "two ", "three"]
    assert (completion.text, completion.total_tokens, completion.attempts) == (
        "one two three",
        8,
        1,
    )


def test_failures_before_the_first_chunk_are_retried_with_the_same_key(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Status(503), Drop(), Reply(text="at last"))

    chunks, completion = drain(open_stream())

    assert "".join(chunks) == "at last"
    assert completion.attempts == 3
    assert len({r.idempotency_key for r in fake_llm.requests}) == 1


def test_a_stream_cut_off_raises_after_the_chunks_it_had_and_is_not_retried(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Reply(text="a b c d", cut_after=2))

    chunks, error = drain(open_stream())

    assert chunks == ["a ", "b "]
    assert isinstance(error, LLMTruncated | LLMUnavailable)
    assert len(fake_llm.requests) == 1


def test_a_stream_stopped_for_length_is_truncated(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="too long", finish_reason="length"))

    chunks, error = drain(open_stream())

    assert chunks == ["too ", "long"]
    assert isinstance(error, LLMTruncated)


def test_a_stream_that_outlasts_the_deadline_is_stopped(fake_llm: FakeLLM, settings: Any) -> None:
    settings.LLM_DEADLINE_MS = 400
    fake_llm.script(Reply(text=" ".join(["word"] * 20), chunk_delay=0.1))

    chunks, error = drain(open_stream())

    assert isinstance(error, LLMTimeout)
    assert 0 < len(chunks) < 20


def test_the_offline_stream_yields_its_answer_in_a_few_chunks(settings: Any) -> None:
    settings.LLM_PROVIDER = "offline"

    chunks, completion = drain(open_stream())

    assert 1 < len(chunks) <= 4
    assert "".join(chunks) == completion.text
