"""What the fuzz tests share: the schema with the links between operations, the callers and
the values the server knows, the steering of generated requests toward those values, and the
tally of requests and failures each run prints.

Names are matched as they are on the wire, whatever their style (`case_id` or `caseId`, with or
without a trailing slash on a path), so that renaming a parameter or a path in the schema does
not quietly stop the steering or the links.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.auths import AuthContext, set_on_generated_case
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.schemas import BaseSchema
from schemathesis.wfc.escalation import EscalatingAuthProvider

from consultations.policies import POLICIES
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES
from tests.fake_llm import Reply

ROLES = ("client", "lawyer", "admin")
# A second client, who must not see the first one's objects (object_level_authorization).
OTHER_CLIENT = "other-client"


def all_checks() -> list[Any]:
    """Every check the installed schemathesis has: the response checks, the ones that send a
    request of their own (auth, methods, headers) and the stateful ones."""
    load_all_checks()
    return CHECKS.get_all()


# What the model answers, by endpoint: the fake's default text suits a chat, while an analysis
# is a JSON object and a draft numbered sections.
MODEL_ANSWERS = {
    "/api/ai/analyze": Reply(text=json.dumps({"findings": [], "suggestions": []})),
    "/api/ai/generate-document": Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2>."),
}


# --- The schema's links ---------------------------------------------------------------------


def _path_like(paths: Iterable[str], pattern: str) -> str | None:
    """The schema's path matching `pattern` (a regex on the path, its trailing slash and
    parameter names left out), so `/api/cases/{case_id}/` and `/api/cases/{caseId}` match
    alike."""
    for path in paths:
        bare = re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))
        if re.fullmatch(pattern, bare):
            return path
    return None


def _operation_ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _path_parameter(path: str) -> str:
    (name,) = re.findall(r"\{([^}]*)\}", path)
    return name


def with_links(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of the schema with the links the server's answers make between operations
    (OpenAPI links), beside those schemathesis infers from the schemas' names on its own:
    a draft's id and `Location` to the draft's status, a chat's `X-Conversation-Id` to the
    conversation, a case made to the case."""
    raw = copy.deepcopy(raw)
    paths = raw["paths"]
    draft = _path_like(paths, r"/api/ai/drafts/\{\}")
    conversation = _path_like(paths, r"/api/ai/conversations/\{\}")
    case = _path_like(paths, r"/api/cases/\{\}")
    cases = _path_like(paths, r"/api/cases")
    wanted: list[tuple[str | None, str, str, str | None, str, str]] = [
        # from path, method, status, to path, link name, where the id is
        (
            "/api/ai/generate-document",
            "post",
            "202",
            draft,
            "DraftStatus",
            "$response.body#/draftId",
        ),
        (
            "/api/ai/generate-document",
            "post",
            "200",
            draft,
            "DraftStatus",
            r"$response.header.Location#regex:/drafts/(\d+)",
        ),
        (
            "/api/ai/chat",
            "post",
            "200",
            conversation,
            "Conversation",
            "$response.header.X-Conversation-Id",
        ),
        (cases, "post", "201", case, "CaseDetail", "$response.body#/id"),
    ]
    for source, method, status, target, name, expression in wanted:
        if source is None or target is None:
            continue
        response = paths.get(source, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response.setdefault("links", {})[name] = {
            "operationRef": _operation_ref(target, "get"),
            "parameters": {f"path.{_path_parameter(target)}": expression},
        }
    return raw


# --- Callers and the values the server knows ------------------------------------------------

# Values the server knows, by wire name: a steered value is one of them.
Known = dict[str, list[Any]]
# Picks one of the values it is given (a Hypothesis draw, or a seeded random choice).
Choose = Callable[[list[Any]], Any]


@dataclass(frozen=True)
class Caller:
    token: str  # its JWT, "" for nobody
    known: Known  # values the server knows, by wire name

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


# (method, path, body, headers) -> (status, headers, JSON body or None)
Send = Callable[[str, str, Any, dict[str, str]], tuple[int, dict[str, str], Any]]


@dataclass(frozen=True)
class World:
    """The rows the fuzzed requests find: a user per role, a case of the client's with the
    lawyer on it, and, per role, a chat about the case and a queued draft."""

    user_ids: dict[str, int]  # by role, and OTHER_CLIENT
    tokens: dict[str, str]  # access tokens, by the same names
    refresh: str  # a client's refresh token
    username: str  # the client's
    password: str
    case_id: int
    other_case_id: int  # the other client's


def callers(world: World, send: Send) -> dict[str | None, Caller]:
    """A caller per role (None: nobody logged in) and OTHER_CLIENT, each having chatted about
    its case and queued a draft through the API, so that its conversation, consultation and
    draft exist."""
    common = {
        "clientId": [world.user_ids["client"]],
        "lawyerIds": [[world.user_ids["lawyer"]], []],
        "responsibleId": [world.user_ids["lawyer"]],  # on the case
        "policy": list(POLICIES),
        "type": list(DOCUMENT_TYPES),
        "page": [1],
        "format": ["event-stream", "json"],
    }
    by_name: dict[str | None, Caller] = {}
    for name in (*ROLES, OTHER_CLIENT):
        headers = {"Authorization": f"Bearer {world.tokens[name]}"}
        case_id = world.other_case_id if name == OTHER_CLIENT else world.case_id
        status, answered, body = send(
            "POST",
            "/api/ai/chat",
            {
                "userId": world.user_ids[name],
                "message": "Who are the parties?",
                "context": {"caseId": case_id},
            },
            headers,
        )
        assert status == 200, body
        conversation_id = int(answered["X-Conversation-Id"])
        document = {
            "type": "nda",
            "inputs": inputs_on_the_wire(DOCUMENT_TYPES["nda"].example_inputs),
            "async": True,
        }
        status, _, body = send("POST", "/api/ai/generate-document", document, headers)
        assert status == 202, body
        draft_id = body["draftId"]
        status, _, body = send("GET", "/api/ai/consultations", None, headers)
        assert status == 200, body
        consultation_id = body["results"][0]["id"]
        ids = {
            "case": case_id,
            "draft": draft_id,
            "conversation": conversation_id,
            "consultation": consultation_id,
        }
        known: Known = {**common, "userId": [world.user_ids[name]]}
        for thing, value in ids.items():
            # The path parameter's name and the body's, in either style.
            for wire in (f"{thing}_id", f"{thing}Id"):
                known[wire] = [value]
        by_name[name] = Caller(token=world.tokens[name], known=known)
    by_name[None] = Caller(
        token="",
        known={
            "username": [world.username],
            "password": [world.password],
            "refresh": [world.refresh],
        },
    )
    return by_name


# --- Steering -------------------------------------------------------------------------------


def _like(generated: Any, value: Any) -> Any:
    """`value` in the wire type the generator chose: a number where the schema asks for a
    numeric string is sent as that string."""
    if isinstance(generated, str) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(generated, list) and isinstance(value, list) and generated:
        return [_like(generated[0], item) for item in value]
    return value


# A body naming a user who does not exist is refused (400) whatever the schema says, which no
# JSON Schema can express: these always name known ones, so that a valid request is one.
ALWAYS_STEERED = frozenset({"clientId", "lawyerIds", "responsibleId"})


def _query_names(case: Case) -> list[str]:
    return [p.name for p in case.operation.query]


def steer(case: Case, choose: Choose, known: Known) -> None:
    """Swap generated values, each with even odds, for ones the server knows (ids that exist,
    the caller's own id, a real policy, document type or page, the stream format): a valid
    request then goes past the lookups into the handler's work, instead of stopping at a 404
    or a 400. In the path and the body the generated names are swapped; in the query any
    parameter the operation declares may be added, so that `?format=event-stream` meets the
    caller's own `userId`. Steering and the first known value come first among the choices,
    so the simplest example, which Hypothesis tries early, is the fully steered one: every
    run streams a chat of the caller's own."""
    # Copies: a generator may build its next case from the containers of this one.
    case.query = copy.deepcopy(case.query or {})
    case.path_parameters = copy.deepcopy(case.path_parameters)
    if isinstance(case.body, dict):
        case.body = copy.deepcopy(case.body)
    for name in _query_names(case):
        if name in known and choose([True, False]):
            case.query[name] = _like(case.query.get(name), choose(known[name]))
    places = [case.path_parameters or {}]
    if isinstance(case.body, dict):
        places += [case.body, case.body.get("context")]
    for values in places:
        if not isinstance(values, dict):
            continue
        for name in [name for name in values if name in known]:
            if name in ALWAYS_STEERED or choose([True, False]):
                values[name] = _like(values[name], choose(known[name]))
                if name == "type" and "inputs" in values:
                    values["inputs"] = inputs_on_the_wire(
                        DOCUMENT_TYPES[values["type"]].example_inputs
                    )


# --- The tally ------------------------------------------------------------------------------


def _check_name(failure: Failure) -> str:
    return type(failure).checks[0] if type(failure).checks else failure.code


@dataclass
class Finding:
    check: str
    title: str
    operation: str
    status: int
    content_type: str
    request: str  # method, URL and body, shortened
    response: str  # its body, shortened
    message: str
    count: int = 1

    def __str__(self) -> str:
        return (
            f"[{self.check}] {self.title} x{self.count}\n"
            f"  {self.request}\n"
            f"  -> {self.status} {self.content_type}: {self.response}\n"
            f"  {self.message.strip().splitlines()[0] if self.message.strip() else ''}"
        )


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=True)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class Tally:
    """Requests sent and failures found, by operation and by check, and each distinct
    finding once (the first request that showed it, and how many did)."""

    requests: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    findings: dict[tuple[str, ...], Finding] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.requests.update(other.requests)
        self.failures.update(other.failures)
        for key, finding in other.findings.items():
            if key in self.findings:
                self.findings[key].count += finding.count
            else:
                self.findings[key] = copy.copy(finding)

    def sent(self, case: Case) -> None:
        self.requests[case.operation.label] += 1

    def failed(self, case: Case, response: Any, failures: Iterable[Failure]) -> None:
        for failure in failures:
            check = _check_name(failure)
            self.failures[check] += 1
            status = getattr(response, "status_code", 0)
            headers = getattr(response, "headers", {}) or {}
            content_type = _header(headers, "Content-Type")
            key = (
                check,
                failure.title,
                case.operation.label,
                str(status),
                content_type.split(";")[0],
            )
            if key in self.findings:
                self.findings[key].count += 1
                continue
            query = "&".join(f"{k}={_short(v, 80)}" for k, v in (case.query or {}).items())
            url = case.formatted_path + (f"?{query}" if query else "")
            body = "" if case.body is None or _is_unset(case.body) else " " + _short(case.body)
            self.findings[key] = Finding(
                check=check,
                title=failure.title,
                operation=case.operation.label,
                status=status,
                content_type=content_type,
                request=f"{case.method} {url}{body}",
                response=_short(_text_of(response)),
                message=failure.message,
            )

    def report(self) -> str:
        lines = [f"{sum(self.requests.values())} requests, {sum(self.failures.values())} failures"]
        lines += [f"  {label}: {count}" for label, count in sorted(self.requests.items())]
        lines += [f"  failures by check: {dict(sorted(self.failures.items()))}"]
        lines += [str(finding) for finding in self.findings.values()]
        return "\n".join(lines)


