"""A slow fake OpenAI-compatible model for the serving tests (tests/faults/test_serving.py),
the concurrency bench and the drafting bench, on asyncio alone (no dependency): a call in
flight costs a coroutine, so it can hold thousands at once, and it counts the most it held.

`POST /v1/embeddings` answers at once with the test model's vectors (tests/fake_embeddings.py).
`POST /v1/chat/completions` answers after the configured delay, or with `"stream": true`
sends its first chunk at once and the rest spread over the delay (HTTP/1.1, keep-alive,
chunked). `POST /reset` with `{"seconds": 2.0}` sets the delay and zeroes the counts;
`GET /stats` gives `{"inFlight", "peak", "calls"}` and `GET /first-chunks` maps each question's
`benchq...` marker to the `time.monotonic()` at which its stream's first content chunk left
(CLOCK_MONOTONIC is one clock for every process of the machine, so the bench can compare).

With `--tool deadlines_list` it plays a model that looks things up first: a request that
offers that tool and carries no tool result yet is answered, after the delay, with a call of
it (`{"days": 14}`; streamed as tool-call deltas), and the request that brings the result
back gets the answer as usual: two model calls per question, as a chat with one tool round.

Prints its base URL (`.../v1`) on the first line of stdout, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_embeddings import embeddings_response
from tests.fake_llm import Reply, ToolCalls, _completion, _usage

# Every question of the bench carries one, so a streamed answer's first chunk can be matched
# with the moment its first delta reached the client.
MARKER = re.compile(rb"benchq[a-z]+")
ANSWER = (
    "A tenant ending a residential lease gives the notice the lease sets, often one month, "
    "in writing, and keeps proof that the landlord received it on time."
)
MAX_HEADER_LINES = 100
MAX_BODY_BYTES = 1_000_000
STATUS_TEXT = {200: "OK", 400: "Bad Request", 404: "Not Found"}


@dataclass
class Model:
    seconds: float
    text: str = ANSWER
    tool: str = ""  # the tool every question is first answered with a call of
    in_flight: int = 0
    peak: int = 0
    calls: int = 0
    first_chunks: dict[str, float] = field(default_factory=dict)

    def enter(self) -> None:
        self.in_flight += 1
        self.calls += 1
        self.peak = max(self.peak, self.in_flight)

    def reset(self, seconds: float) -> None:
        self.seconds = seconds
        self.peak = self.in_flight
        self.calls = 0
        self.first_chunks.clear()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a keep-alive connection; None when the client closed it."""
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        header = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        if not header:
            break
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0")), MAX_BODY_BYTES)
    return Request(method, path, headers, await reader.readexactly(length))


