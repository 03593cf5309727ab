"""A local OpenAI-compatible server for tests: the network edge of every AI test.

``FakeLLM`` serves ``POST /v1/chat/completions`` and ``POST /v1/embeddings`` (the test model of
tests/fake_embeddings.py) on 127.0.0.1 from a background thread. Each request takes the next
scripted behaviour, or ``default`` once the script is used up (a ``Reply`` to an embeddings
request is its vectors):

    fake_llm.script(Status(429, retry_after=1), Reply(text="Yes."))
    fake_llm.default = Reply(text="Always this.")
    fake_llm.requests[0].idempotency_key
    fake_llm.refused_formats = {"json_schema"}  # like a server that knows no schemas

A request whose ``response_format`` type is in ``refused_formats`` is answered 400 (param
``response_format``) before any behaviour is taken, as a server that does not support it.

Behaviours: ``Reply`` (an answer; streamed as SSE when the request says ``"stream": true``),
``ToolCalls`` (a model asking for tools: ``ToolCalls(("deadlines_list", {"days": 14}))``,
streamed as tool-call deltas, its arguments in pieces),
``Status`` (an error status, optional Retry-After), ``Delay`` (silence before the first byte,
then another behaviour), ``Drop`` (close without answering), ``Truncated`` (a JSON body cut in
half), ``Malformed`` (a body that is not JSON), ``WrongShape`` (JSON that is no completion).

The fixtures ``fake_llm_server`` (one per test session) and ``fake_llm`` (reset, and the
settings pointed at it, for one test) are imported by the conftest of each test package.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from tests.fake_embeddings import embeddings_response

DEFAULT_TEXT = "This is the fake model's answer."


@dataclass(frozen=True)
class Reply:
    text: str = DEFAULT_TEXT
    finish_reason: str | None = "stop"
    prompt_tokens: int = 12
    completion_tokens: int = 8
    model: str = "fake-model"
    usage: bool = True  # False: a body without "usage", as some compatible servers send
    # Streaming only: the pause before each chunk, and closing after this many content chunks
    # without a finish_reason or [DONE] (a cut stream).
    chunk_delay: float = 0.0
    cut_after: int | None = None
    # Streaming only: exactly these content chunks instead of the text's words.
    chunks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolCalls:
    """The model asks for tools: each call a (name, arguments) pair, the arguments a JSON
    object or the raw text the model wrote; `text` is what it writes beside them."""

    calls: tuple[tuple[str, Any], ...]
    text: str = ""
    prompt_tokens: int = 20
    completion_tokens: int = 6
    model: str = "fake-model"

    def __init__(self, *calls: tuple[str, Any], text: str = "", **counts: Any) -> None:
        object.__setattr__(self, "calls", calls)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "prompt_tokens", counts.get("prompt_tokens", 20))
        object.__setattr__(self, "completion_tokens", counts.get("completion_tokens", 6))
        object.__setattr__(self, "model", counts.get("model", "fake-model"))

    def as_message_calls(self) -> list[dict[str, Any]]:
        return [
            {
                "id": f"call_{number}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
            for number, (name, arguments) in enumerate(self.calls, start=1)
        ]


@dataclass(frozen=True)
class Status:
    status: int
    retry_after: str | float | None = None  # seconds, or an HTTP date
    retry_after_ms: float | None = None
    body: Any = field(
        default_factory=lambda: {
            "error": {"message": "Fake provider error.", "type": "fake_error", "code": None}
        }
    )


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Behaviour = field(default_factory=Reply)


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending a byte."""


@dataclass(frozen=True)
class Truncated:
    """A complete HTTP response whose JSON body stops halfway."""

    text: str = DEFAULT_TEXT


@dataclass(frozen=True)
class Malformed:
    """A complete HTTP response, labelled JSON, whose body is not JSON."""

    body: bytes = b"<html><body>Bad gateway</body></html>"


@dataclass(frozen=True)
class WrongShape:
    """Valid JSON that is not a chat completion."""

    body: Any = field(
        default_factory=lambda: {"id": "x", "object": "chat.completion", "choices": "none"}
    )


Behaviour = Reply | ToolCalls | Status | Delay | Drop | Truncated | Malformed | WrongShape


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    json: Any

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.json["messages"]

    @property
    def tool_names(self) -> list[str]:
        """The tools offered with the request."""
        return [tool["function"]["name"] for tool in self.json.get("tools") or ()]

    @property
    def response_format(self) -> str | None:
        """The type of JSON asked for (json_schema, json_object), None when none was."""
        asked = self.json.get("response_format") if isinstance(self.json, dict) else None
        return asked["type"] if asked else None