def _header(headers: Any, name: str) -> str:
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else str(value)
    return ""


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


def _text_of(response: Any) -> str:
    try:
        return response.text
    except Exception:
        return f"<{len(getattr(response, 'content', b''))} bytes>"


def checked(tally: Tally, case: Case, checks: list[Any], **kwargs: Any) -> Any:
    """Send a case and validate the answer, counting the request and each failure, which the
    test raises once all its examples are sent: a run reports every distinct finding, not
    the first alone. `kwargs` go to the transport (`base_url`, `headers`)."""
    tally.sent(case)
    response = case.call(**kwargs)
    try:
        case.validate_response(
            response,
            checks=checks_for(case, checks),
            headers=kwargs.get("headers"),
            transport_kwargs=kwargs,
        )
    except FailureGroup as group:
        tally.failed(case, response, group.exceptions)
    except Failure as failure:
        tally.failed(case, response, [failure])
    return response


def checks_for(case: Case, checks: list[Any]) -> list[Any]:
    """`checks`, but no rejection asked of a case that breaks nothing (`_unbroken`)."""
    if _unbroken(case):
        return [check for check in checks if check.__name__ != "negative_data_rejection"]
    return checks


def _unbroken(case: Case) -> bool:
    """A case schemathesis labels negative although it broke nothing: its phase says
    "Positive test case" with no mutation. It does so for a multipart body whose one field is
    a file (any bytes are a file: the upload endpoints), and sends the valid body unchanged,
    which the server rightly takes."""
    meta = case.meta
    data = getattr(meta.phase, "data", None) if meta is not None else None
    return (
        meta is not None
        and meta.generation.mode.is_negative
        and not getattr(data, "mutations", True)
        and getattr(data, "description", "") == "Positive test case"
    )


