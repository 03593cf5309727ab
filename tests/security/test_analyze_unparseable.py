"""`POST /api/ai/analyze` when the model's answer is not the JSON asked for: JSON is asked for
the way the provider supports it (a schema, else any JSON object, else the prompt alone), an
unreadable answer is asked for once more, and then the policy's rule checks answer alone,
labelled, recorded as `bad_output_fallback` and never cached. It was a 503 every time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from consultations.policies import POLICIES, get_policy
from tests.fake_llm import FakeLLM, Reply, Status

pytestmark = pytest.mark.django_db

ANALYZE = reverse("ai-api:analyze")
# Short of the clauses every policy asks for, so each policy's rule checks find something.
CONTRACT = "This agreement is made between the parties. The fee is 1000 EUR, payable on demand."
LABEL = "[Rule checks only]"
MODEL_ANSWER = {"findings": [], "suggestions": ["Name the governing law."]}
PROSE = "The contract looks fine to me."


def analyze(api: APIClient, policy: str = "lease") -> Any:
    return api.post(ANALYZE, {"text": CONTRACT, "policy": policy}, format="json")


@pytest.fixture
def api(client_user: User, api_client_for: Callable[[User], APIClient]) -> APIClient:
    return api_client_for(client_user)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_prose_instead_of_json_falls_back_to_the_policys_rule_checks(
    policy: str, fake_llm: FakeLLM, api: APIClient
) -> None:
    fake_llm.default = Reply(text=PROSE)
    rules = [finding.as_dict() for finding in get_policy(policy).check(CONTRACT)]

    response = analyze(api, policy)

    assert response.status_code == 200
    body = response.json()
    assert rules
    assert body["findings"] == rules
    assert body["suggestions"][0].startswith(LABEL)
    assert len(fake_llm.requests) == 2  # asked once more before falling back
    consultation = Consultation.objects.get()
    assert (consultation.outcome, consultation.error_code) == ("ok", "bad_output_fallback")
    assert consultation.attempts == 2


def test_the_fallback_is_never_cached_as_the_models_answer(
    fake_llm: FakeLLM, api: APIClient
) -> None:
    fake_llm.default = Reply(text=PROSE)
    counted = REGISTRY.get_sample_value(
        "counsel_llm_errors_total", {"kind": "analyze", "error": "bad_output_fallback"}
    )

    analyze(api)
    fake_llm.default = Reply(text=json.dumps(MODEL_ANSWER))
    healed = analyze(api)

    assert healed.json()["suggestions"][-1] == "Name the governing law."
    assert not healed.json()["suggestions"][0].startswith(LABEL)
    assert len(fake_llm.requests) == 3
    assert (
        REGISTRY.get_sample_value(
            "counsel_llm_errors_total", {"kind": "analyze", "error": "bad_output_fallback"}
        )
        == (counted or 0) + 1
    )


def test_one_unreadable_answer_is_asked_for_again_and_the_good_one_is_cached(
    fake_llm: FakeLLM, api: APIClient
) -> None:
    fake_llm.script(Reply(text=json.dumps({"findings": "none"})))
    fake_llm.default = Reply(text=json.dumps(MODEL_ANSWER))

    first, second = analyze(api), analyze(api)

    assert first.status_code == 200
    assert "Name the governing law." in first.json()["suggestions"]
    assert second.json() == first.json()
    assert len(fake_llm.requests) == 2
    # A fresh key for the second question: a provider that stores answers must not replay.
    assert fake_llm.requests[0].idempotency_key != fake_llm.requests[1].idempotency_key
    answered = Consultation.objects.order_by("id").first()
    assert (answered.outcome, answered.error_code, answered.attempts) == ("ok", "", 2)


def test_an_answer_cut_off_falls_back_too(fake_llm: FakeLLM, api: APIClient) -> None:
    fake_llm.default = Reply(text='{"findings": [{"clause": "Ter', finish_reason="length")

    response = analyze(api)

    assert response.status_code == 200
    assert response.json()["suggestions"][0].startswith(LABEL)
    assert Consultation.objects.get().error_code == "truncated_fallback"


def test_json_is_asked_for_with_the_analysis_schema(fake_llm: FakeLLM, api: APIClient) -> None:
    fake_llm.default = Reply(text=json.dumps(MODEL_ANSWER))

    analyze(api)

    (request,) = fake_llm.requests
    asked = request.json["response_format"]
    assert asked["type"] == "json_schema"
    schema = asked["json_schema"]["schema"]
    assert schema["required"] == ["findings", "suggestions"]
    assert schema["properties"]["findings"]["items"]["properties"]["severity"]["enum"] == [
        "low",
        "medium",
        "high",
    ]


@pytest.mark.parametrize(
    ("refused", "asked"),
    [
        ({"json_schema"}, ["json_schema", "json_object"]),
        ({"json_schema", "json_object"}, ["json_schema", "json_object", None]),
    ],
    ids=["no-schemas", "no-json-mode"],
)
def test_a_server_that_refuses_a_response_format_is_asked_with_a_plainer_one(
    refused: set[str], asked: list[str | None], fake_llm: FakeLLM, api: APIClient
) -> None:
    fake_llm.refused_formats = refused
    fake_llm.default = Reply(text=json.dumps(MODEL_ANSWER))

    response = analyze(api)

    assert response.status_code == 200
    assert "Name the governing law." in response.json()["suggestions"]
    assert [request.response_format for request in fake_llm.requests] == asked
    consultation = Consultation.objects.get()
    assert (consultation.outcome, consultation.attempts) == ("ok", len(asked))


def test_a_refused_key_is_not_asked_again_in_plainer_formats(
    fake_llm: FakeLLM, api: APIClient
) -> None:
    fake_llm.default = Status(401)

    response = analyze(api)

    assert response.status_code == 502
    assert len(fake_llm.requests) == 1
