"""The ASGI application that production serves (gunicorn.conf.py): the request head's limits,
then `/mcp` to the MCP server (consultations.mcp, whose session manager the ASGI lifespan
runs) and everything else to Django, with the threads that run its synchronous code.

Django runs every request inside a thread-sensitive context of its own, and the first sync
call of the request (its request_started signal, any sync middleware hook, a sync view)
starts a thread that lives as long as the request. An AI call waiting on the model or an open
stream would then hold a thread each, and, with persistent connections, the database
connection that thread opened, left behind when the thread ends. Here each request is pinned
instead, for its whole life, to one of a few long-lived threads of its process (the one with
the fewest requests): its sync calls still run one at a time on one thread and its database
connection, as Django requires, while a request that is waiting holds no thread at all. A
process thus runs at most SYNC_THREADS sync calls at once and keeps at most SYNC_THREADS
database connections, as gunicorn's threaded workers did.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django.conf import settings
from django.core.asgi import get_asgi_application

from config.serving import RequestHeadLimits

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class PinnedSyncThreads:
    """ASGI middleware: the request's thread-sensitive calls go to one of `size` threads."""

    def __init__(self, app: Any, *, size: int) -> None:
        self.app = app
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-sync") for _ in range(size)
        ]
        self.requests = [0] * size  # pinned to each thread, in progress

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        pinned = self.requests.index(min(self.requests))
        self.requests[pinned] += 1
        try:
            # Django's own context inside this one sees it and adds no thread.
            async with ThreadSensitiveContext(executor=self.executors[pinned]):
                await self.app(scope, receive, send)
        finally:
            self.requests[pinned] -= 1


class Paths:
    """ASGI: `/mcp` to the MCP server, every other request to Django. The lifespan (Django
    speaks none) runs the MCP server's session manager for the life of the process."""

    def __init__(self, *, django: Any, mcp: McpEndpoint) -> None:
        self.django = django
        self.mcp = mcp

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == MCP_PATH:
            await self.mcp(scope, receive, send)
        else:
            await self.django(scope, receive, send)

    async def lifespan(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        # A failure to start propagates: the server reports it and does not serve.
        await receive()  # lifespan.startup
        async with self.mcp.running():
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


# Django set up first: the MCP server's modules import models.
django_application = PinnedSyncThreads(get_asgi_application(), size=settings.SYNC_THREADS)

from consultations.llm.pii import warm_up  # noqa: E402
from consultations.mcp.http import MCP_PATH, McpEndpoint  # noqa: E402
from consultations.mcp.server import server as mcp_server  # noqa: E402

# The head's limits first: a refused request costs no thread.
application = RequestHeadLimits(Paths(django=django_application, mcp=McpEndpoint(mcp_server)))

# The scrubber's name lists load with the process, not on a question.
warm_up()
