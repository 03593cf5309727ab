"""Concurrency benchmark of the AI path, run on demand (never in CI):

    .venv/bin/python bench/concurrency_bench.py [--clients 200] [--model-seconds 2]
        [--seconds 30] [--streams 1000] [--stream-seconds 10] [--scenarios load streams]
        [--timeout 120] [--no-litellm]

On loopback only it starts a slow fake OpenAI-compatible model (tests/async_fake_llm.py: it
answers after --model-seconds, or streams its chunks spread over --stream-seconds, and counts
the most calls it held at once), Counsel under its production server and settings as
bench/load_bench.py does (on MariaDB database counsel_concbench and Redis db 13), and LiteLLM's
proxy without a cache and with as many workers in front of the same model. Then:

- load: --clients clients, each sending one question after another for --seconds, to
  `POST /api/ai/chat` as JSON, the same with `Accept: text/event-stream`, and to LiteLLM's
  `/v1/chat/completions` plain and streamed;
- streams: --streams clients doing the same with streams only, the model writing each answer
  over --stream-seconds.

Every question is new (a cache miss). Per row it prints requests/s, p50, p99, errors, the most
calls in flight at the model, the time to first streamed delta after the model sent that
stream's first chunk (all streams, and past each client's first one: the first wave of
connections), the peak of MariaDB connections and the peak memory (RSS) of the web server's
processes, then the issue's targets beside the figures. Everything it started is stopped at the
end, the database dropped and the Redis db flushed, also when a step fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import platform
import resource
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import MySQLdb

from bench.load_bench import (
    CHAT_MESSAGE,
    MODEL,
    MYSQL,
    WORKERS,
    BenchError,
    Processes,
    cleanup_for,
    counsel_env,
    free_port,
    mysql,
    percentile,
    post_json,
    redis_flush,
    run_in_workspace,
    start_counsel,
    start_fake_llm,
    start_litellm,
)

DB_NAME = "counsel_concbench"
REDIS_DB = 13
# A client stops after this many requests even if its time is not up.
MAX_REQUESTS_PER_CLIENT = 10_000
SAMPLE_SECONDS = 0.25
IDLE_WAIT_SECONDS = 120
# As many as the web processes' threads for sync code (2 x SYNC_THREADS, 8, on two cores), twice.
WARM_UP_CLIENTS = 32


# --- one HTTP/1.1 client per connection, on asyncio streams ------------------------------------


class HttpError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """Where a row's requests go and how their answers are read."""

    name: str
    key: str
    port: int
    path: str
    headers: dict[str, str]
    body: Callable[[str], dict[str, Any]]  # the JSON body that asks a question
    stream: bool
    counsel: bool  # Counsel's answer and events, else OpenAI's


@dataclass
class Outcome:
    started: float
    finished: float = 0.0
    error: str = ""
    marker: str = ""
    first_delta: float | None = None
    first_of_client: bool = False


_numbers = itertools.count(1)


