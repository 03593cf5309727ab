"""Infrastructure faults: Redis dying under a chat, MariaDB restarting under a running app, and
Celery workers SIGKILLed again and again during a batch of drafts.

The Redis and MariaDB that die here are private servers that the fixtures below start on free
ports in temporary folders and stop at the end: the shared ones serve other test runs. A test
whose server program is not installed (a machine on the embedded SQLite defaults) is skipped
and says so; the CI machine has both.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
import redis
from django.conf import settings
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

# Generous: the CI machine has two busy cores. Only an outright hang should reach these.
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
REQUEST_TIMEOUT_S = 30
# Where Debian installs mariadbd, which is not on an ordinary user's PATH.
SERVER_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _program(name: str) -> str:
    found = shutil.which(name, path=SERVER_PATH)
    if found is None:
        pytest.skip(f"{name} is not installed here (the CI machine has it)")
    return found


def _wait_for(
    condition: Callable[[], bool],
    *,
    what: str,
    timeout: float = START_TIMEOUT_S,
    log: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up after {timeout} s waiting for {what}\n{log()[-3000:]}")


@dataclass
class Server:
    """A server program run in its own process group, stopped and started again on the same
    port and files as a test needs; `ready()` says whether it accepts clients."""

    name: str
    argv: list[str]
    log_path: Path
    ready: Callable[[], bool]
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready_or_exited() -> bool:
            if not self.running:
                pytest.fail(f"{self.name} exited at start:\n{self.log()[-3000:]}")
            return self.ready()

        _wait_for(ready_or_exited, what=f"{self.name} to answer", log=self.log)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Send `sig` (SIGTERM: a clean shutdown; SIGKILL: a crash) and wait for the exit."""
        if not self.running:
            return
        assert self.process is not None
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)
            pytest.fail(f"{self.name} did not stop on {sig.name}:\n{self.log()[-3000:]}")


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
    port = _free_port()
    server = Server(
        name="redis-server",
        argv=[
            *(_program("redis-server"), "--port", str(port), "--bind", "127.0.0.1"),
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


def _crash_on_request(fake_llm: FakeLLM, number: int, server: Server) -> threading.Event:
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
    crashed = _crash_on_request(fake_llm, 2, private_redis)
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
    _wait_for(lambda: client.get("/readyz").status_code == 200, what="/readyz to say ok")
    assert chat(api, client_user).json()["cached"] is False
    assert chat(api, client_user).json()["cached"] is True
    assert len(fake_llm.requests) == 4


# --- MariaDB restarted under a running app --------------------------------------------------


def _mariadb_answers(port: int) -> bool:
    try:
        MySQLdb.connect(host="127.0.0.1", port=port, user="root", connect_timeout=2).close()
    except MySQLdb.OperationalError:
        return False
    return True


@pytest.fixture
def private_mariadb() -> Iterator[tuple[Server, int]]:
    """A MariaDB of this test alone with an empty database `counsel`, and its port."""
    mariadbd = _program("mariadbd")
    install_db = _program("mariadb-install-db")
    # A short folder: the server's Unix socket path must stay under 108 bytes.
    with tempfile.TemporaryDirectory(prefix="counsel-mariadb-") as folder:
        data = Path(folder) / "data"
        installed = subprocess.run(
            [
                *(install_db, "--no-defaults", f"--datadir={data}"),
                *("--auth-root-authentication-method=normal", "--skip-test-db"),
            ],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
        assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
        port = _free_port()
        server = Server(
            name="mariadbd",
            argv=[
                *(mariadbd, "--no-defaults", f"--datadir={data}", f"--port={port}"),
                *("--bind-address=127.0.0.1", f"--socket={folder}/mariadb.sock"),
                *(f"--pid-file={folder}/mariadb.pid", f"--user={getpass.getuser()}"),
                *("--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=32M"),
            ],
            log_path=Path(folder) / "mariadb.log",
            ready=lambda: _mariadb_answers(port),
        )
        server.start()
        try:
            with MySQLdb.connect(host="127.0.0.1", port=port, user="root") as admin:
                admin.cursor().execute("CREATE DATABASE counsel CHARACTER SET utf8mb4")
            yield server, port
        finally:
            server.stop(signal.SIGKILL)


@dataclass(frozen=True)
class LiveApp:
    url: str
    token: str  # a client's JWT
    user_id: int
    log: Callable[[], str]  # gunicorn's


# Migrates, then makes a client and prints its id and JWT: one Django start instead of two.
_MIGRATE_AND_CREATE_CLIENT = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from accounts.models import User
from accounts.services import tokens_for, user_create
user = user_create(username="client", password="pw-" + "x" * 20, role=User.Role.CLIENT)
print(user.pk, tokens_for(user=user, otp_verified=False)["access"])
"""


@contextmanager
def _served(
    *, database_url: str, tmp_path: Path, gunicorn_args: tuple[str, ...] = (), **env: str
) -> Iterator[LiveApp]:
    """Counsel migrated onto `database_url` and served by gunicorn with its production
    settings and its own gunicorn.conf.py (one worker of one thread here, so one persistent
    database connection), the offline AI unless `env` says otherwise."""
    env = {
        **{name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # no TLS on loopback
        "DATABASE_URL": database_url,
        "REDIS_URL": "",  # its own local-memory cache: the shared Redis stays out of it
        "CELERY_BROKER_URL": "memory://",  # a chat queues nothing
        "LLM_PROVIDER": "offline",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _MIGRATE_AND_CREATE_CLIENT],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    user_id, token = done.stdout.split()[-2:]
    url = f"http://127.0.0.1:{_free_port()}"
    gunicorn = Server(
        name="gunicorn",
        argv=[
            *(str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--threads", "1"),
            *("--bind", url.removeprefix("http://"), "--graceful-timeout", "2", *gunicorn_args),
        ],
        env=env,
        log_path=tmp_path / "gunicorn.log",
        ready=lambda: _request(url + "/healthz", timeout=2)[0] == 200,
    )
    gunicorn.start()
    try:
        yield LiveApp(url=url, token=token, user_id=int(user_id), log=gunicorn.log)
    finally:
        gunicorn.stop()


@pytest.fixture
def live_app(private_mariadb: tuple[Server, int], tmp_path: Path) -> Iterator[LiveApp]:
    _database, port = private_mariadb
    with _served(database_url=f"mysql://root@127.0.0.1:{port}/counsel", tmp_path=tmp_path) as app:
        yield app


def _request(
    url: str,
    *,
    body: Any = None,
    token: str = "",
    accept: str = "application/json",
    timeout: float = REQUEST_TIMEOUT_S,
) -> tuple[int, str]:
    """`(status, body)`; status 0 when nothing answers. A hang fails the caller's assertion
    through the timeout rather than blocking the suite."""
    headers = {"Content-Type": "application/json", "Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError:
        return 0, ""


def _ask(app: LiveApp) -> tuple[int, str]:
    return _request(
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
    assert json.loads(body) == {"detail": "The service is briefly unavailable, please try again."}
    status, ready = _request(live_app.url + "/readyz")
    assert status == 503
    assert json.loads(ready)["down"] == ["database"]
    assert _request(live_app.url + "/healthz")[0] == 200

    # Started again on the same files: the app answers again without being restarted.
    database.start()
    assert _ask(live_app)[0] == 200
    assert _request(live_app.url + "/readyz")[0] == 200
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
    # again only once its lease ran out (RabbitMQ hands it back at once).
    env = _fake_llm_env(fake_llm, DRAFT_LEASE_SECONDS="6")
    worker = celery_worker_process(**env)
    # Each row its own purpose: rows that differ only in names (scrubbed to placeholders)
    # would share one cached answer, and the model would be asked once for the whole batch.
    rows = [
        _nda_row(number, purpose=f"evaluating project {number}") for number in range(BATCH_ROWS)
    ]
    batch = _batch(LawyerFactory(), rows)

    for number in KILL_AT_REQUESTS:
        _wait_for(
            lambda n=number: len(fake_llm.requests) >= n,
            what=f"request {number} to the model",
            timeout=120,
            log=worker.log,
        )
        worker.kill()
        assert len(fake_llm.requests) == number  # killed while that draft waited for it
        worker = celery_worker_process(**env)
    _wait_for(lambda: batch_progress(batch)["finished"], what="the batch to finish", timeout=180)

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
    LLM_DEADLINE_MS. gunicorn.conf.py's threaded workers answer it, streamed or not."""
    fake_llm_server.reset()
    fake_llm_server.script(Delay(4.0, Reply(text="Late, but whole.")))
    fake_llm_server.default = Reply(text="Slowly streamed words arrive one by one", chunk_delay=0.6)
    with _served(
        database_url=f"sqlite:///{tmp_path / 'counsel.sqlite3'}",
        tmp_path=tmp_path,
        gunicorn_args=("--timeout", "2"),
        **_fake_llm_env(fake_llm_server, LLM_TIMEOUT_MS="10000", LLM_DEADLINE_MS="15000"),
    ) as app:
        status, body = _ask(app)
        assert status == 200, app.log()[-3000:]
        assert json.loads(body)["answer"] == "Late, but whole."

        started = time.monotonic()
        status, streamed = _request(
            app.url + "/api/ai/chat",
            body={"userId": app.user_id, "message": "And if the lease says nothing?"},
            token=app.token,
            accept="text/event-stream",
        )
        assert status == 200, app.log()[-3000:]
        assert time.monotonic() - started > 2 * 2  # longer than the timeout, twice over
        assert "event: done" in streamed
        assert "WORKER TIMEOUT" not in app.log()
