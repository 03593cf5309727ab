"""One GET through Counsel's ASGI application, as an ASGI server would send it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def asgi_get(
    path: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers (by lower-case name) and body the server would send back for
    `path` (with its query string) and `headers` beside `Host`. The client stays connected
    until the answer is sent."""
    from config.asgi import application

    raw_path, _, query = path.encode().partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode(),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await application(scope, receive, send)
    answered = {name.decode().lower(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], answered, b"".join(m.get("body", b"") for m in sent[1:])