def next_marker() -> str:
    """A word of its own for each question, in letters: the PII scrubber leaves it alone (it
    may rewrite digit runs), so every question stays unique after scrubbing."""
    number, letters = next(_numbers), ""
    while number:
        number, digit = divmod(number, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[digit]
    return f"benchq{letters}"


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    raw = await reader.readuntil(b"\r\n\r\n")  # at most the reader's limit, 64 KiB
    status_line, *lines = raw.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if value:
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ", 2)[1]), headers


async def body_parts(reader: asyncio.StreamReader, headers: dict[str, str]) -> AsyncIterator[bytes]:
    if "chunked" in headers.get("transfer-encoding", ""):
        while size := int((await reader.readline()).split(b";")[0], 16):
            yield await reader.readexactly(size)
            await reader.readexactly(2)
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # trailers
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:  # the server closes the connection at the end
        while part := await reader.read(65536):
            yield part


def sse_events(buffer: bytearray) -> Iterator[tuple[str, str]]:
    """(event, data) of each complete event at the head of `buffer`, consumed from it."""
    while (end := buffer.find(b"\n\n")) >= 0:
        block = buffer[:end].decode()
        del buffer[: end + 2]
        event, data = "", ""
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name == "event":
                event = value.strip()
            elif name == "data":
                data += value.strip()
        yield event, data


class Client:
    """One simulated user: one keep-alive connection, one request at a time."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def close(self) -> None:
        if self.connection:
            self.connection[1].close()
            self.connection = None

    async def request(self, outcome: Outcome) -> None:
        question = f"{CHAT_MESSAGE} ({outcome.marker})"
        body = json.dumps(self.target.body(question)).encode()
        head = [
            f"POST {self.target.path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.target.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in self.target.headers.items()),
        ]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        reused = self.connection is not None
        try:
            status, headers = await self._send(raw)
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            # A kept-alive connection the server closed meanwhile: once more on a new one.
            if not reused:
                raise HttpError(f"connection: {type(error).__name__}") from error
            self.close()
            status, headers = await self._send(raw)
        assert self.connection is not None
        reader = self.connection[0]
        reusable = headers.get("connection", "").lower() != "close" and (
            "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")
        )
        if self.target.stream and status == 200:
            await self._read_stream(reader, headers, outcome)
        else:
            body_raw = b"".join([part async for part in body_parts(reader, headers)])
            if status != 200:
                raise HttpError(f"status {status}")
            self._check_answer(json.loads(body_raw))
        if not reusable:
            self.close()

    async def _send(self, raw: bytes) -> tuple[int, dict[str, str]]:
        if self.connection is None:
            self.connection = await asyncio.open_connection("127.0.0.1", self.target.port)
        reader, writer = self.connection
        writer.write(raw)
        await writer.drain()
        return await read_head(reader)

    def _check_answer(self, answer: dict[str, Any]) -> None:
        if self.target.counsel:
            if not answer.get("answer"):
                raise HttpError("no answer")
            if answer.get("cached"):
                raise HttpError("a cache hit")
        elif not answer["choices"][0]["message"]["content"]:
            raise HttpError("no answer")

    async def _read_stream(
        self, reader: asyncio.StreamReader, headers: dict[str, str], outcome: Outcome
    ) -> None:
        buffer = bytearray()
        done = False
        async for part in body_parts(reader, headers):
            buffer += part
            for event, data in sse_events(buffer):
                if self.target.counsel:
                    if event == "error":
                        raise HttpError(f"stream error: {data[:80]}")
                    if event == "done":
                        done = True
                        if json.loads(data).get("cached"):
                            raise HttpError("a cache hit")
                    delta = not event and json.loads(data).get("delta")
                elif data == "[DONE]":
                    done, delta = True, False
                else:
                    chunk = json.loads(data)
                    if "error" in chunk:
                        raise HttpError(f"stream error: {data[:80]}")
                    choices = chunk.get("choices") or [{}]
                    delta = (choices[0].get("delta") or {}).get("content")
                if delta and outcome.first_delta is None:
                    outcome.first_delta = time.monotonic()
        if not done or outcome.first_delta is None:
            raise HttpError("stream ended early")


async def client_loop(target: Target, until: float, timeout: float) -> list[Outcome]:
    client = Client(target)
    outcomes: list[Outcome] = []
    try:
        while time.monotonic() < until and len(outcomes) < MAX_REQUESTS_PER_CLIENT:
            outcome = Outcome(started=time.monotonic(), marker=next_marker())
            outcome.first_of_client = not outcomes
            outcomes.append(outcome)
            try:
                async with asyncio.timeout(timeout):
                    await client.request(outcome)
            except TimeoutError:
                outcome.error = f"no answer within {timeout:.0f} s"
            except HttpError as error:
                outcome.error = str(error)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
                outcome.error = f"connection: {type(error).__name__}"
            except (ValueError, KeyError, IndexError) as error:
                outcome.error = f"unreadable answer: {type(error).__name__}"
            outcome.finished = time.monotonic()
            if outcome.error:
                client.close()
    finally:
        client.close()
    return outcomes


# --- what the machine does during a row --------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


DB_CONNECTIONS_SQL = """
SELECT (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s),
       (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
        WHERE VARIABLE_NAME = 'THREADS_CONNECTED')
"""


class Sampler:
    """Polls, in a thread, the web server's memory and MariaDB's connections: the peak of
    those with Counsel's database selected (only Counsel uses it; connections it kept from
    earlier rows count), and the peak of Threads_connected minus the row's start without
    Counsel's (others' tests may share the server: a figure to read beside the first)."""

    def __init__(self, web_root: int) -> None:
        self.web_root = web_root
        self.db = MySQLdb.connect(host=MYSQL["host"], port=MYSQL["port"], user=MYSQL["user"])
        self.stop = threading.Event()
        self.peak_rss = 0
        self.peak_ours, self.peak_threads = self._connections()
        self.baseline_threads = self.peak_threads - self.peak_ours
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _connections(self) -> tuple[int, int]:
        with self.db.cursor() as cursor:
            cursor.execute(DB_CONNECTIONS_SQL, (DB_NAME,))
            ours, threads = cursor.fetchone()
        return int(ours), int(threads)

    def _run(self) -> None:
        while not self.stop.wait(SAMPLE_SECONDS):
            ours, threads = self._connections()
            self.peak_ours = max(self.peak_ours, ours)
            self.peak_threads = max(self.peak_threads, threads)
            self.peak_rss = max(self.peak_rss, rss_bytes(process_tree(self.web_root)))

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.db.close()


# --- the fake model's counts --------------------------------------------------------------------


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def model_reset(model_root: str, seconds: float) -> None:
    """Wait until the model has been idle for a second (the server may still be serving calls
    of the previous row that their clients gave up on), then set its delay and zero its counts."""
    deadline = time.monotonic() + IDLE_WAIT_SECONDS
    before = get_json(f"{model_root}/stats")
    while time.monotonic() < deadline:
        time.sleep(1)
        after = get_json(f"{model_root}/stats")
        if not after["inFlight"] and after["calls"] == before["calls"]:
            break
        before = after
    else:
        print(f"  the model was still busy after {IDLE_WAIT_SECONDS} s: {after}", flush=True)
    status, _, text = post_json(f"{model_root}/reset", {"seconds": seconds}, {})
    if status != 200:
        raise BenchError(f"the fake model's reset answered {status}: {text[:200]}")


# --- a row --------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    key: str
    clients: int
    wall_s: float
    outcomes: list[Outcome]
    model_peak: int
    ttfd_ms: list[float] = field(default_factory=list)
    ttfd_later_ms: list[float] = field(default_factory=list)  # past each client's first stream
    untied: int = 0  # streams measured from request start: the model never saw their marker
    db_ours: int | None = None
    db_threads: int | None = None
    rss_mb: float = 0.0

    @property
    def ok(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.error]

    @property
    def errors(self) -> Counter[str]:
        return Counter(o.error for o in self.outcomes if o.error)

    @property
    def requests_per_s(self) -> float:
        return len(self.ok) / self.wall_s

    def latency_s(self, p: int) -> float:
        return percentile([o.finished - o.started for o in self.ok], p)


async def ask_once(target: Target, clients: int) -> None:
    """`clients` questions at once, each on a connection of its own; raises on any error."""
    opened = [Client(target) for _ in range(clients)]
    try:
        await asyncio.gather(
            *(c.request(Outcome(started=time.monotonic(), marker=next_marker())) for c in opened)
        )
    finally:
        for client in opened:
            client.close()


def warm_up(targets: list[Target], model_root: str) -> None:
    """A few questions to each server first, the model answering at once, so the first row
    does not pay for every worker's and thread's first call (imports, connections), and a
    server that cannot answer stops the bench before it measures."""
    model_reset(model_root, 0)
    for target in targets:
        print(f"warming up: {target.name}", flush=True)
        try:
            asyncio.run(asyncio.wait_for(ask_once(target, WARM_UP_CLIENTS), 120))
        except (HttpError, OSError, asyncio.IncompleteReadError, ValueError, KeyError) as error:
            raise BenchError(f"warming up {target.name}: {error!r}") from error


async def run_clients(
    target: Target, clients: int, seconds: float, timeout: float
) -> list[Outcome]:
    until = time.monotonic() + seconds
    per_client = await asyncio.gather(
        *(client_loop(target, until, timeout) for _ in range(clients))
    )
    return [outcome for outcomes in per_client for outcome in outcomes]


def measure(
    target: Target,
    *,
    clients: int,
    seconds: float,
    model_seconds: float,
    timeout: float,
    model_root: str,
    web_root: int,
) -> Row:
    print(f"measuring: {target.name}, {clients} clients, model {model_seconds:g} s", flush=True)
    model_reset(model_root, model_seconds)
    sampler = Sampler(web_root)
    started = time.monotonic()
    try:
        outcomes = asyncio.run(run_clients(target, clients, seconds, timeout))
    finally:
        sampler.close()
    stats = get_json(f"{model_root}/stats")
    row = Row(
        name=target.name,
        key=target.key,
        clients=clients,
        wall_s=max(o.finished for o in outcomes) - started,
        outcomes=outcomes,
        model_peak=stats["peak"],
        rss_mb=sampler.peak_rss / 2**20,
    )
    if target.counsel:
        row.db_ours = sampler.peak_ours
        row.db_threads = sampler.peak_threads - sampler.baseline_threads
    if target.stream:
        first_chunks = get_json(f"{model_root}/first-chunks")
        for outcome in row.ok:
            assert outcome.first_delta is not None
            since = first_chunks.get(outcome.marker)
            if since is None:
                row.untied += 1
                since = outcome.started
            ms = (outcome.first_delta - since) * 1000
            row.ttfd_ms.append(ms)
            if not outcome.first_of_client:
                row.ttfd_later_ms.append(ms)
    return row


# --- the run ------------------------------------------------------------------------------------


def raise_open_files(needed: int) -> None:
    """Each client holds a socket, and so do the servers, which inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise BenchError(f"open files are limited to {hard}; {needed} are needed (ulimit -n)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def targets(
    counsel_port: int, user_id: int, token: str, litellm: tuple[int, str] | None
) -> dict[str, Target]:
    auth = {"Authorization": f"Bearer {token}"}
    found = {
        "counsel": Target(
            "Counsel POST /api/ai/chat",
            "counsel",
            counsel_port,
            "/api/ai/chat",
            auth,
            lambda question: {"userId": user_id, "message": question},
            stream=False,
            counsel=True,
        ),
    }
    found["counsel-stream"] = Target(
        "Counsel, streamed (Accept: text/event-stream)",
        "counsel-stream",
        counsel_port,
        "/api/ai/chat",
        {**auth, "Accept": "text/event-stream"},
        found["counsel"].body,
        stream=True,
        counsel=True,
    )
    if litellm:
        port, key = litellm
        for stream in (False, True):
            found["litellm-stream" if stream else "litellm"] = Target(
                f"LiteLLM proxy, no cache{', streamed' if stream else ''}",
                "litellm-stream" if stream else "litellm",
                port,
                "/v1/chat/completions",
                {"Authorization": f"Bearer {key}"},
                lambda question, stream=stream: {
                    "model": MODEL,
                    "messages": [{"role": "user", "content": question}],
                    "stream": stream,
                },
                stream=stream,
                counsel=False,
            )
    return found


