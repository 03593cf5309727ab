"""LLM faults, end to end: the real API, the real OpenAI SDK, a misbehaving server.

Each row of the tables below is one way an OpenAI-compatible server fails. The server is
``llmock serve`` (its own process, faults queued over its control API); what llmock cannot
do (close a non-streamed request without answering, a non-streamed body cut short or not
JSON) comes from the project's fake server, ``tests/fake_llm.py``. For every row the test
checks what the caller got (status, body, Retry-After; the events of a stream), how many
attempts the server saw, that the time taken stayed within the LLM deadline, the Consultation
recorded, and that nothing wrong was cached: the same question asked again once the server is
healthy reaches the server again, while a recovered answer is served from the cache.

The unit-level behaviour of the client (each status, each header form) is in
``tests/consultations/test_llm_client.py``; this suite is the whole path under faults.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from tests.consultations.test_chat_api import BUSY, chat
from tests.consultations.test_chat_stream import deltas, events, stream
from tests.fake_llm import Behaviour, Drop, FakeLLM, Malformed, Reply, Status, Truncated, WrongShape
from tests.faults.llmock_server import LLMockServer

pytestmark = pytest.mark.django_db

ANSWER = "Only with the written consent of your landlord."
MISCONFIGURED = {
    "type": "/api/problems/ai-misconfigured",
    "title": "AI misconfigured",
    "status": 502,
    "detail": "The AI service is misconfigured; an administrator has been told.",
}
# The first two words of ANSWER: what a stream broken after its third chunk (the role chunk,
# "Only ", "with ") had shown.
SHOWN = "Only with "
TIMEOUT_MS = 500
DEADLINE_MS = 2000
# Above the deadline, for the request's own work (a busy CI machine, MariaDB): only an
# unbounded wait reaches it.
SLACK_S = 1.5
# The wait the server's Retry-After asks for when it is below a second: the caller is still
# told at least one second.
SHORT_WAIT = 0.3


@dataclass(frozen=True)
class Fault:
    """How the LLM server misbehaves, and what the caller and the audit show for it."""

    name: str
    attempts: int  # requests the server saw
    error_code: str = ""  # the Consultation's; "" when the caller got the answer
    retry_after: str | None = None  # sent with the caller's 503
    # What the caller is answered when the call fails: 503 "busy" for what waiting may cure,
    # 502 "misconfigured" (no Retry-After) for a request the provider refuses; 200 when a
    # fallback answered (an analysis from the rule checks alone).
    status: int = 503
    llmock: tuple[dict[str, Any], ...] = ()  # behaviours queued on llmock
    fake_once: tuple[Behaviour, ...] = ()  # the fake server's next answers
    fake_always: Behaviour | None = None  # the fake server's every answer
    timeout_ms: int = TIMEOUT_MS
    deadline_ms: int = DEADLINE_MS
    shown: str = ""  # a stream's text shown before it broke

    @property
    def outcome(self) -> str:
        # A fallback answered the caller: the call is ok, its error_code says how.
        return "failed" if self.error_code and self.status != 200 else "ok"

    @property
    def answer(self) -> dict[str, str]:
        return MISCONFIGURED if self.status == 502 else BUSY


def _fail(status: int, *, times: int | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": "fail", "status": status, "times": times, **fields}


def _delay(seconds: float, *, times: int | None = None) -> dict[str, Any]:
    return {"type": "delay", "seconds": seconds, "times": times}


def _broken_stream(kind: str, *, after_chunks: int = 3, **fields: Any) -> dict[str, Any]:
    return {"type": "stream_fault", "kind": kind, "after_chunks": after_chunks, **fields}


LLMOCK_FAULTS = [
    Fault(
        "429 with Retry-After, then an answer",
        llmock=(_fail(429, times=2, retry_after=SHORT_WAIT),),
        attempts=3,
    ),
    Fault(
        "429 with Retry-After on every attempt",
        llmock=(_fail(429, retry_after=SHORT_WAIT),),
        attempts=3,
        error_code="rate_limited",
        retry_after="1",
    ),
    Fault(
        "429 with a Retry-After beyond the deadline",
        llmock=(_fail(429, retry_after=7),),
        attempts=1,
        error_code="rate_limited",
        retry_after="7",
    ),
    Fault("500 once", llmock=(_fail(500, times=1),), attempts=2),
    Fault(
        "500 on every attempt",
        llmock=(_fail(500),),
        attempts=3,
        error_code="unavailable",
        retry_after="5",
    ),
    Fault(
        "503 on every attempt",
        llmock=(_fail(503, retry_after=0.1),),
        attempts=3,
        error_code="unavailable",
        retry_after="1",
    ),
    # A request the provider refuses (a malformed request, a bad key, a key without access,
    # an unknown model) fails the same way every time: 502, not "busy, try again".
    *(
        Fault(
            f"{status}, never retried: misconfigured",
            llmock=(_fail(status),),
            attempts=1,
            error_code="misconfigured",
            status=502,
        )
        for status in (400, 401, 403, 404)
    ),
    Fault("slow first byte within the timeout", llmock=(_delay(0.3, times=1),), attempts=1),
    Fault("slow first byte past the timeout, once", llmock=(_delay(1.0, times=1),), attempts=2),
    Fault(
        "stalled past the timeout on every attempt",
        llmock=(_delay(0.9),),
        attempts=3,
        error_code="timeout",
        retry_after="5",
    ),
    Fault(
        "stalled past the deadline",
        llmock=(_delay(1.3),),
        timeout_ms=1000,
        deadline_ms=1500,
        attempts=2,
        error_code="timeout",
        retry_after="5",
    ),
    Fault(
        "an answer cut by the length limit",
        llmock=({"type": "reply", "text": "Only with the", "finish_reason": "length"},),
        attempts=1,
        error_code="truncated",
        retry_after="5",
    ),
]

# What llmock cannot do: its faults on a non-streamed answer are statuses and delays only.
FAKE_FAULTS = [
    Fault(
        "429 without Retry-After on every attempt",
        fake_always=Status(429),
        attempts=3,
        error_code="rate_limited",
        retry_after="5",
    ),
    Fault(
        "connection dropped on every attempt",
        fake_always=Drop(),
        attempts=3,
        error_code="unavailable",
        retry_after="5",
    ),
    Fault("a body cut short, once", fake_once=(Truncated(text=ANSWER),), attempts=2),
    Fault(
        "a body cut short on every attempt",
        fake_always=Truncated(text=ANSWER),
        attempts=2,
        error_code="bad_output",
        retry_after="5",
    ),
    Fault(
        "a body that is not JSON",
        fake_always=Malformed(),
        attempts=2,
        error_code="bad_output",
        retry_after="5",
    ),
    Fault(
        "JSON that is no completion",
        fake_always=WrongShape(),
        attempts=1,
        error_code="bad_output",
        retry_after="5",
    ),
]

STREAM_FAULTS = [
    Fault(
        "dropped mid-answer",
        llmock=(_broken_stream("disconnect"),),
        attempts=1,
        error_code="unavailable",
        shown=SHOWN,
    ),
    Fault(
        "ended early without a finish reason",
        llmock=(_broken_stream("truncate"),),
        attempts=1,
        error_code="truncated",
        shown=SHOWN,
    ),
    Fault(
        "a corrupted chunk mid-answer",
        llmock=(_broken_stream("malformed"),),
        attempts=1,
        error_code="unavailable",
        shown=SHOWN,
    ),
    Fault(
        "stalled mid-answer past the timeout",
        llmock=(_broken_stream("stall", stall_seconds=1.5),),
        attempts=1,
        error_code="unavailable",
        shown=SHOWN,
    ),
    Fault(
        "a corrupted first chunk, retried",
        llmock=(_broken_stream("malformed", after_chunks=0),),
        attempts=2,
    ),
    Fault(
        "slow first token within the timeout",
        llmock=({"type": "slow_first_token", "seconds": 0.3},),
        attempts=1,
    ),
    Fault(
        "slow first token past the timeout, retried",
        llmock=({"type": "slow_first_token", "seconds": 1.0},),
        attempts=2,
    ),
    Fault(
        "503 before the first token",
        llmock=(_fail(503, retry_after=0.1),),
        attempts=3,
        error_code="unavailable",
    ),
    Fault(
        "401 before the first token: misconfigured",
        llmock=(_fail(401),),
        attempts=1,
        error_code="misconfigured",
        status=502,
    ),
]


def _named(faults: list[Fault]) -> list[Any]:
    return [pytest.param(fault, id=fault.name) for fault in faults]


# Named apart from the `llmock` fixture of llmock's own pytest plugin, which runs the server
# inside the test process; this one is `llmock serve`, a process of its own.
@pytest.fixture(scope="session")
def llmock_process() -> Iterator[LLMockServer]:
    server = LLMockServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def faulty_llm(llmock_process: LLMockServer) -> LLMockServer:
    """llmock with no fault queued and no request recorded."""
    llmock_process.reset()
    return llmock_process


def _point_at(settings: Settings, base_url: str, fault: Fault) -> None:
    settings.LLM_PROVIDER = "openai"
    settings.LLM_BASE_URL = base_url
    settings.LLM_API_KEY = "test-key"
    settings.LLM_MAX_RETRIES = 2
    settings.LLM_TIMEOUT_MS = fault.timeout_ms
    settings.LLM_DEADLINE_MS = fault.deadline_ms
    settings.LLM_BACKOFF_BASE_MS = 20


def _answer_always(llmock: LLMockServer) -> None:
    # Queued after a row's own behaviours: llmock takes the first that matches, per kind.
    llmock.queue({"type": "reply", "text": ANSWER, "times": None})


def _heal(llmock: LLMockServer) -> None:
    llmock.clear_scenario()
    _answer_always(llmock)


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _check_row(fault: Fault, elapsed: float, *, seen: int) -> Consultation:
    """The attempts, the time taken and the Consultation: alike for every kind of call."""
    assert seen == fault.attempts
    assert elapsed < fault.deadline_ms / 1000 + SLACK_S
    consultation = Consultation.objects.get()
    assert (consultation.outcome, consultation.error_code) == (fault.outcome, fault.error_code)
    assert (consultation.attempts, consultation.retries) == (fault.attempts, fault.attempts - 1)
    assert (consultation.provider, consultation.cache_hit) == ("openai", False)
    assert consultation.latency_ms <= elapsed * 1000 + 1
    return consultation


def _check_chat(
    fault: Fault,
    api: APIClient,
    user: User,
    *,
    seen: Callable[[], int],
    heal: Callable[[], None],
) -> None:
    response, elapsed = _timed(lambda: chat(api, user))

    if fault.error_code:
        assert response.status_code == fault.status
        assert response.json() == fault.answer
        assert response.headers.get("Retry-After") == fault.retry_after
    else:
        assert response.status_code == 200
        assert (response.json()["answer"], response.json()["cached"]) == (ANSWER, False)
    consultation = _check_row(fault, elapsed, seen=seen())
    assert consultation.answer == ("" if fault.error_code else ANSWER)

    heal()
    again = chat(api, user)

    assert again.status_code == 200
    assert again.json()["answer"] == ANSWER
    # A failure is never cached, so the healthy server is asked; a recovered answer is.
    assert again.json()["cached"] is not bool(fault.error_code)
    assert seen() == fault.attempts + bool(fault.error_code)


@pytest.mark.parametrize("fault", _named(LLMOCK_FAULTS))
def test_chat_under_an_llmock_fault(
    fault: Fault,
    faulty_llm: LLMockServer,
    settings: Settings,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    _point_at(settings, faulty_llm.base_url, fault)
    faulty_llm.queue(*fault.llmock)
    _answer_always(faulty_llm)
    api = api_client_for(client_user)

    def seen() -> int:
        return len(faulty_llm.requests())

    def heal() -> None:
        # Read before the repeated question, which llmock would take for one more retry.
        attempts = faulty_llm.requests()
        waits = [
            (after["started_at"] - before["ended_at"], before["retry_after"])
            for before, after in itertools.pairwise(attempts)
            if before["retry_after"] is not None
        ]
        # Retry-After honoured: the next attempt came no sooner than the server asked.
        assert all(waited >= asked for waited, asked in waits), waits
        verdict = faulty_llm.verdict()
        assert verdict["passed"], verdict["findings"]
        _heal(faulty_llm)

    _check_chat(fault, api, client_user, seen=seen, heal=heal)


@pytest.mark.parametrize("fault", _named(FAKE_FAULTS))
def test_chat_under_a_fault_llmock_cannot_make(
    fault: Fault,
    fake_llm: FakeLLM,
    settings: Settings,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    _point_at(settings, fake_llm.base_url, fault)
    fake_llm.default = fault.fake_always or Reply(text=ANSWER)
    fake_llm.script(*fault.fake_once)

    def heal() -> None:
        fake_llm.default = Reply(text=ANSWER)

    _check_chat(
        fault,
        api_client_for(client_user),
        client_user,
        seen=lambda: len(fake_llm.requests),
        heal=heal,
    )


@pytest.mark.parametrize("fault", _named(STREAM_FAULTS))
def test_streamed_chat_under_an_llmock_fault(
    fault: Fault,
    faulty_llm: LLMockServer,
    settings: Settings,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    _point_at(settings, faulty_llm.base_url, fault)
    faulty_llm.queue(*fault.llmock)
    _answer_always(faulty_llm)
    api = api_client_for(client_user)

    parsed, elapsed = _timed(lambda: events(stream(api, client_user)))

    if fault.error_code:
        assert "".join(deltas(parsed)) == fault.shown
        # A stream that started cannot change its status: its last event says what broke.
        assert parsed[-1] == ("error", {"detail": fault.answer["detail"]})
    else:
        assert "".join(deltas(parsed)) == ANSWER
        assert parsed[-1][0] == "done"
        assert parsed[-1][1]["cached"] is False
    consultation = _check_row(fault, elapsed, seen=len(faulty_llm.requests()))
    # What the user was shown, and nothing more, is what the audit keeps.
    assert consultation.answer == (fault.shown if fault.error_code else ANSWER)

    _heal(faulty_llm)
    again = events(stream(api, client_user))

    assert "".join(deltas(again)) == ANSWER
    assert again[-1][1]["cached"] is not bool(fault.error_code)
    assert len(faulty_llm.requests()) == fault.attempts + bool(fault.error_code)


ANALYSIS = '{"findings": [], "suggestions": ["Say whether subletting is allowed."]}'
FALLBACK_NOTE = "[Rule checks only]"


@pytest.mark.parametrize(
    "fault",
    _named(
        [
            Fault(
                "503 on every attempt",
                llmock=(_fail(503, retry_after=0.1),),
                attempts=3,
                error_code="unavailable",
                retry_after="1",
            ),
            Fault(
                "401: misconfigured",
                llmock=(_fail(401),),
                attempts=1,
                error_code="misconfigured",
                status=502,
            ),
            # Unreadable JSON is asked for once more, then the policy's rule checks answer
            # alone, labelled (200), and the fallback is never cached.
            Fault(
                "an answer that is not the JSON asked for, once",
                llmock=({"type": "reply", "text": ANSWER, "times": 1},),
                attempts=2,
            ),
            Fault(
                "answers that are never the JSON asked for",
                llmock=({"type": "reply", "text": ANSWER, "times": None},),
                attempts=2,
                error_code="bad_output_fallback",
                status=200,
            ),
            Fault(
                "an answer cut by the length limit",
                llmock=({"type": "reply", "text": '{"findings": [', "finish_reason": "length"},),
                attempts=1,
                error_code="truncated_fallback",
                status=200,
            ),
        ]
    ),
)
def test_contract_analysis_under_an_llmock_fault(
    fault: Fault,
    faulty_llm: LLMockServer,
    settings: Settings,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    _point_at(settings, faulty_llm.base_url, fault)
    faulty_llm.queue(*fault.llmock, {"type": "reply", "text": ANALYSIS, "times": None})
    api = api_client_for(client_user)
    body = {"text": "The tenant pays a monthly rent of $1,000.", "policy": "lease"}

    response, elapsed = _timed(lambda: api.post(reverse("ai-api:analyze"), body, format="json"))

    if fault.status == 200:
        assert response.status_code == 200
        assert response.json()["suggestions"][0].startswith(FALLBACK_NOTE)
    elif fault.error_code:
        assert response.status_code == fault.status
        assert response.json() == fault.answer
        assert response.headers.get("Retry-After") == fault.retry_after
    else:
        assert response.status_code == 200
        assert "Say whether subletting is allowed." in response.json()["suggestions"]
    consultation = _check_row(fault, elapsed, seen=len(faulty_llm.requests()))
    assert (consultation.kind, consultation.policy) == ("analyze", "lease")

    faulty_llm.clear_scenario()
    faulty_llm.queue({"type": "reply", "text": ANALYSIS, "times": None})
    again = api.post(reverse("ai-api:analyze"), body, format="json")

    assert again.status_code == 200
    assert "Say whether subletting is allowed." in again.json()["suggestions"]
    # Neither a failure nor a fallback is cached; a recovered answer is.
    assert len(faulty_llm.requests()) == fault.attempts + bool(fault.error_code)
