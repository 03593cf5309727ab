"""The JSON API fuzzed against its own OpenAPI schema (drf-spectacular) with schemathesis: the
fixed profile.

Every operation of the schema runs in-process through Django's WSGI application, on the test
database, as each role (client, lawyer, admin; the login endpoints as nobody), with the LLM
pointed at the local fake server, under every check schemathesis has:
- valid requests (per the schema): never a 5xx, accepted, and every answer's status code,
  content type, headers and body are the ones the schema documents;
- invalid requests: refused with a 4xx, itself documented;
- without credentials, with another method, or as the other client: refused.
Hypothesis runs derandomized, with a fixed number of examples per operation, so that a run is
repeatable and its time bounded; test_openapi_random.py explores further with a fresh seed.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import APIOperation, GenerationMode

from tests.fake_llm import FakeLLM, Reply
from tests.fuzz.conftest import connection_kept
from tests.fuzz.harness import (
    MODEL_ANSWERS,
    Caller,
    Tally,
    all_checks,
    calls,
    checked,
    coverage_cases,
    fail_on_findings,
    fuzz_operation,
    in_process_schema,
    sign_in_as,
    steer,
    tally_of,
)

pytestmark = pytest.mark.django_db

SCHEMA = in_process_schema()
CHECKS = all_checks()
# Five valid and five invalid requests per operation and role, about 550 in all, the same ones
# on every run (test_openapi_random.py sends a hundred per operation).
FIXED = hypothesis_settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(("operation", "role"), calls(SCHEMA))
def test_operation_keeps_to_its_schema(
    operation: APIOperation,
    role: str | None,
    in_process_callers: dict[str | None, Caller],
    fake_llm: FakeLLM,
) -> None:
    fake_llm.default = MODEL_ANSWERS.get(operation.path, Reply())
    sign_in_as(SCHEMA, in_process_callers, role)
    found = Tally()
    with connection_kept():
        fuzz_operation(
            operation,
            in_process_callers[role],
            settings=FIXED,
            checks=CHECKS,
            tally=found,
        )
    tally_of("fixed").add(found)
    fail_on_findings(found)


@pytest.mark.parametrize(
    "operation", [result.ok() for result in SCHEMA.get_all_operations()], ids=lambda op: op.label
)
def test_operation_keeps_to_its_schema_at_its_boundaries(
    operation: APIOperation, in_process_callers: dict[str | None, Caller], fake_llm: FakeLLM
) -> None:
    """The coverage phase, once per operation: as an admin, who reaches every handler, or as
    nobody where no credentials are needed; valid cases steered by a fixed choice."""
    role = "admin" if operation.definition.raw.get("security") else None
    fake_llm.default = MODEL_ANSWERS.get(operation.path, Reply())
    sign_in_as(SCHEMA, in_process_callers, role)
    choices = random.Random(operation.label)
    found = Tally()
    with connection_kept():
        for case in coverage_cases(operation):
            if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
                steer(case, choices.choice, in_process_callers[role].known)
            checked(found, case, CHECKS)
    tally_of("coverage").add(found)
    fail_on_findings(found)
