"""Drafting benchmark, run on demand (never in CI):

    .venv/bin/python bench/draft_bench.py [--singles 50] [--batch 100] [--llm-latency-ms 0 500]
        [--steady-llm-ms 2000] [--steady-drafts 1000] [--steady-drafts-prefork 60]
        [--pools prefork threads] [--prefork-concurrency CORES] [--threads-concurrency N]
        [--database counsel_draftbench] [--redis-db 14] [--port 0]

On loopback only it starts Counsel on its production server and settings (as
bench/load_bench.py does, on its own MariaDB database and Redis db), the asyncio fake
OpenAI-compatible model of tests/async_fake_llm.py (a short NDA as its answer; its delay set
before each scenario) and, for each pool in turn, a real `celery -A config worker` on RabbitMQ
with a queue of the bench's own, deleted at the end: `prefork` is CELERY_WORKER_POOL=prefork
with a process per core (what drafting ran on before), `threads` the settings' pool and
concurrency (CELERY_WORKER_POOL, CELERY_WORKER_CONCURRENCY) unless told. Each worker first
drafts a few to warm up, then, for each model latency, NDA drafts, each with inputs of its
own so that none is an AI cache hit:

- singles: `POST /api/ai/generate-document` with `"async": true`, one at a time, each
  polled on its status URL until drafted before the next is sent;
- burst: the same requests sent back to back, then waited for;
- batch: a CSV of that many rows uploaded on the batch page by a lawyer logged in with a TOTP
  code, as a browser does;

and last the steady row: with the model answering in `--steady-llm-ms`, that many drafts
uploaded as CSV batches of at most 500 rows (the page's limit), back to back: enough rounds of
the pool that its start and its end weigh little in drafts a minute.

Queued -> drafted is the Draft row's time of drafting (its `updated_at`) minus the moment its
request was sent: for a batch row, the moment its upload was sent. The job is the part from a
worker claiming the draft (`claimed_at`) to drafted. Wall time runs from the first request sent
to the last draft drafted. While a scenario runs a thread samples, every 0.2 s, the worker's
database connections (its processes' TCP sockets to MariaDB, from /proc), its memory (RSS
summed over its processes; prefork's share pages, so their sum overstates) and MariaDB's
`Threads_connected` (the whole server's, other clients included); the fake model counts the
most calls it held at once. Everything it started is stopped at the end, the database
dropped, the Redis db flushed and the queue deleted, also when a step fails.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.cookiejar
import io
import itertools
import json
import os
import platform
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
import MySQLdb
from django_otp.oath import totp
from kombu import Connection

from bench.load_bench import (
    MYSQL,
    ROOT,
    WORKERS,
    BenchError,
    Processes,
    cleanup_for,
    counsel_env,
    free_port,
    manage,
    mysql,
    percentile,
    post_json,
    redis_flush,
    run_in_workspace,
    start_counsel,
    start_fake_llm,
)

# The document types import Django's auth (through the API errors): the bench reads NDA's
# fields with the embedded default settings, and never touches their database.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from drafting.apis import inputs_on_the_wire  # noqa: E402
from drafting.doctypes.catalogue import NDA  # noqa: E402

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
QUEUE = f"counsel-draftbench-{secrets.token_hex(4)}"
POLL_SECONDS = 0.02
SAMPLE_SECONDS = 0.2
WORKER_READY_SECONDS = 60
# The batch page's limit on rows (drafting.batches.MAX_BATCH_ROWS).
MAX_BATCH_ROWS = 500
# Drafts that warm a new worker up (its pool's first jobs), at most.
WARM_UP_DRAFTS = 16
# What the fake model answers: a short NDA in the numbered sections a model is asked for, with
# the placeholders Counsel put in the prompt for the parties' names.
MODEL_TEXT = "\n\n".join(
    [
        "MUTUAL NON-DISCLOSURE AGREEMENT",
        "1. Parties\n\nThis agreement is made between <PERSON_1> and <PERSON_2>.",
        "2. Purpose\n\nThe parties will exchange confidential information to evaluate a "
        "possible collaboration, and for no other purpose.",
        "3. Confidential information\n\nEach party keeps the other's confidential information "
        "secret, uses it only for the purpose and discloses it only to those who need it.",
        "4. Term\n\nThis agreement lasts two years; the duty of confidence lasts five years "
        "after it ends.",
        "5. Governing law\n\nThe laws of England and Wales govern this agreement, and the "
        "courts of England and Wales have exclusive jurisdiction.",
    ]
)
LAWYER_PASSWORD = "bench-" + secrets.token_urlsafe(18)
SETUP_LAWYER = f"""
from accounts.models import User
from accounts.services import tokens_for, totp_device_create, user_create
user = user_create(username="bench-lawyer", password="{LAWYER_PASSWORD}", role=User.Role.LAWYER)
device = totp_device_create(user=user)
print(device.key, tokens_for(user=user, otp_verified=True)["access"])
"""
_FINISHED = ("drafted", "failed")
_serial = itertools.count(1)


@dataclass(frozen=True)
class DraftRow:
    id: int
    status: str
    claimed_at: float  # Unix times; 0 when never claimed
    updated_at: float  # for a finished draft, when it finished
    failure_reason: str
    batch_id: int | None


@dataclass(frozen=True)
class Peaks:
    """The most seen at once while a scenario ran."""

    model_calls: int = 0  # calls the fake model held
    worker_db: int = 0  # the worker's database connections
    threads_connected: int = 0  # MariaDB's, the whole server's
    threads_connected_before: int = 0  # ... just before the scenario
    worker_rss_mb: float = 0.0


@dataclass(frozen=True)
class Result:
    scenario: str  # "singles", "burst" or "batch"
    llm_ms: int
    drafts: int
    wall_s: float
    latencies_ms: list[float]  # request sent -> drafted
    jobs_ms: list[float]  # claimed by a worker -> drafted: the job alone
    failed: int
    pool: str = ""  # as the worker's banner names it, with its concurrency
    peaks: Peaks = Peaks()

    @property
    def per_minute(self) -> float:
        return self.drafts / self.wall_s * 60

    @property
    def name(self) -> str:
        total = self.drafts + self.failed
        described = {
            "singles": f"{total} async drafts, one at a time",
            "burst": f"{total} async drafts, sent back to back",
            "batch": f"{total} batch rows (CSV uploads of at most {MAX_BATCH_ROWS})",
        }[self.scenario]
        return f"{described}, LLM {self.llm_ms} ms"


def nda_inputs() -> dict[str, Any]:
    """The NDA's example inputs with a purpose no other draft has: each draft asks the model."""
    inputs = dict(NDA.example_inputs)
    inputs["purpose"] += f" (bench matter {next(_serial)})"
    return inputs