def run(args: argparse.Namespace, procs: Processes, workdir: Path) -> dict[str, list[Row]]:
    for tool, hint in (
        ("mysql", "apt-get install mariadb-client"),
        ("redis-cli", "apt-get install redis-tools"),
    ):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is missing: {hint}")
    # Clients' sockets, and as many again at the servers, which inherit the limit.
    raise_open_files(2 * max(args.clients, args.streams) + 1024)
    redis_flush(REDIS_DB)
    mysql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    mysql(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    model = start_fake_llm(procs, script="tests/async_fake_llm.py")
    model_root = model.removesuffix("/v1")
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    env = {
        **counsel_env(fake_base_url=model, metrics_dir=metrics_dir),
        "DATABASE_URL": f"mysql://root@127.0.0.1:3306/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    }
    port = free_port()
    user_id, token = start_counsel(procs, env, port)
    web_roots = {"counsel": procs.started[-1][1].pid}

    litellm = None
    if not args.no_litellm:
        lite_port, master_key = free_port(), "sk-" + secrets.token_hex(16)
        try:
            start_litellm(procs, model, lite_port, workdir, master_key, cache=False)
            litellm = (lite_port, master_key)
            web_roots["litellm"] = procs.started[-1][1].pid
        except (BenchError, subprocess.CalledProcessError) as error:
            print(
                f"LiteLLM could not be started, its rows are left out: {error}\n"
                f"{procs.log_tail('litellm')}",
                flush=True,
            )
    plan = targets(port, user_id, token, litellm)
    scenarios = {
        "load": (["counsel", "counsel-stream", "litellm", "litellm-stream"], args.clients),
        "streams": (["counsel-stream", "litellm-stream"], args.streams),
    }
    model_seconds = {"load": args.model_seconds, "streams": args.stream_seconds}
    warm_up(list(plan.values()), model_root)
    results: dict[str, list[Row]] = {}
    for scenario in args.scenarios:
        keys, clients = scenarios[scenario]
        results[scenario] = [
            measure(
                plan[key],
                clients=clients,
                seconds=args.seconds,
                model_seconds=model_seconds[scenario],
                timeout=args.timeout,
                model_root=model_root,
                web_root=web_roots[key.split("-")[0]],
            )
            for key in keys
            if key in plan
        ]
    return results


# --- the report ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def figure(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 50):,.0f} / {percentile(values, 99):,.0f}"


def print_table(rows: list[Row]) -> None:
    print(
        "| scenario | clients | requests/s | p50 s | p99 s | errors | most calls at the model"
        " | first delta p50 / p99 ms | same, past each client's first | DB connections"
        " (ours / Threads_connected) | web RSS MB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        db = "-" if r.db_ours is None else f"{r.db_ours} / {r.db_threads:+d}"
        print(
            f"| {r.name} | {r.clients} | {r.requests_per_s:,.1f} | {figure(r.latency_s(50))} | "
            f"{figure(r.latency_s(99))} | {sum(r.errors.values())} | {r.model_peak} | "
            f"{spread(r.ttfd_ms)} | {spread(r.ttfd_later_ms)} | {db} | {r.rss_mb:,.0f} |"
        )
    for r in rows:
        for error, count in r.errors.most_common():
            print(f"  {r.name}: {count} x {error}")
        if r.untied:
            print(f"  {r.name}: {r.untied} streams' first delta timed from request start")


def report(results: dict[str, list[Row]], args: argparse.Namespace) -> None:
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {WORKERS} worker processes on each side, "
        f"{args.seconds:g} s per row"
    )
    print(
        "First delta: when the client read a stream's first delta, minus when the model sent "
        "that stream's first chunk. DB connections: the peak with Counsel's database "
        "selected / of Threads_connected over the row's start without them."
    )
    if "load" in results:
        rows = {r.key: r for r in results["load"]}
        ideal = args.clients / args.model_seconds
        print()
        print(
            f"Load: {args.clients} clients, the model answering in {args.model_seconds:g} s "
            f"(ideal {ideal:,.0f} requests/s, p50 {args.model_seconds:g} s)"
        )
        print()
        print_table(results["load"])
        print()
        floor, p50_max = 0.9 * ideal, args.model_seconds + 0.3
        for key, rival in (("counsel", "litellm"), ("counsel-stream", "litellm-stream")):
            r = rows[key]
            print(f"{r.name}:")
            print(
                f"  requests/s {r.requests_per_s:,.1f} (target >= {floor:,.0f}: "
                f"{verdict(r.requests_per_s >= floor)}); p50 {r.latency_s(50):.2f} s (target <= "
                f"{p50_max:.1f} s: {verdict(r.latency_s(50) <= p50_max)}); errors "
                f"{sum(r.errors.values())} (target 0: {verdict(not r.errors)})"
            )
            if rival in rows:
                ratio = r.requests_per_s / rows[rival].requests_per_s
                target = f"target >= 1.3x: {verdict(ratio >= 1.3)}"
                print(f"  / LiteLLM's requests/s: {ratio:.2f}x ({target})")
    if "streams" in results:
        print()
        print(
            f"Streams: {args.streams} clients, the model streaming each answer over "
            f"{args.stream_seconds:g} s"
        )
        print()
        print_table(results["streams"])
        print()
        r = next(r for r in results["streams"] if r.key == "counsel-stream")
        later = percentile(r.ttfd_later_ms, 50)
        print(
            f"{r.name}: errors {sum(r.errors.values())} of {len(r.outcomes)} streams (target 0: "
            f"{verdict(not r.errors)}); first delta p50 past the first wave "
            + (
                "unknown: no client started a second stream within the row"
                if math.isnan(later)
                else f"{later:,.0f} ms after the model's first chunk"
            )
            + f" (target <= 250 ms: {verdict(later <= 250)})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="clients of the load scenario")
    parser.add_argument("--model-seconds", type=float, default=2.0, help="the model's answer time")
    parser.add_argument("--seconds", type=float, default=30, help="how long clients send, per row")
    parser.add_argument("--streams", type=int, default=1000, help="clients of the streams scenario")
    parser.add_argument("--stream-seconds", type=float, default=10.0, help="one stream's length")
    parser.add_argument(
        "--scenarios", nargs="+", choices=("load", "streams"), default=["load", "streams"]
    )
    parser.add_argument(
        "--timeout", type=float, default=120, help="a request unanswered this long is an error"
    )
    parser.add_argument("--no-litellm", action="store_true", help="leave out LiteLLM's rows")
    args = parser.parse_args()
    return run_in_workspace(
        lambda procs, workdir: run(args, procs, workdir),
        cleanup_for(db_name=DB_NAME, redis_db=REDIS_DB),
        lambda results: report(results, args),
    )


if __name__ == "__main__":
    sys.exit(main())
