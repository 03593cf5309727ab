from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.services import tokens_for
from tests.factories import PASSWORD, AdminFactory, CaseFactory, ClientFactory, LawyerFactory
from tests.fake_llm import FakeLLM
from tests.fuzz.harness import OTHER_CLIENT, SEED, TALLIES, Caller, World, callers


def pytest_report_header() -> str:
    return f"fuzz: randomized seed {SEED} (FUZZ_SEED={SEED} repeats it)"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLIES:
        return
    terminalreporter.section("fuzz")
    terminalreporter.write_line(f"randomized seed {SEED} (FUZZ_SEED={SEED} repeats it)")
    for profile, tally in TALLIES.items():
        terminalreporter.write_line(f"{profile}: {tally.report()}")


@contextmanager
def connection_kept() -> Iterator[None]:
    """Requests through the WSGI application keep the test's database connection open, and
    with it the test's transaction, as they do through Django's test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, Any]:
    response = APIClient(headers=headers).generic(
        method,
        path,
        data=None if body is None else json.dumps(body),
        content_type="application/json",
    )
    # Whatever the JSON's media type (application/json, application/problem+json).
    return response.status_code, response.headers, json.loads(response.content or b"null")


@pytest.fixture
def in_process_callers(fake_llm: FakeLLM, settings: Settings) -> dict[str | None, Caller]:
    """A caller per role and the other client (None: nobody logged in), on the test database,
    with rows for their requests to find."""
    # Limits high enough that the fuzzer reaches the handlers; 429 stays documented.
    settings.AI_RATE_LIMITS = {
        scope: {"user": "100000/60", "address": "100000/60"} for scope in settings.AI_RATE_LIMITS
    }
    settings.AXES_FAILURE_LIMIT = 100_000
    users = {
        "client": ClientFactory(),
        "lawyer": LawyerFactory(),
        "admin": AdminFactory(),
        OTHER_CLIENT: ClientFactory(),
    }
    case = CaseFactory(client=users["client"], lawyers=[users["lawyer"]])
    other_case = CaseFactory(client=users[OTHER_CLIENT])
    world = World(
        user_ids={name: user.pk for name, user in users.items()},
        tokens={
            name: tokens_for(user=user, otp_verified=user.is_staff_member)["access"]
            for name, user in users.items()
        },
        refresh=tokens_for(user=users["client"], otp_verified=False)["refresh"],
        username=users["client"].username,
        password=PASSWORD,
        case_id=case.pk,
        other_case_id=other_case.pk,
    )
    return callers(world, _send)
