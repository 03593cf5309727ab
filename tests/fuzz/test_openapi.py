"""The JSON API fuzzed against its own OpenAPI schema (drf-spectacular) with schemathesis.

Every operation of the schema runs in-process through Django's WSGI application, on the test
database, as each role (client, lawyer, admin; the login endpoints as nobody), with the LLM
pointed at the local fake server:
- valid requests (per the schema): never a 5xx, and every answer's status code, content type,
  headers and body are the ones the schema documents;
- invalid requests: refused with a 4xx, itself documented.
Hypothesis runs derandomized, with a fixed number of examples per operation, so that a run is
repeatable and its time bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import tokens_for
from consultations.policies import POLICIES
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES
from tests.factories import PASSWORD, AdminFactory, CaseFactory, ClientFactory, LawyerFactory
from tests.fake_llm import FakeLLM, Reply

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
)
SCHEMA.app = WSGIHandler()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
ROLES = ("client", "lawyer", "admin")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    # A secured operation refuses the same request without credentials (401).
    ignored_auth,
]
# About a thousand requests in all: a couple of minutes, the same ones on every run.
FUZZ_SETTINGS = hypothesis_settings(
    max_examples=10,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What the model answers, by endpoint: the fake's default text suits a chat, while an analysis
# is a JSON object and a draft numbered sections.
MODEL_ANSWERS = {
    "/api/ai/analyze": Reply(text=json.dumps({"findings": [], "suggestions": []})),
    "/api/ai/generate-document": Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2>."),
}

Known = dict[str, st.SearchStrategy[Any]]


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]  # its credentials
    known: Known  # values the server knows, by wire name


def _calls() -> Iterator[Any]:
    for operation in OPERATIONS:
        roles = ROLES if operation.definition.raw.get("security") else (None,)
        for role in roles:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                label = f"{operation.label}-{role or 'anonymous'}-{mode.value}"
                yield pytest.param(operation, role, mode, id=label)


@pytest.fixture
def callers(fake_llm: FakeLLM, settings: Settings) -> dict[str | None, Caller]:
    """A caller per role (None: nobody logged in), and rows for their requests to find.

    Every role chats about a case (a conversation) and queues a draft, through the API."""
    # Limits high enough that the fuzzer reaches the handlers; 429 stays documented.
    settings.AI_RATE_LIMITS = {
        scope: {"user": "100000/60", "address": "100000/60"} for scope in settings.AI_RATE_LIMITS
    }
    settings.AXES_FAILURE_LIMIT = 100_000
    users = {"client": ClientFactory(), "lawyer": LawyerFactory(), "admin": AdminFactory()}
    case = CaseFactory(client=users["client"], lawyers=[users["lawyer"]])
    common: Known = {
        "case_id": st.just(case.pk),
        "caseId": st.just(case.pk),
        "clientId": st.just(users["client"].pk),
        "lawyerIds": st.just([users["lawyer"].pk]),
        "policy": st.sampled_from(list(POLICIES)),
        "type": st.sampled_from(list(DOCUMENT_TYPES)),
    }
    by_role: dict[str | None, Caller] = {}
    for role, user in users.items():
        access = tokens_for(user=user, otp_verified=user.is_staff_member)["access"]
        headers = {"Authorization": f"Bearer {access}"}
        api = APIClient(headers=headers)
        chat = api.post(
            "/api/ai/chat",
            {"userId": user.pk, "message": "Who are the parties?", "context": {"caseId": case.pk}},
            format="json",
        )
        assert chat.status_code == 200, chat.content
        document = {
            "type": "nda",
            "inputs": inputs_on_the_wire(DOCUMENT_TYPES["nda"].example_inputs),
        }
        draft = api.post("/api/ai/generate-document", {**document, "async": True}, format="json")
        assert draft.status_code == 202, draft.content
        conversation_id = int(chat["X-Conversation-Id"])
        by_role[role] = Caller(
            headers=headers,
            known={
                **common,
                "userId": st.just(str(user.pk)),
                "conversation_id": st.just(conversation_id),
                "conversationId": st.just(conversation_id),
                "draft_id": st.just(draft.json()["draftId"]),
                "draftId": st.just(draft.json()["draftId"]),
            },
        )
    refresh = tokens_for(user=users["client"], otp_verified=False)["refresh"]
    by_role[None] = Caller(
        headers={},
        known={
            "username": st.just(users["client"].username),
            "password": st.just(PASSWORD),
            "refresh": st.just(refresh),
        },
    )
    return by_role


def _steer(case: Case, data: st.DataObject, known: Known) -> None:
    """Swap generated values, each with even odds, for ones the server knows (ids that
    exist, the caller's own id, a real policy or document type): a valid request then goes
    past the lookups into the handler's work, instead of stopping at a 404 or a 400."""
    places = [case.path_parameters or {}]
    if isinstance(case.body, dict):
        places += [case.body, case.body.get("context")]
    for values in places:
        if not isinstance(values, dict):
            continue
        for name in [name for name in values if name in known]:
            if data.draw(st.booleans()):
                values[name] = data.draw(known[name])
                if name == "type" and "inputs" in values:
                    values["inputs"] = inputs_on_the_wire(
                        DOCUMENT_TYPES[values["type"]].example_inputs
                    )


@contextmanager
def _connection_kept() -> Iterator[None]:
    """Requests through the WSGI application keep the test's database connection open, and
    with it the test's transaction, as they do through Django's test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize(("operation", "role", "mode"), list(_calls()))
def test_operation_keeps_to_its_schema(
    operation: APIOperation,
    role: str | None,
    mode: GenerationMode,
    callers: dict[str | None, Caller],
    fake_llm: FakeLLM,
) -> None:
    caller = callers[role]
    fake_llm.default = MODEL_ANSWERS.get(operation.path, Reply())
    strategy = operation.as_strategy(generation_mode=mode)

    @FUZZ_SETTINGS
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        case = data.draw(strategy)
        if mode is GenerationMode.POSITIVE:
            _steer(case, data, caller.known)
        case.call_and_validate(headers=caller.headers, checks=CHECKS)

    with _connection_kept():
        fuzz()
