"""Infrastructure faults: Redis dying under a chat, MariaDB restarting under a running app, and
Celery workers SIGKILLed again and again during a batch of drafts.

The Redis and MariaDB that die here are private servers that the fixtures start on free ports
in temporary folders (tests/faults/servers.py) and stop at the end: the shared ones serve
other test runs. A test
whose server program is not installed (a machine on the embedded SQLite defaults) is skipped
and says so; the CI machine has both.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import MySQLdb
import pytest
import redis
from django.test import Client
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from drafting.batches import batch_progress
from drafting.models import Draft
from tests.consultations.test_chat_api import chat
from tests.drafting.conftest import (  # noqa: F401 (fixtures, used by name)
    WorkerProcess,
    _worker_queue,
    celery_worker_process,
)
from tests.drafting.test_batches import _batch, _nda_row
from tests.drafting.test_worker import MODEL_TEXT, _fake_llm_env
from tests.factories import LawyerFactory
from tests.fake_llm import Delay, FakeLLM, Reply
from tests.faults.servers import (
    START_TIMEOUT_S,
    LiveApp,
    Server,
    free_port,
    program,
    request,
    served,
    wait_for,
)

# --- Redis stopped mid-run ------------------------------------------------------------------


def _redis_answers(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


@pytest.fixture
def private_redis(settings: Settings, tmp_path: Path) -> Iterator[Server]:
    """A Redis of this test alone, keeping nothing on disk, which the cache now uses with
    the production options (config/settings.py): a restart empties it."""
    port = free_port()
    server = Server(
        name="redis-server",
        argv=[
            *(program("redis-server"), "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        log_path=tmp_path / "redis.log",
        ready=lambda: _redis_answers(port),
    )
    server.start()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "counsel",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    yield server
    server.stop(signal.SIGKILL)


def _crash_onrequest(fake_llm: FakeLLM, number: int, server: Server) -> threading.Event:
    """Crash `server` from a thread as soon as the fake model receives request `number`
    (while that request waits for its answer); the event is set once the server is gone."""
    crashed = threading.Event()

    def crash() -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(fake_llm.requests) < number and time.monotonic() < deadline:
            time.sleep(0.01)
        server.stop(signal.SIGKILL)
        crashed.set()

    threading.Thread(target=crash, daemon=True).start()
    return crashed


@pytest.mark.django_db
def test_chat_answers_uncached_while_redis_is_down_and_caching_comes_back_with_it(
    private_redis: Server,
    fake_llm: FakeLLM,
    settings: Settings,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    client: Client,
) -> None:
    # Slow answers, so that Redis can die while one is being written; no retry meanwhile.
    settings.LLM_TIMEOUT_MS = 20_000
    settings.LLM_DEADLINE_MS = 20_000
    fake_llm.default = Reply(text="Only for damage beyond wear and tear.")
    api = api_client_for(client_user)
    first = chat(api, client_user)
    assert (first.status_code, first.json()["cached"]) == (200, False)
    assert chat(api, client_user).json() == {**first.json(), "cached": True}
    assert client.get("/readyz").status_code == 200

    # Redis crashes while the model answers a new question: the answer cannot be cached.
    fake_llm.script(Delay(3.0, Reply(text="One month, in writing.")))
    crashed = _crash_onrequest(fake_llm, 2, private_redis)
    during = chat(api, client_user, "What notice must a tenant give?")
    assert crashed.is_set()  # before the answer came back
    assert not private_redis.running
    assert during.status_code == 200
    assert (during.json()["answer"], during.json()["cached"]) == ("One month, in writing.", False)

    # The question answered from the cache before is asked of the model again.
    after = chat(api, client_user)
    assert after.status_code == 200
    assert after.json() == first.json()
    assert len(fake_llm.requests) == 3
    recorded = Consultation.objects.order_by("pk").values_list("cache_hit", "outcome")
    assert list(recorded) == [(False, "ok"), (True, "ok"), (False, "ok"), (False, "ok")]
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["down"] == ["cache"]
    assert ready.json()["checks"]["database"] == "ok"
    assert client.get("/healthz").status_code == 200

    # Back on the same port, empty: the process finds it again without a restart.
    private_redis.start()
    wait_for(lambda: client.get("/readyz").status_code == 200, what="/readyz to say ok")
    assert chat(api, client_user).json()["cached"] is False
    assert chat(api, client_user).json()["cached"] is True
    assert len(fake_llm.requests) == 4


# --- MariaDB restarted under a running app --------------------------------------------------


@pytest.fixture
def live_app(private_mariadb: tuple[Server, int], tmp_path: Path) -> Iterator[LiveApp]:
    """One process with one thread for sync code, so one persistent database connection."""
    _database, port = private_mariadb
    with served(
        database_url=f"mysql://root@127.0.0.1:{port}/counsel",
        tmp_path=tmp_path,
        gunicorn_args=("--workers", "1", "--graceful-timeout", "2"),
        SYNC_THREADS="1",
    ) as app:
        yield app


def _ask(app: LiveApp) -> tuple[int, str]:
    return request(
        app.url + "/api/ai/chat",
        body={"userId": app.user_id, "message": "Can my landlord keep my deposit?"},
        token=app.token,
    )


def _recorded_consultations(port: int) -> int:
    with MySQLdb.connect(host="127.0.0.1", port=port, user="root", db="counsel") as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT COUNT(*) FROM consultations_consultation")
        return cursor.fetchone()[0]


def test_a_restarted_database_fails_requests_cleanly_and_the_app_recovers_on_its_own(
    private_mariadb: tuple[Server, int], live_app: LiveApp
) -> None:
    database, port = private_mariadb
    assert _ask(live_app)[0] == 200

    # A restart between two requests: the worker's kept connection is dead, and replaced.
    database.stop()
    database.start()
    assert _ask(live_app)[0] == 200

    # While it is down, API requests fail at once with a 503 to retry, no debug details.
    database.stop()
    status, body = _ask(live_app)
    assert status == 503
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "The service is briefly unavailable, please try again.",
    }
    status, ready = request(live_app.url + "/readyz")
    assert status == 503
    assert json.loads(ready)["down"] == ["database"]
    assert request(live_app.url + "/healthz")[0] == 200

    # Started again on the same files: the app answers again without being restarted.
    database.start()
    assert _ask(live_app)[0] == 200
    assert request(live_app.url + "/readyz")[0] == 200
    assert _recorded_consultations(port) == 3


# --- Celery workers SIGKILLed during a batch of drafts --------------------------------------

BATCH_ROWS = 12
# The fake model's requests during which a worker is killed: each of these hangs until then.
KILL_AT_REQUESTS = (2, 6, 10)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_workers_killed_again_and_again_during_a_batch_still_end_each_draft_exactly_once(
    celery_worker_process: Callable[..., WorkerProcess],  # noqa: F811 (the imported fixture)
    fake_llm: FakeLLM,
) -> None:
    answer = Delay(0.2, Reply(text=MODEL_TEXT))  # slow enough that the batch is in flight
    fake_llm.script(
        *(
            Delay(8.0, Reply(text=MODEL_TEXT)) if number in KILL_AT_REQUESTS else answer
            for number in range(1, max(KILL_AT_REQUESTS) + 1)
        )
    )
    fake_llm.default = answer
    # A short lease: with the filesystem broker a killed worker's job is lost, and found
    # again only once its lease ran out (RabbitMQ hands it back at once). One job at a time,
    # so that each kill interrupts exactly the draft waiting on that request (several jobs of
    # one worker killed at once: tests/drafting/test_worker.py).
    env = _fake_llm_env(fake_llm, DRAFT_LEASE_SECONDS="6", CELERY_WORKER_CONCURRENCY="1")
    worker = celery_worker_process(**env)
    # Each row its own purpose: rows that differ only in names (scrubbed to placeholders)
    # would share one cached answer, and the model would be asked once for the whole batch.
    rows = [
        _nda_row(number, purpose=f"evaluating project {number}") for number in range(BATCH_ROWS)
    ]
    batch = _batch(LawyerFactory(), rows)

    for number in KILL_AT_REQUESTS:
        wait_for(
            lambda n=number: len(fake_llm.requests) >= n,
            what=f"request {number} to the model",
            timeout=120,
            log=worker.log,
        )
        worker.kill()
        assert len(fake_llm.requests) == number  # killed while that draft waited for it
        worker = celery_worker_process(**env)
    wait_for(lambda: batch_progress(batch)["finished"], what="the batch to finish", timeout=180)

    assert batch_progress(batch) == {
        "total": BATCH_ROWS,
        "done": BATCH_ROWS,
        "failed": 0,
        "queued": 0,
        "running": 0,
        "percent": 100,
        "finished": True,
    }
    drafts = list(Draft.objects.filter(batch=batch))
    assert {draft.status for draft in drafts} == {Draft.Status.DRAFTED}
    assert all("Northwind Analytics Ltd" in draft.text for draft in drafts)
    # One claim per draft, plus one for each kill: nothing was drafted twice or taken over
    # while alive.
    assert sorted(draft.attempts for draft in drafts) == [1] * (
        BATCH_ROWS - len(KILL_AT_REQUESTS)
    ) + [2] * len(KILL_AT_REQUESTS)
    # One recorded exchange per draft: the killed calls never answered, so none of theirs.
    succeeded = Consultation.objects.filter(
        kind=Consultation.Kind.DRAFT, outcome=Consultation.Outcome.OK
    )
    assert sorted(draft.consultation_id for draft in drafts) == sorted(
        succeeded.values_list("pk", flat=True)
    )
    assert len(fake_llm.requests) == BATCH_ROWS + len(KILL_AT_REQUESTS)


# --- The provider slower than gunicorn's worker timeout -------------------------------------


def test_an_ai_call_that_outlasts_the_worker_timeout_is_answered_and_recorded(
    fake_llm_server: FakeLLM, tmp_path: Path
) -> None:
    """gunicorn kills a worker silent for `timeout` seconds; with its default sync workers
    that is any request still waiting on the provider, which may legitimately wait up to
    LLM_DEADLINE_MS. gunicorn.conf.py's uvicorn workers report from their event loop while a
    request waits, so they answer it, streamed or not."""
    fake_llm_server.reset()
    fake_llm_server.script(Delay(4.0, Reply(text="Late, but whole.")))
    fake_llm_server.default = Reply(text="Slowly streamed words arrive one by one", chunk_delay=0.6)
    with served(
        database_url=f"sqlite:///{tmp_path / 'counsel.sqlite3'}",
        tmp_path=tmp_path,
        gunicorn_args=("--workers", "1", "--timeout", "2"),
        **_fake_llm_env(fake_llm_server, LLM_TIMEOUT_MS="10000", LLM_DEADLINE_MS="15000"),
    ) as app:
        status, body = _ask(app)
        assert status == 200, app.log()[-3000:]
        assert json.loads(body)["answer"] == "Late, but whole."

        started = time.monotonic()
        status, streamed = request(
            app.url + "/api/ai/chat",
            body={"userId": app.user_id, "message": "And if the lease says nothing?"},
            token=app.token,
            accept="text/event-stream",
        )
        assert status == 200, app.log()[-3000:]
        assert time.monotonic() - started > 2 * 2  # longer than the timeout, twice over
        assert "event: done" in streamed
        assert "WORKER TIMEOUT" not in app.log()
