"""Servers the fault and serving tests start as separate processes: private MariaDB and Redis
servers, and Counsel under its production server (gunicorn.conf.py), each on a free port of
loopback, with their logs, stopped at the end."""

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
from django.conf import settings

# Generous: the CI machine has two busy cores. Only an outright hang should reach these.
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
REQUEST_TIMEOUT_S = 30
# Where Debian installs mariadbd, which is not on an ordinary user's PATH.
SERVER_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def program(name: str) -> str:
    found = shutil.which(name, path=SERVER_PATH)
    if found is None:
        pytest.skip(f"{name} is not installed here (the CI machine has it)")
    return found


def wait_for(
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

        wait_for(ready_or_exited, what=f"{self.name} to answer", log=self.log)

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


# --- A private MariaDB ----------------------------------------------------------------------


def _mariadb_answers(port: int) -> bool:
    try:
        MySQLdb.connect(host="127.0.0.1", port=port, user="root", connect_timeout=2).close()
    except MySQLdb.OperationalError:
        return False
    return True


@contextmanager
def private_mariadb_server() -> Iterator[tuple[Server, int]]:
    """A MariaDB of the caller alone with an empty database `counsel`, and its port."""
    mariadbd = program("mariadbd")
    install_db = program("mariadb-install-db")
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
        port = free_port()
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


# --- Counsel under its production server ----------------------------------------------------


@dataclass(frozen=True)
class LiveApp:
    url: str
    token: str  # a client's JWT
    user_id: int
    server: Server  # gunicorn's arbiter, and its log

    def log(self) -> str:
        return self.server.log()


# Migrates, then makes a client and prints its id and JWT: one Django start instead of two.
_MIGRATE_AND_CREATE_CLIENT = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from accounts.models import User
from accounts.services import tokens_for, user_create
user = user_create(username="client", password="pw-" + "x" * 20, role=User.Role.CLIENT)
print(user.pk, tokens_for(user=user, otp_verified=False)["access"])
"""


def production_env(*, database_url: str, **env: str) -> dict[str, str]:
    """The environment of Counsel's production settings on loopback, on `database_url`, with
    its own local-memory cache, no broker and the offline AI unless `env` says otherwise."""
    return {
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


def manage(env: dict[str, str], *argv: str) -> str:
    """`manage.py *argv` in its own process with `env`: its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@contextmanager
def served(
    *, database_url: str, tmp_path: Path, gunicorn_args: tuple[str, ...] = (), **env: str
) -> Iterator[LiveApp]:
    """Counsel migrated onto `database_url` and served as production serves it: `gunicorn`
    with its gunicorn.conf.py (the ASGI server) and the production settings, the options in
    `gunicorn_args` added, the offline AI unless `env` says otherwise."""
    env = production_env(database_url=database_url, **env)
    user_id, token = manage(env, "shell", "-c", _MIGRATE_AND_CREATE_CLIENT).split()[-2:]
    url = f"http://127.0.0.1:{free_port()}"
    gunicorn = Server(
        name="gunicorn",
        argv=[
            str(Path(sys.executable).parent / "gunicorn"),
            *("--bind", url.removeprefix("http://"), *gunicorn_args),
        ],
        env=env,
        log_path=tmp_path / "gunicorn.log",
        ready=lambda: request(url + "/healthz", timeout=2)[0] == 200,
    )
    gunicorn.start()
    try:
        yield LiveApp(url=url, token=token, user_id=int(user_id), server=gunicorn)
    finally:
        gunicorn.stop()


def request(
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
    prepared = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError:
        return 0, ""
