"""Load benchmark of the AI chat path, run on demand (never in CI):

    .venv/bin/python bench/load_bench.py [--seconds 10] [--connections 16]

On loopback only it starts the fake OpenAI-compatible LLM (bench/fake_llm_server.py), Counsel
on its production server with the production settings (DEBUG=false, MariaDB database
counsel_bench, Redis db 15, gunicorn.conf.py's uvicorn workers, one process per core), and
LiteLLM's proxy with its in-memory cache and as many workers in front of the same fake (its
own virtualenv in var/bench-litellm/, created on first run). wrk then measures, at N
connections for S seconds each: the fake alone; `GET /api/auth/me` (the floor: JWT auth and
one user lookup); `POST /api/ai/chat` on a cache hit and on a miss; LiteLLM on a cache hit. It
prints a table, the ratios and the targets.
Everything it started is stopped at the end, the database dropped and the Redis dbs flushed,
also when a step fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
VENV_PYTHON = VENV_BIN / "python"
LITELLM_VENV = ROOT / "var" / "bench-litellm"
# LiteLLM pins its own openai (below 3), which Counsel's venv does not share.
LITELLM_REQUIREMENTS = ["litellm[proxy]", "openai<3"]
DB_NAME = "counsel_bench"
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root"}
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 15
MODEL = "fake-model"
# Both servers get the same processes: one per core.
WORKERS = os.cpu_count() or 1
T = TypeVar("T")
CHAT_MESSAGE = "What notice period applies when a tenant ends a residential lease?"
# The targets (issue #20): a hit's p50 against the bare authenticated view's, at 1 and N
# connections; our miss overhead at 1 connection; our cache hits a second against LiteLLM's.
HIT_VS_FLOOR = 2.0
MISS_OVERHEAD_MS = 5.0
HITS_VS_LITELLM = 1.5
# Settings of the server's size passed on from the bench's environment, to try other values.
TUNING = {"WEB_CONCURRENCY", "SYNC_THREADS", "AI_DB_THREADS"}


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Children started in their own process groups, so that stopping one stops its workers."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str], stdout: int | IO[bytes] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=stdout if stdout is not None else log,
            stderr=log,
            start_new_session=True,
        )
        self.started.append((name, process))
        return process

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_http(url: str, *, seconds: float, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{name} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.3)
    raise BenchError(f"{name} did not answer {url} within {seconds:.0f} s")


def post_json(url: str, body: object, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


# --- services: database and Redis ------------------------------------------------------------


def mysql(sql: str) -> None:
    result = subprocess.run(
        ["mysql", "-h", MYSQL["host"], "-P", str(MYSQL["port"]), "-u", MYSQL["user"], "-e", sql],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise BenchError(f"mysql: {result.stderr.strip()}")


def redis_flush(db: int) -> None:
    result = subprocess.run(
        ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "-n", str(db), "FLUSHDB"],
        capture_output=True,
        text=True,
    )
    if result.returncode or "OK" not in result.stdout:
        raise BenchError(f"redis-cli FLUSHDB {db}: {result.stdout.strip()} {result.stderr.strip()}")


# --- wrk ---------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end
function request()
  local path = os.getenv("BENCH_PATH")
  local body = os.getenv("BENCH_BODY")
  local method = body and "POST" or "GET"
  local headers = {}
  headers["Content-Type"] = "application/json"
  local auth = os.getenv("BENCH_AUTH")
  if auth then headers["Authorization"] = auth end
  if body and os.getenv("BENCH_UNIQUE") then
    counter = counter + 1
    body = string.gsub(body, "UNIQUE", thread_id .. "-" .. counter)
  end
  return wrk.format(method, path, headers, body)
end
"""

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def run_wrk(
    name: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    script: Path,
    body: object | None = None,
    auth: str | None = None,
    unique: bool = False,
) -> Result:
    env = {**os.environ, "BENCH_PATH": urllib.parse.urlsplit(url).path}
    if body is not None:
        env["BENCH_BODY"] = json.dumps(body)
    if auth:
        env["BENCH_AUTH"] = auth
    if unique:
        env["BENCH_UNIQUE"] = "1"
    argv = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
    ]
    out = subprocess.run(
        [*argv, url], env=env, capture_output=True, text=True, timeout=seconds + 60
    )
    if out.returncode:
        raise BenchError(f"wrk {name}: {out.stderr.strip() or out.stdout.strip()}")
    text = out.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.MULTILINE)
    if not (rps and p50 and p99):
        raise BenchError(f"wrk {name}: unexpected output:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors:.*", text)
    errors = int(non_2xx[1]) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors[0]))
    return Result(name, float(rps[1]), _ms(p50[1]), _ms(p99[1]), errors)


