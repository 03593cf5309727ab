"""Reading a streamed response in a sync test, whether its stream is sync or async.

The AI streams are async generators (the chat API's and the staff chat page's events), which
Django's sync test client hands back unread. They are read to the end here, in one event loop
as the ASGI server would, and the generator's own work (recording the exchange) happens
while it is read, as it does for a real client.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.http import StreamingHttpResponse


def streamed_body(response: StreamingHttpResponse) -> bytes:
    """The whole body of a streamed response, read as a client reads it."""
    if not response.is_async:
        return b"".join(response.streaming_content)

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)()