# --- Counsel's parts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Worker:
    name: str
    pid: int
    pool: str  # "prefork 2", "thread 64": what the worker says it runs


def start_worker(
    procs: Processes, env: dict[str, str], name: str, pool: str, concurrency: int | None
) -> Worker:
    """A ready `celery -A config worker`: on CELERY_WORKER_POOL=prefork for "prefork", on the
    settings' pool for "threads"; `concurrency` None leaves it to the settings."""
    celery = str(ROOT / ".venv" / "bin" / "celery")
    if pool == "prefork":
        env = {**env, "CELERY_WORKER_POOL": "prefork"}
    options = ["--concurrency", str(concurrency)] if concurrency is not None else []
    process = procs.start(
        name,
        [
            *(celery, "-A", "config", "worker", *options),
            *("--loglevel", "INFO", "--hostname", f"{name}-{secrets.token_hex(4)}@%h"),
            # Other workers share the broker: no talk with them.
            *("--without-mingle", "--without-gossip"),
        ],
        env,
    )
    deadline = time.monotonic() + WORKER_READY_SECONDS
    log = procs.logs / f"{name}.log"
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"the Celery worker did not become ready: {procs.log_tail(name)}")
        time.sleep(0.2)
    banner = re.search(r"concurrency: (\d+) \((\w+)\)", log.read_text(errors="replace"))
    if not banner:
        raise BenchError(f"the Celery worker's banner names no pool: {procs.log_tail(name)}")
    return Worker(name, process.pid, f"{banner[2]} {banner[1]}")


