"""Drafting benchmark, run on demand (never in CI):

    .venv/bin/python bench/draft_bench.py [--singles 50] [--batch 100] [--llm-latency-ms 0 500]
        [--worker-concurrency CORES]

On loopback only it starts Counsel on its production server and settings (as
bench/load_bench.py does, on MariaDB database counsel_draftbench and Redis db 14), a real
`celery -A config worker` (a pool process per core unless told) on RabbitMQ with a queue of
the bench's own, deleted at the end, and the fake OpenAI-compatible LLM once per model
latency. For each latency, with a worker pointed at that fake, it measures NDA drafts, each
with inputs of its own so that none is an AI cache hit:

- singles: `POST /api/ai/generate-document` with `"async": true`, one at a time, each
  polled on its status URL until drafted before the next is sent;
- burst: the same requests sent back to back, then waited for;
- batch: a CSV of that many rows uploaded on the batch page by a lawyer logged in with a TOTP
  code, as a browser does.

Request -> drafted is the Draft row's time of drafting (its `updated_at`) minus the moment its
request was sent: for a batch row, the moment the upload was sent. The job is the part from a
worker claiming the draft (`claimed_at`) to drafted. Wall time runs from the first request sent
to the last draft drafted. Everything it started is stopped at the end, the database dropped,
the Redis db flushed and the queue deleted, also when a step fails.
"""

from __future__ import annotations

import argparse
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
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
from drafting.doctypes.catalogue import NDA

DB_NAME = "counsel_draftbench"
REDIS_DB = 14
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
QUEUE = f"counsel-draftbench-{secrets.token_hex(4)}"
POLL_SECONDS = 0.02
WORKER_READY_SECONDS = 60
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


@dataclass(frozen=True)
class Result:
    name: str
    drafts: int
    wall_s: float
    latencies_ms: list[float]  # request sent -> drafted
    jobs_ms: list[float]  # claimed by a worker -> drafted: the job alone
    failed: int

    @property
    def per_minute(self) -> float:
        return self.drafts / self.wall_s * 60


def nda_inputs() -> dict[str, Any]:
    """The NDA's example inputs with a purpose no other draft has: each draft asks the model."""
    inputs = dict(NDA.example_inputs)
    inputs["purpose"] += f" (bench matter {next(_serial)})"
    return inputs


# --- Counsel's parts ---------------------------------------------------------------------------


def start_worker(procs: Processes, env: dict[str, str], name: str, concurrency: int) -> None:
    celery = str(ROOT / ".venv" / "bin" / "celery")
    process = procs.start(
        name,
        [
            *(celery, "-A", "config", "worker", "--concurrency", str(concurrency)),
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


def stop(procs: Processes, name: str) -> None:
    """Stop one started child and its process group; stop_all skips it later."""
    for started, process in procs.started:
        if started == name:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


class Database:
    """Reads the drafts' state and times straight from the bench's database."""

    def __init__(self) -> None:
        self.connection = MySQLdb.connect(
            host=MYSQL["host"], port=MYSQL["port"], user=MYSQL["user"], database=DB_NAME
        )
        # Each query must see what the workers committed since the last one.
        self.connection.autocommit(True)

    def drafts(self, where: str, params: tuple[Any, ...]) -> list[DraftRow]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, status, claimed_at, updated_at, failure_reason FROM drafting_draft "
                f"WHERE {where}",
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
                )
                for pk, status, claimed, updated, reason in cursor.fetchall()
            ]

    def close(self) -> None:
        self.connection.close()


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
    body = {"type": "nda", "inputs": nda_inputs(), "async": True}
    status, _, text = post_json(f"{base}/api/ai/generate-document", body, auth)
    if status != 202:
        raise BenchError(f"generate-document answered {status}: {text[:500]}")
    accepted = json.loads(text)
    return accepted["draftId"], base + accepted["statusUrl"], sent


def wait_finished(db: Database, where: str, params: tuple[Any, ...], count: int) -> list[DraftRow]:
    deadline = time.monotonic() + 120 + count * 5
    while time.monotonic() < deadline:
        rows = db.drafts(where, params)
        if len(rows) == count and all(row.status in _FINISHED for row in rows):
            return rows
        time.sleep(POLL_SECONDS)
    raise BenchError(f"{count} drafts were not finished in time: {db.drafts(where, params)}")


def result(name: str, rows: list[DraftRow], sent: dict[int, float], start: float) -> Result:
    drafted = [row for row in rows if row.status == "drafted"]
    failures = [row.failure_reason for row in rows if row.status == "failed"]
    if failures:
        print(f"{name}: {len(failures)} failed, e.g. {failures[0]!r}", flush=True)
    return Result(
        name,
        drafts=len(drafted),
        wall_s=max(row.updated_at for row in rows) - start,
        latencies_ms=[(row.updated_at - sent[row.id]) * 1000 for row in drafted],
        jobs_ms=[(row.updated_at - row.claimed_at) * 1000 for row in drafted],
        failed=len(failures),
    )


