"""Counsel's ASGI application in tests: one GET through it as an ASGI server would send it
(`asgi_get`), or served by uvicorn on a loopback port (`asgi_served`)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn


async def asgi_get(
    path: str, headers: Iterable[tuple[bytes, bytes]] = (), *, app: Any = None
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers (by lower-case name) and body the server would send back for
    `path` (with its query string) and `headers` beside `Host`, from `app` (by default
    Counsel's). The client stays connected until the answer is sent."""
    from config.asgi import application

    app = app or application

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

    await app(scope, receive, send)
    answered = {name.decode().lower(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], answered, b"".join(m.get("body", b"") for m in sent[1:])


@contextmanager
def asgi_served(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, lifespan: Literal["on", "off"] = "on"
) -> Iterator[str]:
    """`app` served by uvicorn in a thread of the test process (so it sees the test's
    settings), with its lifespan run or not; the server's URL. Stopped on exit, connections
    finished first."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    config = uvicorn.Config(
        app, lifespan=lifespan, log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        until = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > until:
                raise RuntimeError("the ASGI server did not start")
            time.sleep(0.02)
        yield f"http://{host}:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()