class FakeLLM:
    def __init__(self) -> None:
        self.default: Behaviour = Reply()
        self.refused_formats: set[str] = set()
        self._script: deque[Behaviour] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self.default = Reply()
            self.refused_formats = set()
            self._script.clear()
            self._requests.clear()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers still inside a Delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _take(self, request: RecordedRequest) -> Behaviour | None:
        """The behaviour for `request`; None when its response_format is refused."""
        with self._lock:
            self._requests.append(request)
            if request.response_format in self.refused_formats:
                return None
            return self._script.popleft() if self._script else self.default


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeLLM

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its end first: expected here, not worth a traceback.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        request = RecordedRequest(
            path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, json=body
        )
        if self.path not in ("/v1/chat/completions", "/v1/embeddings"):
            self._send_json(404, {"error": {"message": "Not found.", "type": "not_found"}})
            return
        fake = self.server.fake
        behaviour = fake._take(request)
        if behaviour is None:
            error = {"message": "Unsupported response_format.", "type": "invalid_request_error"}
            self._send_json(400, {"error": {**error, "param": "response_format", "code": None}})
            return
        self._behave(behaviour, body if isinstance(body, dict) else {}, fake)

    def _behave(self, behaviour: Behaviour, body: dict[str, Any], fake: FakeLLM) -> None:
        match behaviour:
            case Delay(seconds=seconds, then=then):
                if not fake._stopping.wait(seconds):
                    self._behave(then, body, fake)
            case Reply() if self.path == "/v1/embeddings":
                self._send_json(200, embeddings_response(body))
            case Reply() if body.get("stream"):
                self._stream(behaviour, body)
            case Reply():
                self._send_json(200, _completion(behaviour))
            case ToolCalls() if body.get("stream"):
                self._stream_tool_calls(behaviour, body)
            case ToolCalls():
                self._send_json(200, _completion(behaviour))
            case Status(status=status, body=error_body):
                headers = {}
                if behaviour.retry_after is not None:
                    headers["Retry-After"] = str(behaviour.retry_after)
                if behaviour.retry_after_ms is not None:
                    headers["retry-after-ms"] = str(behaviour.retry_after_ms)
                self._send_json(status, error_body, headers)
            case Drop():
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
            case Truncated(text=text):
                full = json.dumps(_completion(Reply(text=text))).encode()
                self._send_bytes(200, full[: len(full) // 2])
            case Malformed(body=raw):
                self._send_bytes(200, raw)
            case WrongShape(body=wrong):
                self._send_json(200, wrong)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(body).encode(), headers)

    def _send_bytes(self, status: int, raw: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()  # no length: HTTP/1.0, the stream ends when the connection closes
        pieces = list(reply.chunks) or [word + " " for word in reply.text.split(" ")]
        if not reply.chunks:
            pieces[-1] = pieces[-1][:-1]
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
        base["model"] = reply.model

        def event(data: Any) -> None:
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
            payload = data if isinstance(data, str) else json.dumps({**base, **data})
            self.wfile.write(f"data: {payload}\n\n".encode())
            self.wfile.flush()

        event({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        for number, piece in enumerate(pieces, start=1):
            event({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            if reply.cut_after is not None and number >= reply.cut_after:
                return
        event({"choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]})
        if reply.usage and (body.get("stream_options") or {}).get("include_usage"):
            event({"choices": [], "usage": _usage(reply)})
        event("[DONE]")

    def _stream_tool_calls(self, reply: ToolCalls, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
        base["model"] = reply.model

        def event(data: Any) -> None:
            payload = data if isinstance(data, str) else json.dumps({**base, **data})
            self.wfile.write(f"data: {payload}\n\n".encode())
            self.wfile.flush()

        def delta(content: dict[str, Any], finish: str | None = None) -> None:
            event({"choices": [{"index": 0, "delta": content, "finish_reason": finish}]})

        delta({"role": "assistant", "content": reply.text or None})
        for index, call in enumerate(reply.as_message_calls()):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            # As models send them: the id and name first, the arguments in pieces.
            first = {"index": index, "id": call["id"], "type": "function"}
            first["function"] = {"name": call["function"]["name"], "arguments": arguments[:half]}
            delta({"tool_calls": [first]})
            delta({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]})
        delta({}, "tool_calls")
        if (body.get("stream_options") or {}).get("include_usage"):
            event({"choices": [], "usage": _usage(reply)})
        event("[DONE]")


def _usage(reply: Reply | ToolCalls) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _completion(reply: Reply | ToolCalls) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    finish_reason, usage = "tool_calls", True
    if isinstance(reply, ToolCalls):
        message = {**message, "content": reply.text or None}
        message["tool_calls"] = reply.as_message_calls()
    else:
        finish_reason, usage = reply.finish_reason, reply.usage
    completion: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
        ],
    }
    if usage:
        completion["usage"] = _usage(reply)
    return completion


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    server = FakeLLM()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM, settings: Settings) -> FakeLLM:
    """The fake server, reset, with the settings pointing the openai provider at it. Timeouts
    and back-off are small, so retry tests take milliseconds, not seconds."""
    fake_llm_server.reset()
    settings.LLM_PROVIDER = "openai"
    settings.LLM_BASE_URL = fake_llm_server.base_url
    settings.LLM_API_KEY = "test-key"
    settings.LLM_TIMEOUT_MS = 1000
    settings.LLM_DEADLINE_MS = 3000
    settings.LLM_BACKOFF_BASE_MS = 10
    return fake_llm_server
