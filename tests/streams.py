"""Reading the AI path's async streams from sync tests.

Each `async_to_sync` call runs an event loop of its own, and what a stream holds (an open
provider response, the AsyncOpenAI client, the redis.asyncio client) belongs to the loop it
started in: so a stream is read, from its first item to its last, inside one coroutine.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import TypeVar

from asgiref.sync import async_to_sync
from django.http import StreamingHttpResponse

T = TypeVar("T")


async def collected(items: AsyncIterable[T]) -> list[T]:
    """Every item of an async iterable, in order."""
    return [item async for item in items]


def streamed_body(response: StreamingHttpResponse) -> bytes:
    """The whole body of a streaming response from Django's test client; an async view's
    stream is read to its end in one event loop (the test client then closes the response)."""
    if response.is_async:
        return b"".join(async_to_sync(collected)(response.streaming_content))
    return b"".join(response.streaming_content)
