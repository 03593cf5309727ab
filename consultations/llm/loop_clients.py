"""Network clients kept per event loop, and closed when their loop ends.

An asyncio client (redis.asyncio, AsyncOpenAI) belongs to the loop it first ran in. The web
server's loop lives as long as its process; a sync caller's (a Celery task, through asgiref's
`async_to_sync`) lives for one call, and a client kept for it would hold its socket, and the
loop with it, for the life of the process. A loop that ends through `asyncio.run` (asgiref's,
the ASGI server's) cancels its tasks first: a task per client then closes that client.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

C = TypeVar("C")

# The closing tasks, held until they finish: the loop itself keeps only weak references.
_closers: set[asyncio.Task[None]] = set()


class LoopClients(Generic[C]):
    """One client per running event loop (and key), made by `make` on first use."""

    def __init__(self, close: Callable[[C], Awaitable[Any]]) -> None:
        self._close = close
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, C]]
        self._clients = weakref.WeakKeyDictionary()

    def get(self, make: Callable[[], C], *, key: Hashable = None) -> C:
        loop = asyncio.get_running_loop()
        per_loop = self._clients.setdefault(loop, {})
        if key not in per_loop:
            client = per_loop[key] = make()
            closer = loop.create_task(self._close_when_loop_ends(per_loop, key, client))
            _closers.add(closer)
            closer.add_done_callback(_closers.discard)
        return per_loop[key]

    async def _close_when_loop_ends(
        self, per_loop: dict[Hashable, C], key: Hashable, client: C
    ) -> None:
        try:
            await asyncio.get_running_loop().create_future()  # never set: waits for the end
        finally:
            per_loop.pop(key, None)
            # Best effort, as the loop ends: a server already gone must not fail its shutdown.
            with contextlib.suppress(Exception):
                await self._close(client)
