"""How large a request's head (its target and its headers) may be, and the server's own
answers as problems (config.problems).

Measured against gunicorn + uvicorn 0.55 with httptools, as production runs (docs/api.md,
"Errors"): a request target up to 64 KiB reached the app, past that uvicorn answered
`400 text/plain` itself (httptools cannot split a longer URL); headers had no limit at all
(a single header of 10 MB, or 5,000 headers, reached the app). So:

- the app refuses a target over MAX_TARGET_BYTES (414), headers over MAX_HEADER_BYTES in
  all or more than MAX_HEADERS of them (431), and a Content-Length over the largest upload
  (413, settings' UPLOAD_MAX_BODY_BYTES), as problems (`RequestHeadLimits`, ASGI);
- the server stops reading a head still unfinished after MAX_HEAD_BYTES (431), and answers
  its own parse errors (400), as problems too (`HttpToolsProtocol`, gunicorn.conf.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django.conf import settings
from uvicorn.protocols.http import httptools_impl

from config.problems import PROBLEM_CONTENT_TYPE, problem_body

# gunicorn's own limit_request_line is 4094 bytes and nginx's default buffer 8 KiB: a target
# of 8 KiB holds any URL the API builds, with room for long search words.
MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100  # gunicorn's limit_request_fields
# The server's bound, above the app's so that the app words every refusal it can: the
# request line and every header line with their separators.
MAX_HEAD_BYTES = 64 * 1024

TARGET_TOO_LONG = f"The URL is too long (at most {MAX_TARGET_BYTES} bytes)."
HEADERS_TOO_LARGE = (
    f"The request headers are too large (at most {MAX_HEADERS} headers and "
    f"{MAX_HEADER_BYTES} bytes in all)."
)
HEAD_TOO_LARGE = f"The request line and headers are too large (at most {MAX_HEAD_BYTES} bytes)."
NOT_HTTP = "The request is not valid HTTP."
BODY_TOO_LARGE = "The request body is too large."


def _problem_bytes(status: int, detail: str) -> bytes:
    return json.dumps(problem_body(status, detail)).encode()


class RequestHeadLimits:
    """ASGI middleware: a request whose target or headers pass the limits is refused before
    Django sees it, with a problem."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http":
            refusal = _head_refusal(scope)
            if refusal is not None:
                await problem_send(send, *refusal)
                return
        await self.app(scope, receive, send)


async def problem_send(
    send: ASGISendCallable, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> None:
    """Answer an ASGI request with a problem (config.problems) and `headers`."""
    body = _problem_bytes(status, detail)
    raw_headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _head_refusal(scope: Any) -> tuple[int, str] | None:
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
    if target > MAX_TARGET_BYTES:
        return 414, TARGET_TOO_LONG
    headers = scope["headers"]
    if len(headers) > MAX_HEADERS or sum(len(n) + len(v) for n, v in headers) > MAX_HEADER_BYTES:
        return 431, HEADERS_TOO_LARGE
    # Django's ASGI handler reads the whole body (to disk past FILE_UPLOAD_MAX_MEMORY_SIZE)
    # before any view can look at it; Django's own DATA_UPLOAD_MAX_MEMORY_SIZE does not count
    # the files of a multipart body. A body larger than the largest upload is refused unread.
    length = next((value for name, value in headers if name.lower() == b"content-length"), b"")
    if length.isdigit() and int(length) > settings.UPLOAD_MAX_BODY_BYTES:
        return 413, BODY_TOO_LARGE
    return None


class HttpToolsProtocol(httptools_impl.HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a head longer than MAX_HEAD_BYTES while it
    arrives (httptools would keep reading it into memory), and answering a request it cannot
    parse with a problem instead of plain text."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_unfinished = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._head_unfinished = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if getattr(self, "_head_unfinished", False) and not self.transport.is_closing():
            # Counted by whole reads: a read that also ends the previous request (pipelining)
            # counts in full, which errs towards refusing a little early.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning("Request head too large.")
                self._send_problem(431, HEAD_TOO_LARGE)

    def send_400_response(self, msg: str) -> None:
        self._send_problem(400, NOT_HTTP)

    def _send_problem(self, status: int, detail: str) -> None:
        body = _problem_bytes(status, detail)
        content = [httptools_impl.STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + PROBLEM_CONTENT_TYPE.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