def head(status: int, content_type: str, **extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status} {STATUS_TEXT[status]}", f"Content-Type: {content_type}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def send_json(writer: asyncio.StreamWriter, status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    writer.write(head(status, "application/json", Content_Length=str(len(raw))) + raw)
    await writer.drain()


async def send_chunk(writer: asyncio.StreamWriter, data: Any) -> None:
    payload = data if isinstance(data, str) else json.dumps(data)
    event = f"data: {payload}\n\n".encode()
    writer.write(b"%x\r\n%s\r\n" % (len(event), event))
    await writer.drain()


async def stream(writer: asyncio.StreamWriter, model: Model, body: dict[str, Any], raw: bytes):
    loop = asyncio.get_running_loop()
    writer.write(head(200, "text/event-stream", Transfer_Encoding="chunked"))
    pieces = [word + " " for word in ANSWER.split(" ")]
    pieces[-1] = pieces[-1].rstrip()
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
    base["model"] = body.get("model", "fake-model")
    start = loop.time()
    marker = MARKER.search(raw)
    for number, piece in enumerate(pieces):
        # The first piece goes at once, the last at the end of the delay.
        await asyncio.sleep(
            max(0.0, start + model.seconds * number / (len(pieces) - 1) - loop.time())
        )
        delta: dict[str, str] = {"content": piece}
        if number == 0:
            delta["role"] = "assistant"
        await send_chunk(writer, {**base, "choices": [{"index": 0, "delta": delta}]})
        if number == 0 and marker:
            model.first_chunks[marker[0].decode()] = time.monotonic()
    await send_chunk(
        writer, {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    if (body.get("stream_options") or {}).get("include_usage"):
        await send_chunk(writer, {**base, "choices": [], "usage": _usage(Reply())})
    await send_chunk(writer, "[DONE]")
    writer.write(b"0\r\n\r\n")
    await writer.drain()


def tool_call_due(model: Model, body: dict[str, Any]) -> ToolCalls | None:
    """The call of `model.tool` a request gets: one that offers it and has no result yet."""
    offered = {tool["function"]["name"] for tool in body.get("tools") or ()}
    answered = any(message["role"] == "tool" for message in body["messages"])
    if model.tool in offered and not answered and body.get("tool_choice") != "none":
        return ToolCalls((model.tool, {"days": 14}))
    return None


async def stream_tool_call(writer: asyncio.StreamWriter, calls: ToolCalls) -> None:
    writer.write(head(200, "text/event-stream", Transfer_Encoding="chunked"))
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
    base["model"] = calls.model
    for number, call in enumerate(calls.as_message_calls()):
        delta = {"tool_calls": [{"index": number, **call}]}
        await send_chunk(writer, {**base, "choices": [{"index": 0, "delta": delta}]})
    finish = {"index": 0, "delta": {}, "finish_reason": "tool_calls"}
    await send_chunk(writer, {**base, "choices": [finish]})
    await send_chunk(writer, {**base, "choices": [], "usage": _usage(calls)})
    await send_chunk(writer, "[DONE]")
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def complete(writer: asyncio.StreamWriter, model: Model, request: Request) -> None:
    body = json.loads(request.body)
    model.enter()
    try:
        if calls := tool_call_due(model, body):
            await asyncio.sleep(model.seconds)
            if body.get("stream"):
                await stream_tool_call(writer, calls)
            else:
                await send_json(writer, 200, _completion(calls))
        elif body.get("stream"):
            await stream(writer, model, body, request.body)
        else:
            await asyncio.sleep(model.seconds)
            await send_json(writer, 200, _completion(Reply(text=model.text, model=body["model"])))
    finally:
        model.in_flight -= 1


async def serve_connection(
    model: Model, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while request := await read_request(reader):
            match request.method, request.path:
                case "POST", "/v1/chat/completions":
                    await complete(writer, model, request)
                case "POST", "/v1/embeddings":
                    await send_json(writer, 200, embeddings_response(json.loads(request.body)))
                case "POST", "/reset":
                    model.reset(float(json.loads(request.body)["seconds"]))
                    await send_json(writer, 200, {"seconds": model.seconds})
                case "GET", "/stats":
                    stats = {"inFlight": model.in_flight, "peak": model.peak, "calls": model.calls}
                    await send_json(writer, 200, stats)
                case "GET", "/first-chunks":
                    await send_json(writer, 200, model.first_chunks)
                case _:
                    await send_json(writer, 404, {"error": {"message": "not found"}})
    except (ConnectionError, asyncio.IncompleteReadError, ValueError, KeyError):
        pass  # a client that went away or sent nonsense: drop its connection
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def main(seconds: float, text: str, port: int, tool: str = "") -> None:
    model = Model(seconds=seconds, text=text, tool=tool)
    server = await asyncio.start_server(
        lambda reader, writer: serve_connection(model, reader, writer),
        "127.0.0.1",
        port,
        backlog=4096,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="the model's delay")
    parser.add_argument("--text", default=ANSWER, help="the answer to every plain completion")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--tool", default="", help="first answer each question with its call")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.text, args.port, args.tool))
