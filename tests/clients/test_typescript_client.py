"""The TypeScript client (clients/typescript/) against Counsel as production serves it:
gunicorn with its gunicorn.conf.py, a Celery worker for the draft jobs, and the fake model
(tests/fake_llm.py) at the network edge. The client's own script (scripts/live.ts, compiled
with the pinned tsc) logs in, chats (JSON and streamed), analyzes, drafts in the request and
as a job that it polls to the end, has an expired access token refreshed, and logs out. The
stream reader's own tests (scripts/stream.test.ts) run under `node --test`.

The schema and the generated client are checked apart from this, by `scripts/api-client
check` (make lint): regenerated and compared, linted, compiled with `tsc --strict`."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.databases import database_url
from tests.drafting.conftest import (
    _TEST_QUEUE,
    WorkerProcess,
    _worker_queue,
    celery_worker_process,
)
from tests.fake_llm import FakeLLM, Reply
from tests.faults.servers import served

__all__ = ["_worker_queue", "celery_worker_process"]  # fixtures, used by name


CLIENT = Path(settings.BASE_DIR) / "clients" / "typescript"
NODE_TIMEOUT_S = 120
# What the fake model answers to every question: a draft with two sections, which is also a
# chat answer, and not the JSON an analysis asks for (the policy's rule checks answer then).
MODEL_TEXT = (
    "MUTUAL NON-DISCLOSURE AGREEMENT\n\n"
    "1. Parties\n\nThis agreement is between <PERSON_1> and <PERSON_2>.\n\n"
    "2. Confidentiality\n\nEach party keeps the other's information confidential."
)


@pytest.fixture(scope="module")
def compiled() -> Path:
    """The client and its scripts compiled by the pinned tsc; their folder."""
    tsc = CLIENT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.fail(f"{tsc} is missing: run scripts/setup --dev")
    done = subprocess.run(
        [str(tsc), "--project", "."], cwd=CLIENT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return CLIENT / "dist"


def test_the_stream_reader_reads_events_split_anywhere(compiled: Path) -> None:
    run = subprocess.run(
        ["node", "--test", str(compiled / "scripts" / "stream.test.js")],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# pass 4" in run.stdout


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_typescript_client_does_the_contract_against_the_production_server(
    compiled: Path,
    fake_llm: FakeLLM,
    celery_worker_process: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    model = {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.base_url,
        "LLM_API_KEY": "test-key",
        "LLM_TIMEOUT_MS": "4000",
        "LLM_DEADLINE_MS": "8000",
        "LLM_BACKOFF_BASE_MS": "10",
    }
    celery_worker_process(**model)
    with served(
        database_url=database_url(connection.settings_dict),
        tmp_path=tmp_path,
        gunicorn_args=("--workers", "1"),
        # The jobs go to the test's worker, on its own queue.
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_QUEUE=_TEST_QUEUE,
        **model,
    ) as app:
        run = subprocess.run(
            ["node", str(compiled / "scripts" / "live.js")],
            cwd=CLIENT,
            env={
                "PATH": os.environ["PATH"],
                "COUNSEL_URL": app.url,
                # The client that `served` creates.
                "COUNSEL_USERNAME": "client",
                "COUNSEL_PASSWORD": "pw-" + "x" * 20,
            },
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_S,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0, output + "\n--- server log ---\n" + app.log()[-3000:]
    steps = [line.partition(":")[0] for line in run.stdout.splitlines()]
    assert steps == [
        *("login", "me", "chat", "chat as another user", "chat stream", "analyze"),
        *("generate-document", "generate-document async", "refresh on 401", "logout"),
        "live",
    ]
    # The model was asked for the chat, its stream, the analysis (twice: not JSON) and drafts.
    assert len(fake_llm.requests) >= 5
