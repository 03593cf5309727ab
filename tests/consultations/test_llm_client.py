from __future__ import annotations

import json
import logging
import math
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import openai.resources.chat.completions.completions as completions_module
import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from config.api import exception_handler
from config.logging import JsonFormatter
from consultations.llm.client import (
    OFFLINE_CHAT_ANSWER,
    OFFLINE_LABEL,
    Completion,
    get_provider,
)
from consultations.llm.errors import (
    LLMBadOutput,
    LLMMisconfigured,
    LLMRejected,
    LLMTimeout,
    LLMTruncated,
    LLMUnavailable,
)
from tests.fake_llm import (
    Delay,
    Drop,
    FakeLLM,
    Malformed,
    Reply,
    Status,
    Truncated,
    WrongShape,
)

pytestmark = pytest.mark.django_db

MESSAGES = [
    {"role": "system", "content": "You are a careful assistant."},
    {"role": "user", "content": "Can <PERSON_1> end the lease early?"},
]


def ask(key: str = "key-1", **kwargs: object) -> Completion:
    return async_to_sync(get_provider().complete)(messages=MESSAGES, idempotency_key=key, **kwargs)


def timed_ask(**kwargs: object) -> tuple[Completion, float]:
    started = time.monotonic()
    completion = ask(**kwargs)
    return completion, time.monotonic() - started


# --- Answers -------------------------------------------------------------------------------


def test_answer_carries_text_token_counts_and_one_attempt(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="Only with a break clause.", prompt_tokens=42, completion_tokens=6))

    completion = ask()

    assert completion == Completion(
        text="Only with a break clause.",
        model="fake-model",
        prompt_tokens=42,
        completion_tokens=6,
        finish_reason="stop",
        attempts=1,
        provider="openai",
    )
    assert completion.total_tokens == 48


def test_request_sends_the_configured_model_messages_and_key(
    fake_llm: FakeLLM, settings: Settings
) -> None:
    settings.LLM_MODEL = "counsel-test-model"

    ask()

    [request] = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.json["model"] == "counsel-test-model"
    assert request.json["messages"] == MESSAGES
    assert "response_format" not in request.json
    assert "max_tokens" not in request.json


def test_the_messages_are_sent_without_the_sdks_walk_over_them(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The openai SDK checks every parameter against its typed definitions before sending,
    # at a cost that grows with the conversation (36 ms for 100 messages) for the same bytes.
    walked: list[dict] = []
    walk = completions_module.async_maybe_transform

    async def recording_walk(data: dict, expected_type: type) -> object:
        walked.append(data)
        return await walk(data, expected_type)

    monkeypatch.setattr(completions_module, "async_maybe_transform", recording_walk)

    ask()

    assert walked
    assert all(data["messages"] == [] for data in walked)
    assert list(fake_llm.requests[0].json)[:2] == ["model", "messages"]
    assert fake_llm.requests[0].json["messages"] == MESSAGES


def test_max_tokens_is_sent_when_given(fake_llm: FakeLLM) -> None:
    ask(max_tokens=300)

    assert fake_llm.requests[0].json["max_tokens"] == 300


def test_missing_usage_is_estimated_from_the_text(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="x" * 40, usage=False))

    completion = ask()

    assert completion.completion_tokens == 10
    assert completion.prompt_tokens > 0


# --- Retries -------------------------------------------------------------------------------


def test_rate_limit_waits_for_retry_after_then_succeeds(fake_llm: FakeLLM) -> None:
    fake_llm.script(Status(429, retry_after=1))

    completion, elapsed = timed_ask()

    assert completion.attempts == 2
    assert len(fake_llm.requests) == 2
    assert elapsed >= 1.0


def test_retry_after_ms_is_honoured(fake_llm: FakeLLM) -> None:
    fake_llm.script(Status(503, retry_after_ms=300))

    completion, elapsed = timed_ask()

    assert completion.attempts == 2
    assert elapsed >= 0.3