def stop(procs: Processes, name: str) -> None:
    """Stop one started child and its process group; stop_all skips it later."""
    for started, process in procs.started:
        if started == name:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


class Database:
    """Reads the drafts' state and times straight from the bench's database."""

    def __init__(self, name: str) -> None:
        self.connection = MySQLdb.connect(
            host=MYSQL["host"], port=MYSQL["port"], user=MYSQL["user"], database=name
        )
        # Each query must see what the workers committed since the last one.
        self.connection.autocommit(True)

    def drafts(self, where: str, params: tuple[Any, ...]) -> list[DraftRow]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, status, claimed_at, updated_at, failure_reason, batch_id "
                f"FROM drafting_draft WHERE {where}",
                params,
            )
            # Django stores UTC without a zone on MariaDB.
            return [
                DraftRow(
                    pk,
                    status,
                    claimed.replace(tzinfo=UTC).timestamp() if claimed else 0.0,
                    updated.replace(tzinfo=UTC).timestamp(),
                    reason,
                    batch_id,
                )
                for pk, status, claimed, updated, reason, batch_id in cursor.fetchall()
            ]

    def close(self) -> None:
        self.connection.close()


# --- what the machine sees ---------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a prefork worker's pool processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name, in parentheses, may hold spaces: the parent follows it.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(found[1]) if found else 0
    return total_kb / 1024


def database_connections(pids: list[int]) -> int:
    """The processes' established TCP connections to MariaDB's port."""
    sockets = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        sockets.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                established = fields[3] == "01"
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if established and remote_port == MYSQL["port"] and fields[9] in sockets:
                    count += 1
    return count


class Sampler:
    """Samples the peaks of a scenario every SAMPLE_SECONDS, in a thread of its own, from
    entering to leaving it."""

    def __init__(self, worker_pid: int) -> None:
        self.worker_pid = worker_pid
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._connection = MySQLdb.connect(
            host=MYSQL["host"], port=MYSQL["port"], user=MYSQL["user"]
        )

    def __enter__(self) -> Sampler:
        before = self._threads_connected()
        self.peaks = Peaks(threads_connected=before, threads_connected_before=before)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            pids = process_tree(self.worker_pid)
            peaks = self.peaks
            self.peaks = replace(
                peaks,
                worker_db=max(peaks.worker_db, database_connections(pids)),
                threads_connected=max(peaks.threads_connected, self._threads_connected()),
                worker_rss_mb=max(peaks.worker_rss_mb, rss_mb(pids)),
            )

    def _threads_connected(self) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
            return int(cursor.fetchone()[1])


class Model:
    """The fake model's controls: its delay, and the most calls it held at once."""

    def __init__(self, base_url: str) -> None:
        self.root = base_url.removesuffix("/v1")

    def reset(self, ms: int) -> None:
        """Answer after `ms` from now on, and count afresh."""
        status, _, text = post_json(f"{self.root}/reset", {"seconds": ms / 1000}, {})
        if status != 200:
            raise BenchError(f"the fake model's reset answered {status}: {text[:200]}")

    def peak(self) -> int:
        return get_json(f"{self.root}/stats", {})["peak"]


# --- the browser -------------------------------------------------------------------------------