def fail_on_findings(tally: Tally, *, seed: int | None = None) -> None:
    if tally.findings:
        again = "" if seed is None else f"\nseed {seed} (FUZZ_SEED={seed} repeats this run)"
        pytest.fail(
            f"{len(tally.findings)} distinct findings{again}\n"
            + "\n".join(str(f) for f in tally.findings.values()),
            pytrace=False,
        )


# --- Who sends a generated request -----------------------------------------------------------


class Bearer:
    """A schemathesis auth provider: a fixed JWT in the Authorization header."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get(self, case: Case, context: Any) -> str:
        return self.token

    def set(self, case: Case, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def sign_in_as(schema: BaseSchema, by_name: dict[str | None, Caller], name: str | None) -> None:
    """Generated requests go out as `name` (None: with no credentials). Every identity stays
    loaded, and the two clients are peers who must not read each other's objects: the check
    object_level_authorization replays a client's successful reads as the other client."""
    schema.auth.providers.clear()
    if name is None:
        return
    names = [*ROLES, OTHER_CLIENT]
    schema.auth.providers.append(
        EscalatingAuthProvider(
            [Bearer(by_name[each].token) for each in names],
            names,
            peers=("client", OTHER_CLIENT),
            pinned=name,
        )
    )


# --- The run ---------------------------------------------------------------------------------