def test_retry_after_as_http_date_is_honoured(fake_llm: FakeLLM) -> None:
    when = datetime.now(UTC) + timedelta(seconds=2)
    fake_llm.script(Status(503, retry_after=format_datetime(when, usegmt=True)))

    completion, elapsed = timed_ask()

    assert completion.attempts == 2
    # The date has whole seconds only: the wait is between one and two seconds.
    assert elapsed >= 0.9


def test_rate_limit_without_retry_after_backs_off_and_retries(
    fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.script(Status(429))

    with caplog.at_level(logging.INFO, logger="counsel.llm"):
        completion = ask()

    assert completion.attempts == 2
    first, second = [r for r in caplog.records if r.name == "counsel.llm"]
    assert (first.attempt, first.outcome, first.upstream_status) == (1, "rate_limited", 429)
    # Full jitter below the first back-off step (LLM_BACKOFF_BASE_MS is 10 in tests).
    assert 0 <= first.retry_in_ms <= 10
    assert (second.attempt, second.outcome) == (2, "ok")


def test_server_error_then_success_takes_two_attempts(fake_llm: FakeLLM) -> None:
    fake_llm.script(Status(500))

    completion = ask()

    assert completion.attempts == 2
    assert completion.text == "This is the fake model's answer."


@pytest.mark.parametrize("status", [408, 409])
def test_request_timeout_and_conflict_statuses_are_retried(fake_llm: FakeLLM, status: int) -> None:
    fake_llm.script(Status(status))

    assert ask().attempts == 2


def test_persistent_503_gives_up_after_exactly_three_attempts(fake_llm: FakeLLM) -> None:
    fake_llm.script(Status(503), Status(503), Status(503), Reply(text="too late"))

    with pytest.raises(LLMUnavailable) as caught:
        ask()

    assert len(fake_llm.requests) == 3
    error = caught.value
    assert (error.code, error.attempts, error.upstream_status) == ("unavailable", 3, 503)
    assert error.status_code == 503
    assert error.detail == "The AI is busy right now, please try again."
    assert error.headers == {"Retry-After": "5"}


def test_max_retries_setting_bounds_the_attempts(fake_llm: FakeLLM, settings: Settings) -> None:
    settings.LLM_MAX_RETRIES = 0
    fake_llm.script(Status(503))

    with pytest.raises(LLMUnavailable):
        ask()

    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_client_errors_are_a_misconfiguration_after_one_attempt(
    fake_llm: FakeLLM, status: int
) -> None:
    fake_llm.script(Status(status))

    with pytest.raises(LLMMisconfigured) as caught:
        ask()

    assert len(fake_llm.requests) == 1
    assert (caught.value.code, caught.value.attempts) == ("misconfigured", 1)
    assert caught.value.upstream_status == status
    # Not the "busy, try again" 503: no retry would help.
    assert caught.value.status_code == 502
    assert "Retry-After" not in caught.value.headers


def test_retry_after_beyond_the_deadline_fails_at_once_and_passes_it_on(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Status(429, retry_after=30))
    started = time.monotonic()

    with pytest.raises(LLMUnavailable) as caught:
        ask()

    assert time.monotonic() - started < 10  # far below the 30 s asked for
    assert len(fake_llm.requests) == 1
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == 30
    assert caught.value.headers == {"Retry-After": "30"}


def test_dropped_connection_is_retried(fake_llm: FakeLLM) -> None:
    fake_llm.script(Drop())

    assert ask().attempts == 2


def test_connection_dropped_on_every_attempt_is_unavailable(fake_llm: FakeLLM) -> None:
    fake_llm.script(Drop(), Drop(), Drop())

    with pytest.raises(LLMUnavailable) as caught:
        ask()

    assert caught.value.attempts == 3
    assert caught.value.upstream_status is None


# --- Timeouts and the deadline -------------------------------------------------------------


def test_slow_first_byte_times_out_each_attempt(fake_llm: FakeLLM, settings: Settings) -> None:
    settings.LLM_TIMEOUT_MS = 400
    settings.LLM_DEADLINE_MS = 1000
    fake_llm.script(Delay(6), Delay(6), Delay(6))
    started = time.monotonic()

    with pytest.raises(LLMTimeout) as caught:
        ask()

    elapsed = time.monotonic() - started
    assert caught.value.code == "timeout"
    assert caught.value.attempts == len(fake_llm.requests) == 3
    # Bounded by the deadline, far below one slow answer (6 s); generous for a loaded machine.
    assert 0.9 <= elapsed < 3.5


def test_deadline_cuts_the_attempt_timeout_short(fake_llm: FakeLLM, settings: Settings) -> None:
    settings.LLM_TIMEOUT_MS = 6000
    settings.LLM_DEADLINE_MS = 500
    fake_llm.script(Delay(10))
    started = time.monotonic()

    with pytest.raises(LLMTimeout) as caught:
        ask()

    # The 0.5 s deadline, not the 6 s attempt timeout, ended the wait.
    assert time.monotonic() - started < 3
    assert caught.value.attempts == 1


def test_slow_answer_within_the_timeout_succeeds(fake_llm: FakeLLM) -> None:
    fake_llm.script(Delay(0.3, then=Reply(text="Worth the wait.")))

    completion = ask()

    assert (completion.text, completion.attempts) == ("Worth the wait.", 1)


# --- Unusable answers ----------------------------------------------------------------------


def test_truncated_body_is_retried_once(fake_llm: FakeLLM) -> None:
    fake_llm.script(Truncated())

    assert ask().attempts == 2


def test_truncated_body_twice_is_bad_output(fake_llm: FakeLLM) -> None:
    fake_llm.script(Truncated(), Truncated(), Reply(text="never asked"))

    with pytest.raises(LLMBadOutput) as caught:
        ask()

    assert len(fake_llm.requests) == 2
    assert (caught.value.code, caught.value.attempts) == ("bad_output", 2)


def test_body_that_is_not_json_is_bad_output(fake_llm: FakeLLM) -> None:
    fake_llm.script(Malformed(), Malformed())

    with pytest.raises(LLMBadOutput):
        ask()


def test_body_of_the_wrong_shape_is_bad_output_without_retry(fake_llm: FakeLLM) -> None:
    fake_llm.script(WrongShape())

    with pytest.raises(LLMBadOutput) as caught:
        ask()

    assert len(fake_llm.requests) == 1
    assert caught.value.attempts == 1


def test_empty_answer_is_bad_output(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text=""))

    with pytest.raises(LLMBadOutput):
        ask()