class Browser:
    """Counsel's pages as a browser sees them: cookies, and each form's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        # Production cookies are Secure; there is no TLS on loopback.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("http", "https"))
        jar = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def open(self, path: str, data: bytes | None = None, content_type: str = "") -> tuple[str, str]:
        """The final URL after redirects, and the page."""
        headers = {"Content-Type": content_type} if content_type else {}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(request, timeout=60) as response:
            return response.url, response.read().decode()

    def csrf_token(self, path: str) -> str:
        _, page = self.open(path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            raise BenchError(f"no CSRF token on {path}")
        return found[1]

    def log_in(self, username: str, password: str, otp: str) -> None:
        form = {
            "csrfmiddlewaretoken": self.csrf_token("/accounts/login/"),
            "username": username,
            "password": password,
            "otp": otp,
        }
        url, page = self.open(
            "/accounts/login/",
            urllib.parse.urlencode(form).encode(),
            "application/x-www-form-urlencoded",
        )
        if urllib.parse.urlsplit(url).path.startswith("/accounts/login"):
            raise BenchError(f"the lawyer's login failed: {page[:1000]}")

    def upload_batch(self, type_id: str, csv_text: str) -> int:
        """Upload a batch on its page; the new batch's id."""
        boundary = secrets.token_hex(16)
        fields = {
            "csrfmiddlewaretoken": self.csrf_token("/drafting/batches/"),
            "document_type": type_id,
            "case": "",
        }
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="csv_file"; '
            f'filename="{type_id}.csv"\r\nContent-Type: text/csv\r\n\r\n{csv_text}\r\n'
            f"--{boundary}--\r\n"
        )
        url, page = self.open(
            "/drafting/batches/",
            "".join(parts).encode(),
            f"multipart/form-data; boundary={boundary}",
        )
        batch = re.search(r"/drafting/batches/(\d+)/$", url)
        if not batch:
            raise BenchError(f"the batch upload was refused: {page[:1000]}")
        return int(batch[1])


# --- the scenarios -----------------------------------------------------------------------------


def get_json(url: str, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def request_draft(base: str, auth: dict[str, str]) -> tuple[int, str, float]:
    """Ask for one async draft: (draft id, status URL, Unix time the request was sent)."""
    sent = time.time()
    body = {"type": "nda", "inputs": inputs_on_the_wire(nda_inputs()), "async": True}
    status, _, text = post_json(f"{base}/api/ai/generate-document", body, auth)
    if status != 202:
        raise BenchError(f"generate-document answered {status}: {text[:500]}")
    accepted = json.loads(text)
    return accepted["draftId"], base + accepted["statusUrl"], sent


def finish_deadline(count: int) -> float:
    """When waiting for `count` drafts gives up: generous, only a hang should reach it."""
    return time.monotonic() + 120 + count * 5


def wait_finished(db: Database, where: str, params: tuple[Any, ...], count: int) -> list[DraftRow]:
    deadline = finish_deadline(count)
    while time.monotonic() < deadline:
        rows = db.drafts(where, params)
        if len(rows) == count and all(row.status in _FINISHED for row in rows):
            return rows
        time.sleep(POLL_SECONDS)
    raise BenchError(f"{count} drafts were not finished in time: {db.drafts(where, params)}")


def result(
    scenario: str, llm_ms: int, rows: list[DraftRow], sent: dict[int, float], start: float
) -> Result:
    drafted = [row for row in rows if row.status == "drafted"]
    failures = [row.failure_reason for row in rows if row.status == "failed"]
    if failures:
        print(f"{scenario}: {len(failures)} failed, e.g. {failures[0]!r}", flush=True)
    return Result(
        scenario,
        llm_ms,
        drafts=len(drafted),
        wall_s=max(row.updated_at for row in rows) - start,
        latencies_ms=[(row.updated_at - sent[row.id]) * 1000 for row in drafted],
        jobs_ms=[(row.updated_at - row.claimed_at) * 1000 for row in drafted],
        failed=len(failures),
    )


def singles(db: Database, base: str, auth: dict[str, str], count: int, llm_ms: int) -> Result:
    sent: dict[int, float] = {}
    for _ in range(count):
        draft_id, status_url, sent[draft_id] = request_draft(base, auth)
        deadline = finish_deadline(1)
        while get_json(status_url, auth)["status"] not in _FINISHED:
            if time.monotonic() > deadline:
                raise BenchError(f"draft {draft_id} was not finished in time")
            time.sleep(POLL_SECONDS)
    rows = wait_finished(db, "id IN %s", (tuple(sent),), count)
    return result("singles", llm_ms, rows, sent, min(sent.values()))


def burst(db: Database, base: str, auth: dict[str, str], count: int, llm_ms: int) -> Result:
    sent: dict[int, float] = {}
    for _ in range(count):
        draft_id, _status_url, sent[draft_id] = request_draft(base, auth)
    rows = wait_finished(db, "id IN %s", (tuple(sent),), count)
    return result("burst", llm_ms, rows, sent, min(sent.values()))


def batches(db: Database, browser: Browser, count: int, llm_ms: int) -> Result:
    """`count` rows uploaded on the batch page, in as few batches as its limit allows, each
    uploaded as soon as the one before was accepted."""
    uploaded: dict[int, float] = {}
    for first in range(0, count, MAX_BATCH_ROWS):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[field.name for field in NDA.fields])
        writer.writeheader()
        writer.writerows(nda_inputs() for _ in range(min(MAX_BATCH_ROWS, count - first)))
        sent = time.time()
        uploaded[browser.upload_batch("nda", buffer.getvalue())] = sent
    rows = wait_finished(db, "batch_id IN %s", (tuple(uploaded),), count)
    sent_at = {row.id: uploaded[row.batch_id] for row in rows if row.batch_id is not None}
    return result("batch", llm_ms, rows, sent_at, min(uploaded.values()))


