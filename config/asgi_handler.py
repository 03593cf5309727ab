"""Django's ASGI handler, changed for requests to async views (the AI endpoints).

Django runs each request's sync parts (MiddlewareMixin middleware's process_request and
process_response, the request_started and request_finished signals' receivers) in a thread
of that request's own, created with it and kept until it ends: served that way, every
request in flight holds a thread, even one whose view waits on the model as a coroutine. For
a request to an async view this handler gives those sync parts one of a few threads shared
by the whole process instead: they take microseconds and never wait on the model, and the
view's own database work runs in config.dbpool. Requests to sync views (the pages, the
admin, the cases API) keep a thread of their own, so a slow page never delays another.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction
from django.core.handlers.asgi import ASGIHandler
from django.urls import Resolver404, resolve

# Threads shared by requests to async views; each runs one call at a time, as asgiref's
# thread-sensitive mode requires.
_SHARED_THREADS = 4


class CounselASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        threads = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="asgi-shared")
            for _ in range(_SHARED_THREADS)
        ]
        self._shared = itertools.cycle(threads)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _serves_async_view(scope):
            async with ThreadSensitiveContext(executor=next(self._shared)):
                await self.handle(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _serves_async_view(scope: dict[str, Any]) -> bool:
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False