def test_answer_cut_by_the_length_limit_is_truncated(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="The tenant may", finish_reason="length"))

    with pytest.raises(LLMTruncated) as caught:
        ask()

    assert len(fake_llm.requests) == 1
    assert (caught.value.code, caught.value.status_code) == ("truncated", 503)


def test_content_filtered_answer_is_rejected(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="", finish_reason="content_filter"))

    with pytest.raises(LLMRejected):
        ask()


# --- Idempotency and JSON output -----------------------------------------------------------


def test_idempotency_key_is_the_same_on_retries_and_differs_between_calls(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Status(503), Status(429))

    ask(key="first-call")
    ask(key="second-call")

    keys = [request.idempotency_key for request in fake_llm.requests]
    assert keys == ["first-call", "first-call", "first-call", "second-call"]


def test_json_output_asks_for_a_json_object_and_returns_it(fake_llm: FakeLLM) -> None:
    answer = {"findings": [{"clause": "Deposit", "severity": "high"}], "suggestions": []}
    fake_llm.script(Reply(text=json.dumps(answer)))

    completion = ask(json_output=True)

    assert json.loads(completion.text) == answer
    assert fake_llm.requests[0].json["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("text", ["Here are the findings:", "[1, 2]", '"findings"', "{"])
def test_json_output_that_is_not_a_json_object_is_bad_output(fake_llm: FakeLLM, text: str) -> None:
    fake_llm.script(Reply(text=text))

    with pytest.raises(LLMBadOutput):
        ask(json_output=True)

    # The same Idempotency-Key would replay the same answer: no retry.
    assert len(fake_llm.requests) == 1


# --- Logs, errors at the boundary, configuration -------------------------------------------


def test_attempt_logs_carry_metadata_but_never_content(
    fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.script(Status(500), Reply(text="Secret answer about the lease."))

    with caplog.at_level(logging.DEBUG):
        ask()

    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "end the lease early" not in logged
    assert "careful assistant" not in logged
    assert "Secret answer" not in logged
    attempts = [r for r in caplog.records if r.name == "counsel.llm"]
    assert [(r.attempt, r.outcome) for r in attempts] == [(1, "unavailable"), (2, "ok")]


def test_llm_error_becomes_503_with_retry_after_at_the_api() -> None:
    response = exception_handler(LLMUnavailable(attempts=3, retry_after=7), {})

    assert response is not None
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content) == {
        "type": "/api/problems/ai-unavailable",
        "title": "AI unavailable",
        "status": 503,
        "detail": "The AI is busy right now, please try again.",
    }
    assert response["Retry-After"] == "7"


def test_unknown_provider_is_a_configuration_error(settings: Settings) -> None:
    settings.LLM_PROVIDER = "mystery"

    with pytest.raises(ImproperlyConfigured):
        get_provider()


def test_openai_provider_without_a_key_is_a_configuration_error(settings: Settings) -> None:
    settings.LLM_PROVIDER = "openai"
    settings.LLM_API_KEY = ""

    with pytest.raises(ImproperlyConfigured):
        get_provider()


def test_provider_follows_changed_settings(fake_llm: FakeLLM, settings: Settings) -> None:
    ask()
    settings.LLM_MODEL = "another-model"

    ask()

    assert [r.json["model"] for r in fake_llm.requests][-1] == "another-model"


# --- Offline -------------------------------------------------------------------------------


def test_offline_chat_says_plainly_that_it_is_offline(
    fake_llm: FakeLLM, settings: Settings
) -> None:
    settings.LLM_PROVIDER = "offline"

    first, second = ask(), ask()

    assert first == second
    assert first.text == OFFLINE_CHAT_ANSWER
    assert first.text.startswith(OFFLINE_LABEL)
    assert "not connected to a language model" in first.text
    assert (first.provider, first.model, first.attempts, first.finish_reason) == (
        "offline",
        "offline",
        1,
        "stop",
    )
    # Estimated at four characters a token.
    assert first.prompt_tokens == sum(math.ceil(len(m["content"]) / 4) for m in MESSAGES)
    assert fake_llm.requests == []


def test_offline_answer_given_by_the_service_is_labelled(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"

    completion = ask(offline_answer="TENANCY AGREEMENT\n\n1. Parties ...")

    assert completion.text == f"{OFFLINE_LABEL}\n\nTENANCY AGREEMENT\n\n1. Parties ..."
    assert completion.completion_tokens == math.ceil(len(completion.text) / 4)


def test_offline_answer_already_labelled_is_not_labelled_twice(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"

    completion = ask(offline_answer=f"{OFFLINE_LABEL} Assembled from the template.")

    assert completion.text.count(OFFLINE_LABEL) == 1


def test_offline_json_answer_is_returned_as_given(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"
    analysis = json.dumps({"findings": [], "suggestions": ["Add a break clause."]})

    completion = ask(offline_answer=analysis, json_output=True)

    assert completion.text == analysis


def test_offline_json_output_must_still_be_a_json_object(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"

    with pytest.raises(LLMBadOutput):
        ask(offline_answer="no analysis", json_output=True)