def measured(worker: Worker, model: Model, llm_ms: int, scenario: Callable[[], Result]) -> Result:
    """`scenario()` run with the model answering in `llm_ms`, with its peaks."""
    model.reset(llm_ms)
    with Sampler(worker.pid) as sampler:
        done = scenario()
    peaks = replace(sampler.peaks, model_calls=model.peak())
    return replace(done, pool=worker.pool, peaks=peaks)


# --- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, procs: Processes, workdir: Path) -> list[Result]:
    redis_flush(args.redis_db)
    mysql(f"DROP DATABASE IF EXISTS {args.database}")
    mysql(f"CREATE DATABASE {args.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    port = args.port or free_port()
    fake_port = args.port + 1 if args.port else 0
    fake = start_fake_llm(
        procs,
        *("--seconds", "0", "--text", MODEL_TEXT, "--port", str(fake_port)),
        script="tests/async_fake_llm.py",
    )
    model = Model(fake)
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    env = {
        **counsel_env(fake_base_url=fake, metrics_dir=metrics_dir),
        "DATABASE_URL": f"mysql://root@127.0.0.1:3306/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_QUEUE": QUEUE,
        "AI_RATE_LIMIT_GENERATE": "1000000/60",
        "AI_RATE_LIMIT_GENERATE_ADDRESS": "1000000/60",
    }
    start_counsel(procs, env, port)
    key, token = manage(env, "shell", "-c", SETUP_LAWYER).split()[-2:]
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    browser = Browser(base)
    browser.log_in("bench-lawyer", LAWYER_PASSWORD, f"{totp(bytes.fromhex(key)):06d}")
    db = Database(args.database)
    concurrency = {"prefork": args.prefork_concurrency, "threads": args.threads_concurrency}
    steady = {"prefork": args.steady_drafts_prefork, "threads": args.steady_drafts}
    results = []
    try:
        for pool in args.pools:
            worker = start_worker(procs, env, f"worker-{pool}", pool, concurrency[pool])
            print(f"measuring the worker on {worker.pool}", flush=True)
            model.reset(0)
            per_process = int(worker.pool.split()[1])
            burst(db, base, auth, min(2 * per_process, WARM_UP_DRAFTS), 0)
            for ms in args.llm_latency_ms:
                for scenario in (
                    partial(singles, db, base, auth, args.singles, ms),
                    partial(burst, db, base, auth, args.singles, ms),
                    partial(batches, db, browser, args.batch, ms),
                ):
                    results.append(measured(worker, model, ms, scenario))
            ms = args.steady_llm_ms
            scenario = partial(batches, db, browser, steady[pool], ms)
            results.append(measured(worker, model, ms, scenario))
            stop(procs, worker.name)
    finally:
        db.close()
    return results


def report(results: list[Result]) -> None:
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; Counsel on {WORKERS} web processes; one celery worker"
    )
    print()
    print(
        "| scenario | pool | drafts | wall s | drafts/min | queued→drafted p50 ms | p99 ms "
        "| job p50 ms | failed | most calls at the model | worker DB connections "
        "| Threads_connected (before) | worker RSS MB |"
    )
    print("| --- | --- |" + " ---: |" * 11)
    for r in results:
        peaks = r.peaks
        print(
            f"| {r.name} | {r.pool} | {r.drafts} | {r.wall_s:.1f} | {r.per_minute:,.0f} | "
            f"{percentile(r.latencies_ms, 50):.0f} | {percentile(r.latencies_ms, 99):.0f} | "
            f"{percentile(r.jobs_ms, 50):.0f} | {r.failed} | {peaks.model_calls} | "
            f"{peaks.worker_db} | {peaks.threads_connected} ({peaks.threads_connected_before}) | "
            f"{peaks.worker_rss_mb:.0f} |"
        )
    by_pool: dict[str, dict[tuple[str, int], Result]] = {}
    for r in results:
        by_pool.setdefault(r.pool, {})[(r.scenario, r.llm_ms)] = r
    if len(by_pool) != 2:
        return
    (before, earlier), (after, later) = by_pool.items()
    print()
    print(f"| scenario | LLM ms | {before} drafts/min | {after} drafts/min | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key, old in earlier.items():
        new = later.get(key)
        if new is not None:
            print(
                f"| {key[0]} | {key[1]} | {old.per_minute:,.0f} | {new.per_minute:,.0f} | "
                f"{new.per_minute / old.per_minute:.2f}x |"
            )


def queue_delete() -> None:
    # Queues outlive their consumers on RabbitMQ; this one is never used again.
    with Connection(BROKER_URL) as connection:
        connection.default_channel.queue_delete(QUEUE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--singles", type=int, default=50, help="drafts asked for one by one")
    parser.add_argument("--batch", type=int, default=100, help="rows of the uploaded batch")
    parser.add_argument(
        "--llm-latency-ms", type=int, nargs="+", default=[0, 500], help="the model's delays"
    )
    parser.add_argument(
        "--steady-llm-ms", type=int, default=2000, help="the model's delay in the steady row"
    )
    parser.add_argument(
        "--steady-drafts", type=int, default=1000, help="drafts of the steady row, threads"
    )
    parser.add_argument(
        "--steady-drafts-prefork",
        type=int,
        default=60,
        help="drafts of the steady row, prefork (about a minute with a process per core)",
    )
    parser.add_argument(
        "--pools", nargs="+", choices=["prefork", "threads"], default=["prefork", "threads"]
    )
    parser.add_argument(
        "--prefork-concurrency",
        type=int,
        default=WORKERS,
        help=f"the prefork pool's processes (default: one per core, {WORKERS})",
    )
    parser.add_argument(
        "--threads-concurrency",
        type=int,
        default=None,
        help="the threads pool's threads (default: the settings', CELERY_WORKER_CONCURRENCY)",
    )
    parser.add_argument("--database", default="counsel_draftbench", help="created and dropped")
    parser.add_argument("--redis-db", type=int, default=14, help="flushed before and after")
    parser.add_argument(
        "--port", type=int, default=0, help="gunicorn's, the fake model's next (default: free)"
    )
    args = parser.parse_args()
    return run_in_workspace(
        lambda procs, workdir: run(args, procs, workdir),
        cleanup_for(db_name=args.database, redis_db=args.redis_db, more=(queue_delete,)),
        report,
    )


if __name__ == "__main__":
    sys.exit(main())
