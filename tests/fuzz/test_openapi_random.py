"""The JSON API fuzzed against its own OpenAPI schema with a fresh seed each run: the
randomized profile, beside the fixed one of test_openapi.py.

The seed is printed at the start and the end of the run (and with every finding); FUZZ_SEED
sets it to repeat a run. Each operation gets at least a hundred generated requests in all,
spread over the roles and over valid and invalid requests, under every check schemathesis has.
Then the stateful run follows the schema's links as each role: a case listed or made leads to
its detail, to a chat and a draft about it; a chat leads to its conversation, a draft to its
status; and the checks that need a history (ensure_resource_availability, use_after_free) look
at each step.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Flaky
from hypothesis.stateful import get_state_machine_test
from schemathesis import APIOperation, Case
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.transport import Response

from tests.fake_llm import FakeLLM, Reply
from tests.fuzz.conftest import connection_kept
from tests.fuzz.harness import (
    MODEL_ANSWERS,
    MODES,
    ROLES,
    SEED,
    Caller,
    Tally,
    all_checks,
    calls,
    checks_for,
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
CALLS = calls(SCHEMA)
EXAMPLES_PER_OPERATION = 100
# An operation's hundred are shared by its roles and the two modes (valid, invalid).
_SENDS_OF = Counter(param.values[0].label for param in CALLS)
# Scenarios per role, and steps per scenario, of the stateful run.
SCENARIOS = 25
STEPS = 8
MAX_SUITES = 10


def _randomized(examples: int) -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.parametrize(("operation", "role"), CALLS)
def test_operation_keeps_to_its_schema_whatever_the_seed(
    operation: APIOperation,
    role: str | None,
    in_process_callers: dict[str | None, Caller],
    fake_llm: FakeLLM,
) -> None:
    fake_llm.default = MODEL_ANSWERS.get(operation.path, Reply())
    sign_in_as(SCHEMA, in_process_callers, role)
    found = Tally()
    examples = math.ceil(EXAMPLES_PER_OPERATION / (_SENDS_OF[operation.label] * len(MODES)))
    with connection_kept():
        fuzz_operation(
            operation,
            in_process_callers[role],
            settings=_randomized(examples),
            seed=SEED,
            checks=CHECKS,
            tally=found,
        )
    tally_of("randomized").add(found)
    fail_on_findings(found, seed=SEED)


@pytest.mark.parametrize("role", ROLES)
def test_linked_operations_keep_to_the_schema(
    role: str, in_process_callers: dict[str | None, Caller], fake_llm: FakeLLM
) -> None:
    caller = in_process_callers[role]
    sign_in_as(SCHEMA, in_process_callers, role)
    found = Tally()
    # The steps' own choices (which known value, steered or not) follow the run's seed too.
    choices = random.Random(f"{SEED}-{role}")

    scenarios = [0]

    class Linked(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def teardown(self) -> None:
            scenarios[0] += 1
            super().teardown()

        def before_call(self, case: Case) -> None:
            fake_llm.default = MODEL_ANSWERS.get(case.operation.path, Reply())
            steer(case, choices.choice, caller.known)

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            found.sent(case)
            try:
                case.validate_response(
                    response,
                    checks=checks_for(case, CHECKS),
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except FailureGroup as group:
                found.failed(case, response, group.exceptions)
            except Failure as failure:
                found.failed(case, response, [failure])

    # Scenarios share the database, so a later one may find other rows than an earlier one
    # with the same choices did: Hypothesis then calls the generation flaky. As schemathesis'
    # own runner does, the run goes on with a fresh suite until it has its scenarios.
    suite = 0
    with connection_kept():
        while scenarios[0] < SCENARIOS and suite < MAX_SUITES:
            run = get_state_machine_test(
                Linked,
                settings=hypothesis_settings(
                    _randomized(SCENARIOS - scenarios[0]),
                    stateful_step_count=STEPS,
                    phases=[Phase.generate],
                ),
            )
            with contextlib.suppress(Flaky):
                hypothesis_seed(SEED + suite)(run)()
            suite += 1
    tally_of("stateful").add(found)
    fail_on_findings(found, seed=SEED)
