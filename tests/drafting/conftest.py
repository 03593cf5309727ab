"""Drafting fixtures: eager Celery for the job logic, and a real Celery worker process.

`celery_worker_process` starts `celery -A config worker` as a separate process on the test
database, the same Redis and the same broker as the tests (the filesystem broker folder
locally, RabbitMQ in CI), listening on a queue of its own for this test session so that
concurrent runs never take each other's jobs. Its pool is production's, from the settings (a
pool of threads inside the one process), with fewer threads unless a test asks for more.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.celery_settings import celery_conf
from tests.databases import database_url

CELERY = Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"
READY_TIMEOUT_S = 30
_TEST_QUEUE = f"counsel-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker process, as the OOM killer would: its pool's threads, and every
        job they run, die with it."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        # Killed rather than shut down: even a cold shutdown takes five seconds, and nothing
        # a test left behind needs the worker's goodbye (the queue is this session's own).
        # The whole process group, should a pool ever have processes of its own.
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def _worker_queue() -> Iterator[str]:
    yield _TEST_QUEUE
    # Queues outlive their consumers on RabbitMQ; this one is never used again.
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_delete(_TEST_QUEUE)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # The filesystem broker keeps each queue's (now empty) routing table as a file.
        control = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"])
        (control / f"{_TEST_QUEUE}.exchange").unlink(missing_ok=True)


@pytest.fixture
def celery_worker_process(
    transactional_db: None,
    _worker_queue: str,
    tmp_path: Path,
) -> Iterator[Callable[..., WorkerProcess]]:
    """`start(**env)` starts a ready worker; each is stopped when the test ends.

    The keyword arguments are environment variables for the worker (LLM_PROVIDER,
    LLM_BASE_URL, DRAFT_LEASE_SECONDS, CELERY_WORKER_CONCURRENCY...); by default it drafts
    with the offline provider on 4 threads.
    """
    workers: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": _worker_queue,
            "LLM_PROVIDER": "offline",
            "LLM_API_KEY": "",
            # Enough to run several jobs at once; few, as test runs share the database server.
            "CELERY_WORKER_CONCURRENCY": "4",
            **extra_env,
        }
        log_path = tmp_path / f"worker-{len(workers) + 1}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "config",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"test-{uuid.uuid4().hex[:8]}@%h",
                    # Nothing to synchronise with: starts in a second instead of several.
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, to kill it whole
            )
        worker = WorkerProcess(process=process, log_path=log_path)
        workers.append(worker)
        _wait_until_ready(worker)
        return worker

    with celery_conf(task_default_queue=_worker_queue):
        yield start
    for worker in workers:
        worker.stop()


def _wait_until_ready(worker: WorkerProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if " ready." in worker.log():
            return
        if worker.process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{worker.log()}")
        time.sleep(0.2)
    worker.stop()
    pytest.fail(f"the Celery worker was not ready within {READY_TIMEOUT_S} s:\n{worker.log()}")
