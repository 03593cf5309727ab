"""A short fuzzing pass against Counsel as production serves it, over HTTP: gunicorn with its
uvicorn workers (gunicorn.conf.py), `DEBUG=false`, the production settings, the database
server the suite runs on (its own database) and Redis, with the model at the local fake.

What the in-process runs cannot see shows here: the ASGI server's own answers and limits, the
async views under a real event loop, the streamed answer as a client reads it. A few
generated requests per operation, role and mode, under every check schemathesis has, with the
randomized profile's seed; the schema is the one the server itself serves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
import requests
import schemathesis
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import APIOperation
from schemathesis.schemas import BaseSchema

from tests.fake_llm import FakeLLM, Reply
from tests.faults.servers import LiveApp, manage, production_env, served
from tests.fuzz.harness import (
    MODEL_ANSWERS,
    SEED,
    Caller,
    Tally,
    World,
    all_checks,
    callers,
    calls,
    checked_as_documented,
    fail_on_findings,
    fuzz_operation,
    in_process_schema,
    sign_in_as,
    tally_of,
    with_links,
)

CHECKS = all_checks()
EXAMPLES = 3
TIMEOUT_S = 30
_PASSWORD = "pw-" + "x" * 20  # the client tests.faults.servers makes

# Run in the server's environment, on its database: the other users and the cases, and their
# ids and tokens, as one line of JSON.
_SETUP = """
import json
from accounts.models import User
from accounts.services import tokens_for, user_create
from cases.services import case_create
users = {"client": User.objects.get(username="client")}
for name, role in (("lawyer", "LAWYER"), ("admin", "ADMIN"), ("other-client", "CLIENT")):
    role = getattr(User.Role, role)
    users[name] = user_create(username=name, password="pw-" + "y" * 20, role=role)
case = case_create(
    created_by=users["admin"], title="Lease", practice_area="property",
    client=users["client"], lawyers=[users["lawyer"]],
)
other = case_create(
    created_by=users["admin"], title="Other", practice_area="family",
    client=users["other-client"],
)
print(json.dumps({
    "user_ids": {name: user.pk for name, user in users.items()},
    "tokens": {
        name: tokens_for(user=user, otp_verified=user.is_staff_member)["access"]
        for name, user in users.items()
    },
    "refresh": tokens_for(user=users["client"], otp_verified=False)["refresh"],
    "case_id": case.pk,
    "other_case_id": other.pk,
}))
"""


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of this module's own on the suite's database server (SQLite when the suite
    runs on SQLite), dropped at the end."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.mysql":
        yield f"sqlite:///{Path(settings.BASE_DIR) / 'var' / 'fuzz-served.sqlite3'}"
        return
    name = f"{database['NAME']}_served"[:64]
    server = {
        "host": database["HOST"] or "127.0.0.1",
        "port": int(database["PORT"] or 3306),
        "user": database["USER"],
        "password": database["PASSWORD"],
    }
    with MySQLdb.connect(**server) as admin:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
    try:
        yield f"mysql://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with MySQLdb.connect(**server) as admin:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")


def _send(url: str) -> Any:
    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, Any]:
        response = requests.request(
            method, url + path, json=body, headers=headers, timeout=TIMEOUT_S
        )
        # Whatever the JSON's media type (application/json, application/problem+json).
        return response.status_code, response.headers, json.loads(response.content or b"null")

    return send


def _collect_static(database_url: str) -> None:
    """What a deploy does before it serves (README): without the manifest of the static
    files, every page that names one, Django's own 404 and 500 pages included, fails."""
    manage(
        production_env(database_url=database_url), "collectstatic", "--noinput", "--verbosity", "0"
    )


@pytest.fixture(scope="module")
def production(
    database_url: str, fake_llm_server: FakeLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveApp, BaseSchema, dict[str | None, Caller]]]:
    """The app served, the schema it serves (with the links), and its callers."""
    folder = tmp_path_factory.mktemp("served")
    _collect_static(database_url)
    limits = {
        f"AI_RATE_LIMIT_{name}{scope}": "100000/60"
        for name in ("CHAT", "ANALYZE", "GENERATE")
        for scope in ("", "_ADDRESS")
    }
    with served(
        database_url=database_url,
        tmp_path=folder,
        REDIS_URL=settings.REDIS_URL,
        LLM_PROVIDER="openai",
        LLM_BASE_URL=fake_llm_server.base_url,
        LLM_API_KEY="test-key",
        AXES_FAILURE_LIMIT="100000",
        **limits,
    ) as app:
        made = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", _SETUP],
            cwd=settings.BASE_DIR,
            env=app.server.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert made.returncode == 0, made.stderr[-3000:]
        rows = json.loads(made.stdout.strip().splitlines()[-1])
        world = World(**rows, username="client", password=_PASSWORD)
        fake_llm_server.reset()
        by_name = callers(world, _send(app.url))
        raw = requests.get(app.url + "/api/schema/?format=json", timeout=TIMEOUT_S)
        assert raw.status_code == 200, raw.text[:2000]
        schema = checked_as_documented(schemathesis.openapi.from_dict(with_links(raw.json())))
        yield app, schema, by_name


@pytest.mark.parametrize(("operation", "role"), calls(in_process_schema()))
def test_the_served_operation_keeps_to_its_schema(
    operation: APIOperation,
    role: str | None,
    production: tuple[LiveApp, BaseSchema, dict[str | None, Caller]],
    fake_llm_server: FakeLLM,
) -> None:
    app, schema, by_name = production
    served_operation = schema[operation.path][operation.method]
    fake_llm_server.default = MODEL_ANSWERS.get(operation.path, Reply())
    sign_in_as(schema, by_name, role)
    found = Tally()
    fuzz_operation(
        served_operation,
        by_name[role],
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
        seed=SEED,
        checks=CHECKS,
        tally=found,
        base_url=app.url,
        timeout=TIMEOUT_S,
    )
    tally_of("served").add(found)
    fail_on_findings(found, seed=SEED)