# --- the three servers -------------------------------------------------------------------------


def start_fake_llm(
    procs: Processes, *options: str, script: str = "bench/fake_llm_server.py"
) -> str:
    """Start `script` (a fake LLM printing its base URL first, its path from the project's
    folder) with `options` (see its --help); return its base URL."""
    process = procs.start(
        "fake-llm",
        [str(VENV_PYTHON), str(ROOT / script), *options],
        {**os.environ},
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith("http://127.0.0.1:"):
        raise BenchError(f"the fake LLM did not start: {procs.log_tail('fake-llm')}")
    return line


def counsel_env(*, fake_base_url: str, metrics_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TZ", *TUNING}}
    return {
        **keep,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"mysql://root@127.0.0.1:3306/{DB_NAME}",
        "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        "CELERY_BROKER_URL": "memory://",  # the chat path queues nothing
        "LLM_PROVIDER": "openai",
        "LLM_API_KEY": "bench-key",
        "LLM_BASE_URL": fake_base_url,
        "LLM_MODEL": MODEL,
        "AI_RATE_LIMIT_CHAT": "1000000/60",
        "AI_RATE_LIMIT_CHAT_ADDRESS": "1000000/60",
        "JWT_EXPIRES_IN": "1h",
        "LOG_LEVEL": "INFO",  # one JSON line per call, as in production (to a file here)
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }


SETUP_USER = """
from accounts.models import User
from accounts.services import tokens_for, user_create
user = user_create(username="bench-client", password="bench-" + "x" * 20, role=User.Role.CLIENT)
print(user.pk, tokens_for(user=user, otp_verified=False)["access"])
"""


def manage(env: dict[str, str], *argv: str) -> str:
    """Run a manage.py command with Counsel's `env`; its standard output."""
    done = subprocess.run(
        [str(VENV_PYTHON), "manage.py", *argv], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise BenchError(f"manage.py {argv[0]}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def server_argv(server: str, port: int) -> list[str]:
    """The command that serves Counsel on `port` with WORKERS processes: `gunicorn`, the
    production server (gunicorn.conf.py: uvicorn workers), or `granian`, the alternative it
    was measured against (bench/serving_bench.py; installed only for that bench)."""
    if server == "gunicorn":
        return [
            *(str(VENV_BIN / "gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        ]
    return [
        *(str(VENV_BIN / "granian"), "--interface", "asgi", "--workers", str(WORKERS)),
        *("--loop", "uvloop", "--host", "127.0.0.1", "--port", str(port), "--no-ws"),
        "config.asgi:application",
    ]


def prepare_counsel(env: dict[str, str]) -> tuple[int, str]:
    """Migrate Counsel's database, collect its static files and make the bench's client:
    `(user id, JWT)`."""
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    user_id, token = manage(env, "shell", "-c", SETUP_USER).split()[-2:]
    return int(user_id), token


def serve_counsel(procs: Processes, env: dict[str, str], port: int, *, server: str) -> None:
    process = procs.start(server, server_argv(server, port), env)
    wait_http(f"http://127.0.0.1:{port}/healthz", seconds=60, process=process, name=server)


def start_counsel(procs: Processes, env: dict[str, str], port: int) -> tuple[int, str]:
    """Counsel prepared and on its production server: `(user id, JWT)` of the bench's client."""
    user_id, token = prepare_counsel(env)
    serve_counsel(procs, env, port, server="gunicorn")
    return user_id, token


def venv_ready(venv: Path, requirements: list[str], *, program: str) -> Path:
    """`venv`'s bin/`program`, the virtualenv created with `requirements` on first use: a
    competitor installed beside Counsel, never into its environment."""
    path = venv / "bin" / program
    if path.exists():
        return path
    print(f"Creating the virtualenv {venv} (first run only)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    done = subprocess.run(
        [str(pip), "install", "-q", *requirements], capture_output=True, text=True
    )
    if done.returncode or not path.exists():
        raise BenchError(f"pip install {' '.join(requirements)}: {done.stderr[-2000:]}")
    return path


def litellm_ready() -> Path:
    return venv_ready(LITELLM_VENV, LITELLM_REQUIREMENTS, program="litellm")


def start_litellm(
    procs: Processes,
    fake_base_url: str,
    port: int,
    workdir: Path,
    master_key: str,
    *,
    cache: bool = True,
) -> None:
    litellm = litellm_ready()
    config = workdir / "litellm.yaml"
    settings: dict[str, object] = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": fake_base_url,
                    "api_key": "bench-key",
                },
            }
        ]
    }
    if cache:
        # In-memory ("local"): each worker keeps its own, so each worker's first request for
        # the prompt is a miss; the warm-up fills one, the other fills at the start of the run.
        settings["litellm_settings"] = {"cache": True, "cache_params": {"type": "local"}}
    config.write_text(json.dumps(settings))
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TZ"}}
    env["LITELLM_LOG"] = "ERROR"
    # Its model price list from the bundled copy: otherwise it fetches it from GitHub.
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    # uvicorn kills a worker that does not answer its supervisor within 5 s, and a worker
    # importing LiteLLM on a busy machine takes longer, forever replaced by another.
    env["TIMEOUT_WORKER_HEALTHCHECK"] = "120"
    # It refuses to start without a master key; clients then show it as a bearer token.
    env["LITELLM_MASTER_KEY"] = master_key
    process = procs.start(
        "litellm",
        [
            *(str(litellm), "--config", str(config), "--num_workers", str(WORKERS)),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env,
    )
    wait_http(
        f"http://127.0.0.1:{port}/health/liveliness", seconds=300, process=process, name="litellm"
    )


# --- the run -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: dict[str, Result], *, seconds: int, connections: int) -> None:
    cpus = os.cpu_count()
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {cpus} cores, "
        f"Python {platform.python_version()}, wrk -d{seconds}s at -t2 -c{connections} and -t1 -c1"
    )
    print()
    print("| scenario | requests/s | p50 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results.values():
        print(
            f"| {r.name} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} |"
        )
    print()
    for conns in (connections, 1):
        floor, hit, miss, fake = (results[f"{k}@{conns}"] for k in ("floor", "hit", "miss", "fake"))
        hit_vs_floor = hit.p50_ms / floor.p50_ms
        overhead = miss.p50_ms - fake.p50_ms
        print(f"at {conns} connection(s):")
        print(
            f"  cache hit p50 / bare view p50: {hit_vs_floor:.2f}x  "
            f"(target <= {HIT_VS_FLOOR}x: {verdict(hit_vs_floor <= HIT_VS_FLOOR)})"
        )
        target = (
            ""
            if conns != 1
            else f"  (target <= {MISS_OVERHEAD_MS} ms: "
            + (f"{verdict(overhead <= MISS_OVERHEAD_MS)})")
        )
        print(f"  our miss overhead (miss p50 - fake LLM p50): {overhead:.2f} ms{target}")
    hit = results[f"hit@{connections}"]
    if "litellm" in results:
        lite = results["litellm"]
        throughput = hit.requests_per_s / lite.requests_per_s
        print(
            f"at {connections} connections, our cache-hit throughput / LiteLLM's: "
            f"{throughput:.2f}x  (target >= {HITS_VS_LITELLM}x: "
            f"{verdict(throughput >= HITS_VS_LITELLM)})"
        )
        print(f"our cache-hit p50 / LiteLLM's: {hit.p50_ms / lite.p50_ms:.2f}x")
    else:
        print("LiteLLM: not measured (see above)")


def run(args: argparse.Namespace, procs: Processes, workdir: Path) -> dict[str, Result]:
    for tool, hint in (
        ("wrk", "apt-get install wrk"),
        ("mysql", "apt-get install mariadb-client"),
        ("redis-cli", "apt-get install redis-tools"),
    ):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is missing: {hint}")
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    seconds, connections = args.seconds, args.connections
    wrk = {"seconds": seconds, "connections": connections, "script": script}

    redis_flush(REDIS_DB)
    mysql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    mysql(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    fake = start_fake_llm(procs)
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    user_id, token = start_counsel(
        procs, counsel_env(fake_base_url=fake, metrics_dir=metrics_dir), port
    )
    base = f"http://127.0.0.1:{port}"
    auth = f"Bearer {token}"
    chat = {"userId": user_id, "message": CHAT_MESSAGE}
    completion = {"model": MODEL, "messages": [{"role": "user", "content": CHAT_MESSAGE}]}

    status, _, text = post_json(f"{base}/api/ai/chat", chat, {"Authorization": auth})
    if status != 200:
        raise BenchError(f"warm-up chat answered {status}: {text[:500]}")
    status, _, text = post_json(f"{base}/api/ai/chat", chat, {"Authorization": auth})
    if status != 200 or not json.loads(text).get("cached"):
        raise BenchError(f"the second identical chat was not a cache hit ({status}): {text[:500]}")

    results: dict[str, Result] = {}
    plan = [
        (
            "fake",
            "fake LLM alone (POST /v1/chat/completions)",
            f"{fake}/chat/completions",
            {"body": completion},
        ),
        (
            "floor",
            "GET /api/auth/me (bare authenticated view)",
            f"{base}/api/auth/me",
            {"auth": auth},
        ),
        (
            "hit",
            "POST /api/ai/chat, cache hit",
            f"{base}/api/ai/chat",
            {"auth": auth, "body": chat},
        ),
        (
            "miss",
            "POST /api/ai/chat, cache miss (fake LLM)",
            f"{base}/api/ai/chat",
            {"auth": auth, "body": {**chat, "message": CHAT_MESSAGE + " UNIQUE"}, "unique": True},
        ),
    ]
    # At 16 connections on a worker per core a request mostly waits its turn; one connection
    # gives the time a request itself takes, which is what the overhead targets are about.
    for conns in (connections, 1):
        for key, name, url, extra in plan:
            label = f"{name}, {conns} conn"
            print(f"measuring: {label}", flush=True)
            results[f"{key}@{conns}"] = run_wrk(
                label, url, **{**wrk, "connections": conns}, **extra
            )

    try:
        lite_port = free_port()
        master_key = "sk-" + secrets.token_hex(16)
        start_litellm(procs, fake, lite_port, workdir, master_key)
    except (BenchError, subprocess.CalledProcessError) as error:
        print(f"LiteLLM could not be started: {error}\n{procs.log_tail('litellm')}")
        return results
    lite_url = f"http://127.0.0.1:{lite_port}/v1/chat/completions"
    lite_auth = {"Authorization": f"Bearer {master_key}"}
    for _ in range(3):  # the first one fills its cache
        status, headers, text = post_json(lite_url, completion, lite_auth)
        if status != 200:
            print(f"LiteLLM answered {status}: {text[:500]}")
            return results
    print(f"LiteLLM cache headers: { {k: v for k, v in headers.items() if 'cache' in k.lower()} }")
    print("measuring: LiteLLM proxy, cache hit", flush=True)
    results["litellm"] = run_wrk(
        f"LiteLLM proxy, cache hit (in-memory cache), {connections} conn",
        lite_url,
        **wrk,
        body=completion,
        auth=lite_auth["Authorization"],
    )
    return results


def cleanup_for(
    *, db_name: str, redis_db: int, more: tuple[Callable[[], object], ...] = ()
) -> Callable[[Processes], None]:
    """A bench's cleanup: stop what it started, drop its database, flush its Redis db, then
    `more` steps of its own."""

    def cleanup(procs: Processes) -> None:
        procs.stop_all()
        steps = (
            lambda: mysql(f"DROP DATABASE IF EXISTS {db_name}"),
            lambda: redis_flush(redis_db),
            *more,
        )
        for step in steps:
            try:
                step()
            except Exception as error:
                # Broad on purpose: each step is tried, whatever the one before it raised.
                print(f"cleanup: {error}", file=sys.stderr)

    return cleanup


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt()


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="counsel-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_in_workspace(
    run: Callable[[Processes, Path], T],
    cleanup: Callable[[Processes], None],
    report: Callable[[T], None],
) -> int:
    """`run(procs, workdir)` in a temporary folder, then `cleanup(procs)` whatever happened,
    then `report(results)`; the bench's exit status. 1, with the end of each child's log on
    stderr, when it failed or was interrupted."""
    with workspace() as workdir:
        procs = Processes(workdir)
        # SIGTERM (a killed bench) must clean up as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupted)
        try:
            results = run(procs, workdir)
        except (BenchError, KeyboardInterrupt, OSError) as error:
            print(f"bench failed: {str(error) or 'interrupted'}", file=sys.stderr)
            for name, _ in procs.started:
                tail = procs.log_tail(name)
                if tail:
                    print(f"--- {name} log ---\n{tail}", file=sys.stderr)
            return 1
        finally:
            cleanup(procs)
    report(results)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each scenario")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    return run_in_workspace(
        lambda procs, workdir: run(args, procs, workdir),
        cleanup_for(db_name=DB_NAME, redis_db=REDIS_DB),
        lambda results: report(results, seconds=args.seconds, connections=args.connections),
    )


if __name__ == "__main__":
    sys.exit(main())