def singles(db: Database, base: str, auth: dict[str, str], count: int, label: str) -> Result:
    sent: dict[int, float] = {}
    for _ in range(count):
        draft_id, status_url, sent[draft_id] = request_draft(base, auth)
        while get_json(status_url, auth)["status"] not in _FINISHED:
            time.sleep(POLL_SECONDS)
    rows = wait_finished(db, "id IN %s", (tuple(sent),), count)
    name = f"{count} async drafts, one at a time, {label}"
    return result(name, rows, sent, min(sent.values()))


def burst(db: Database, base: str, auth: dict[str, str], count: int, label: str) -> Result:
    sent: dict[int, float] = {}
    for _ in range(count):
        draft_id, _status_url, sent[draft_id] = request_draft(base, auth)
    rows = wait_finished(db, "id IN %s", (tuple(sent),), count)
    name = f"{count} async drafts, sent back to back, {label}"
    return result(name, rows, sent, min(sent.values()))


def batch(db: Database, browser: Browser, count: int, label: str) -> Result:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[field.name for field in NDA.fields])
    writer.writeheader()
    writer.writerows(nda_inputs() for _ in range(count))
    start = time.time()
    batch_id = browser.upload_batch("nda", buffer.getvalue())
    rows = wait_finished(db, "batch_id = %s", (batch_id,), count)
    name = f"batch of {count} (CSV upload), {label}"
    return result(name, rows, dict.fromkeys((row.id for row in rows), start), start)


# --- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, procs: Processes, workdir: Path) -> list[Result]:
    redis_flush(REDIS_DB)
    mysql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    mysql(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    fakes = {
        ms: start_fake_llm(procs, "--latency-ms", str(ms), "--text", MODEL_TEXT)
        for ms in args.llm_latency_ms
    }
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    base_env = counsel_env(fake_base_url=fakes[args.llm_latency_ms[0]], metrics_dir=metrics_dir)
    env = {
        **base_env,
        "DATABASE_URL": f"mysql://root@127.0.0.1:3306/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_QUEUE": QUEUE,
        "AI_RATE_LIMIT_GENERATE": "1000000/60",
        "AI_RATE_LIMIT_GENERATE_ADDRESS": "1000000/60",
    }
    port = free_port()
    start_counsel(procs, env, port)
    key, token = manage(env, "shell", "-c", SETUP_LAWYER).split()[-2:]
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    browser = Browser(base)
    browser.log_in("bench-lawyer", LAWYER_PASSWORD, f"{totp(bytes.fromhex(key)):06d}")
    db = Database()
    results = []
    try:
        for ms, fake in fakes.items():
            label = f"LLM {ms} ms"
            name = f"worker-{ms}ms"
            start_worker(procs, {**env, "LLM_BASE_URL": fake}, name, args.worker_concurrency)
            print(f"measuring with a fake LLM answering in {ms} ms", flush=True)
            # Warm-up: each pool process's first job.
            burst(db, base, auth, args.worker_concurrency * 2, label)
            results.append(singles(db, base, auth, args.singles, label))
            results.append(burst(db, base, auth, args.singles, label))
            results.append(batch(db, browser, args.batch, label))
            stop(procs, name)
    finally:
        db.close()
    return results


def report(results: list[Result], worker_concurrency: int) -> None:
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; gunicorn --workers {WORKERS}, "
        f"celery worker --concurrency {worker_concurrency}"
    )
    print()
    print(
        "| scenario | drafts | wall s | drafts/min | request→drafted p50 ms | p95 ms "
        "| job p50 ms | failed |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r.name} | {r.drafts} | {r.wall_s:.1f} | {r.per_minute:,.0f} | "
            f"{percentile(r.latencies_ms, 50):.0f} | {percentile(r.latencies_ms, 95):.0f} | "
            f"{percentile(r.jobs_ms, 50):.0f} | {r.failed} |"
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
        "--llm-latency-ms", type=int, nargs="+", default=[0, 500], help="the fake's delays"
    )
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=WORKERS,
        help=f"the Celery worker's pool processes (default: one per core, {WORKERS})",
    )
    args = parser.parse_args()
    results = run_in_workspace(
        lambda procs, workdir: run(args, procs, workdir),
        cleanup_for(db_name=DB_NAME, redis_db=REDIS_DB, more=(queue_delete,)),
    )
    if results is None:
        return 1
    report(results, args.worker_concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
