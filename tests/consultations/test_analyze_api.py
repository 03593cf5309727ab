from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from consultations.llm.client import OFFLINE_LABEL
from consultations.models import Consultation
from consultations.policies import POLICIES, get_policy, suggestions_for
from tests.fake_llm import FakeLLM, Reply, Status
from tests.problems import field_errors_of

pytestmark = pytest.mark.django_db

ANALYZE = reverse("ai-api:analyze")
BUSY = {
    "type": "/api/problems/ai-unavailable",
    "title": "AI unavailable",
    "status": 503,
    "detail": "The AI is busy right now, please try again.",
}
FINDING_KEYS = {"rule", "clause", "severity", "evidence", "message", "suggestion"}

RISKY = (
    "This agreement is perpetual and irrevocable. The company may change the fees at its "
    "sole discretion."
)
# A lease with every clause the lease policy requires and nothing it forbids.
CLEAN_LEASE = (
    "The tenant pays a monthly rent of $1,000. The term of this lease is twelve months. "
    "A security deposit of $1,000 is held. The landlord is responsible for repairs. "
    "Either party may terminate this lease with 60 days' written notice."
)
LLM_FINDING = {
    "clause": "Subletting",
    "severity": "high",
    "evidence": "The term of this lease is twelve months.",
    "message": "Nothing says whether the tenant may sublet.",
    "suggestion": "Say whether subletting is allowed, and on what terms.",
}


def analyze(api: APIClient, body: dict[str, Any], **kwargs: Any) -> Any:
    return api.post(ANALYZE, body, format="json", **kwargs)


@pytest.mark.parametrize("policy", list(POLICIES))
def test_offline_analysis_is_the_policys_rule_checks(
    settings: Any,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    policy: str,
) -> None:
    settings.LLM_PROVIDER = "offline"
    expected = [finding.as_dict() for finding in get_policy(policy).check(RISKY)]

    response = analyze(api_client_for(client_user), {"text": RISKY, "policy": policy})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"findings", "riskLevel", "suggestions"}
    assert body["findings"] == expected
    assert {"wording.perpetual", "wording.sole_discretion"} <= {f["rule"] for f in expected}
    # Missing required clauses include a high one in every policy.
    assert body["riskLevel"] == "high"
    assert body["suggestions"][0].startswith(OFFLINE_LABEL)
    assert body["suggestions"][1:] == suggestions_for(expected)
    row = Consultation.objects.get()
    assert (row.kind, row.policy) == ("analyze", policy)
    assert row.policy_version == POLICIES[policy].version


def test_offline_analysis_of_a_compliant_contract_is_low_risk(
    settings: Any, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    settings.LLM_PROVIDER = "offline"

    response = analyze(api_client_for(client_user), {"text": CLEAN_LEASE, "policy": "lease"})

    assert response.json()["findings"] == []
    assert response.json()["riskLevel"] == "low"


def test_online_analysis_merges_the_models_findings_after_the_rules(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    text = CLEAN_LEASE + " The landlord may enter at its sole discretion."
    rule = get_policy("lease").check(text)[0].as_dict()
    repeated = {**rule, "rule": "", "message": "The model says it again."}
    answer = {"findings": [LLM_FINDING, repeated], "suggestions": ["Add a break clause."]}
    fake_llm.script(Reply(text=json.dumps(answer)))

    response = analyze(api_client_for(client_user), {"text": text, "policy": "lease"})

    assert response.status_code == 200
    body = response.json()
    assert body["findings"] == [rule, {"rule": "", **LLM_FINDING}]
    assert all(set(finding) == FINDING_KEYS for finding in body["findings"])
    assert body["riskLevel"] == "high"
    assert body["suggestions"] == [
        rule["suggestion"],
        LLM_FINDING["suggestion"],
        "Add a break clause.",
    ]
    request = fake_llm.requests[0].json
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["name"] == "contract_analysis"
    assert request["messages"][1]["content"] == text
    assert "Residential or commercial lease" in request["messages"][0]["content"]


def test_identical_analysis_is_answered_from_the_cache(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text=json.dumps({"findings": [LLM_FINDING], "suggestions": []}))
    api = api_client_for(client_user)
    body = {"text": CLEAN_LEASE, "policy": "lease"}

    first, second = analyze(api, body), analyze(api, body)

    assert second.json() == first.json()
    assert len(fake_llm.requests) == 1
    assert Consultation.objects.filter(cache_hit=True).count() == 1


def test_another_policy_is_not_served_the_cached_analysis(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text=json.dumps({"findings": [], "suggestions": []}))
    api = api_client_for(client_user)

    analyze(api, {"text": CLEAN_LEASE, "policy": "lease"})
    analyze(api, {"text": CLEAN_LEASE, "policy": "nda"})

    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        "The contract looks fine to me.",
        json.dumps({"findings": "none"}),
        json.dumps({"findings": [], "suggestions": "Add a break clause."}),
        json.dumps(["not", "an", "object"]),
    ],
)
def test_an_unusable_model_analysis_falls_back_to_the_rule_checks_never_cached(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient], reply: str
) -> None:
    fake_llm.default = Reply(text=reply)
    api = api_client_for(client_user)
    body = {"text": CLEAN_LEASE, "policy": "lease"}

    response = analyze(api, body)
    analyze(api, body)

    # It used to be a 503 "busy" for every policy; now the rule checks answer, labelled.
    assert response.status_code == 200
    assert response.json()["findings"] == []
    assert response.json()["suggestions"][0].startswith("[Rule checks only]")
    assert len(fake_llm.requests) == 4  # asked twice each time, never cached
    rows = Consultation.objects.all()
    assert [(row.outcome, row.error_code) for row in rows] == [("ok", "bad_output_fallback")] * 2


def test_analysis_with_the_llm_down_is_503_and_recorded(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Status(502)

    response = analyze(api_client_for(client_user), {"text": RISKY, "policy": "nda"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == BUSY
    row = Consultation.objects.get()
    assert (row.outcome, row.attempts, row.policy) == ("failed", 3, "nda")


def test_an_unknown_policy_is_a_field_error_naming_the_known_ones(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = analyze(api_client_for(client_user), {"text": RISKY, "policy": "franchise"})

    assert response.status_code == 400
    [message] = field_errors_of(response)["policy"]
    assert all(name in message for name in POLICIES)
    assert fake_llm.requests == []


def test_policy_names_forgive_case_and_underscores(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text=json.dumps({"findings": []}))

    response = analyze(api_client_for(client_user), {"text": RISKY, "policy": "Services_Agreement"})

    assert response.status_code == 200
    assert Consultation.objects.get().policy == "services-agreement"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"text": RISKY, "policy": "nda", "context": {"caseId": 1}}, {"context"}),
        ({"text": RISKY, "policy": "nda", "userId": 1}, {"userId"}),
        ({"text": "x" * 100_001, "policy": "nda"}, {"text"}),
        ({"text": "", "policy": "nda"}, {"text"}),
        ({"policy": "nda"}, {"text"}),
        ({"text": RISKY}, {"policy"}),
    ],
)
def test_invalid_analysis_input_is_a_field_error(
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    body: dict[str, Any],
    fields: set[str],
) -> None:
    response = analyze(api_client_for(client_user), body)

    assert response.status_code == 400
    assert set(field_errors_of(response)) == fields
    assert fake_llm.requests == []


def test_analysis_needs_an_authenticated_caller(fake_llm: FakeLLM) -> None:
    response = analyze(APIClient(), {"text": RISKY, "policy": "nda"})

    assert response.status_code == 401
