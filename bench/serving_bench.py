"""Benchmark of the production server against an alternative, run on demand (never in CI):

    .venv/bin/python bench/serving_bench.py [--seconds 10] [--rounds 3]
        [--db-name counsel_servebench] [--redis-db 12] [--first-port PORT]

On loopback only it starts Counsel twice with the production settings, both on the same
MariaDB database and Redis db (dropped and flushed at the end) and with one process per
core: under gunicorn with gunicorn.conf.py (uvicorn workers, the production server) and under
granian (ASGI, uvloop; from requirements-dev.txt, not a production requirement).
wrk then measures on each, at 1 and 64 connections for S seconds: `GET /api/auth/me` (a bare
authenticated JSON view: JWT auth and one user lookup) and a static file served by the app
(WhiteNoise). The servers take turns, round after round, so that a busy moment of the
machine falls on both; it prints each figure's median and range over the rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_bench import (
    VENV_BIN,
    WORKERS,
    WRK_SCRIPT,
    BenchError,
    Processes,
    Result,
    cleanup_for,
    counsel_env,
    free_port,
    mysql,
    prepare_counsel,
    redis_flush,
    run_in_workspace,
    run_wrk,
    serve_counsel,
)

SERVERS = ("gunicorn", "granian")
CONNECTIONS = (1, 64)
STATIC_PATH = "/static/css/counsel.css"


def run(args: argparse.Namespace, procs: Processes, workdir: Path) -> dict[str, list[Result]]:
    for tool in ("wrk", "mysql", "redis-cli"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is missing")
    if not (VENV_BIN / "granian").exists():
        raise BenchError("granian is missing: .venv/bin/pip install -r requirements-dev.txt")
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    redis_flush(args.redis_db)
    mysql(f"DROP DATABASE IF EXISTS {args.db_name}")
    mysql(f"CREATE DATABASE {args.db_name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    env = {
        # No AI call is made: the model's address only has to be well formed.
        **counsel_env(fake_base_url="http://127.0.0.1:9/v1", metrics_dir=metrics_dir),
        "DATABASE_URL": f"mysql://root@127.0.0.1:3306/{args.db_name}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
    }
    _, token = prepare_counsel(env)
    auth = f"Bearer {token}"
    bases = {}
    for number, server in enumerate(SERVERS):
        port = args.first_port + number if args.first_port else free_port()
        serve_counsel(procs, env, port, server=server)
        bases[server] = f"http://127.0.0.1:{port}"

    results: dict[str, list[Result]] = {}
    for round_number in range(1, args.rounds + 1):
        for server in SERVERS:
            for conns in CONNECTIONS:
                for scenario, path, extra in (
                    ("GET /api/auth/me", "/api/auth/me", {"auth": auth}),
                    (f"GET {STATIC_PATH}", STATIC_PATH, {}),
                ):
                    label = f"{server}, {scenario}, {conns} conn"
                    print(f"round {round_number}: {label}", flush=True)
                    results.setdefault(label, []).append(
                        run_wrk(
                            label,
                            bases[server] + path,
                            seconds=args.seconds,
                            connections=conns,
                            script=script,
                            **extra,
                        )
                    )
    return results


def spread(values: list[float], unit: str = "") -> str:
    return f"{statistics.median(values):,.1f}{unit} ({min(values):,.1f}-{max(values):,.1f})"


def report(results: dict[str, list[Result]], args: argparse.Namespace) -> None:
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {WORKERS} processes per server, "
        f"wrk -d{args.seconds}s, median (min-max) of {args.rounds} rounds"
    )
    print()
    print("| server, request, connections | requests/s | p50 ms | errors |")
    print("| --- | ---: | ---: | ---: |")
    for label, runs in results.items():
        rps = spread([r.requests_per_s for r in runs])
        p50 = spread([r.p50_ms for r in runs])
        print(f"| {label} | {rps} | {p50} | {sum(r.errors for r in runs)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db-name", default="counsel_servebench")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument(
        "--first-port", type=int, default=0, help="the servers' ports from here (default: free)"
    )
    args = parser.parse_args()
    return run_in_workspace(
        lambda procs, workdir: run(args, procs, workdir),
        cleanup_for(db_name=args.db_name, redis_db=args.redis_db),
        lambda results: report(results, args),
    )


if __name__ == "__main__":
    sys.exit(main())