# The randomized profile's seed: FUZZ_SEED repeats a run, else a fresh one each run.
SEED = int(os.environ.get("FUZZ_SEED") or secrets.randbits(32))
# Each profile's tally over the session, printed at its end.
TALLIES: dict[str, Tally] = {}


def tally_of(profile: str) -> Tally:
    return TALLIES.setdefault(profile, Tally())


def checked_as_documented(schema: BaseSchema) -> BaseSchema:
    """The API answers 422 for a request the schema takes but a rule it cannot express
    refuses (config.api.RuleBroken): schema-valid data may get it, as a 409 or a 404."""
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "422"]
    return schema


def in_process_schema() -> BaseSchema:
    """The schema as drf-spectacular makes it, with the links, served by Django's WSGI
    application in this process."""
    from django.core.handlers.wsgi import WSGIHandler
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    schema = checked_as_documented(schemathesis.openapi.from_dict(with_links(raw)))
    schema.app = WSGIHandler()
    return schema


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def calls(schema: BaseSchema) -> list[Any]:
    """(operation, role) for each operation: as each role when it needs credentials, as
    nobody when it does not."""
    params = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for role in roles_of(operation):
            params.append(
                pytest.param(operation, role, id=f"{operation.label}-{role or 'anonymous'}")
            )
    return params


def roles_of(operation: APIOperation) -> tuple[str | None, ...]:
    return ROLES if operation.definition.raw.get("security") else (None,)


def fuzz_operation(
    operation: APIOperation,
    caller: Caller,
    *,
    settings: hypothesis.settings,
    checks: list[Any],
    tally: Tally,
    seed: int | None = None,
    **kwargs: Any,
) -> None:
    """Send `settings.max_examples` valid requests for `operation` (steered toward the values
    the server knows), then as many invalid ones, validating each answer with `checks`;
    `kwargs` go to the transport; `seed` fixes Hypothesis' seed (the settings may derandomize
    instead)."""
    for mode in MODES:
        _fuzz_mode(
            operation,
            mode,
            caller,
            settings,
            seed,
            lambda case: checked(tally, case, checks, **kwargs),
        )


def _fuzz_mode(
    operation: APIOperation,
    mode: GenerationMode,
    caller: Caller,
    settings: hypothesis.settings,
    seed: int | None,
    send: Callable[[Case], Any],
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        case = data.draw(strategy)
        if mode is GenerationMode.POSITIVE:
            steer(case, lambda values: data.draw(st.sampled_from(values)), caller.known)
        send(case)

    if seed is not None:
        fuzz = hypothesis.seed(seed)(fuzz)
    fuzz()


def coverage_cases(operation: APIOperation) -> Iterator[Case]:
    """Schemathesis' coverage phase for `operation`, with the schema's credentials applied:
    each boundary and each way to break every parameter once, an undeclared method, an
    OPTIONS request, a required header left out, a query parameter repeated. Deterministic,
    and what the checks unsupported_method, allow_header_conformance and
    missing_required_header look at."""
    schema = operation.schema
    context = AuthContext(operation=operation, app=operation.app)
    for case in schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
    ):
        set_on_generated_case(case, context, None)
        yield case
