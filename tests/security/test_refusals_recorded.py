"""A request refused for its budget or its rate limit (429) is recorded like any AI call: a
Consultation with outcome `rejected` and the reason as its error code, in the admin and the
metrics, and never kept as an answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client import REGISTRY
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Budget, Consultation
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import get_document_type
from tests.factories import BudgetFactory, ConsultationFactory

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
ANALYZE = reverse("ai-api:analyze")
GENERATE = reverse("drafting-api:generate-document")


@pytest.fixture(autouse=True)
def _offline(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"


@pytest.fixture
def one_request_a_minute(settings: Settings) -> None:
    settings.AI_RATE_LIMITS = {
        scope: {"user": "1/60", "address": "100/60"}
        for scope in ("chat", "analyze", "generate-document")
    }


@pytest.fixture
def spent_budget(lawyer: User) -> Budget:
    ConsultationFactory(user=lawyer, prompt_tokens=10, completion_tokens=0, cache_hit=False)
    return BudgetFactory(user=lawyer, monthly_tokens=10)


def refusals(user: User) -> list[tuple[str, str, str, str, str]]:
    rows = Consultation.objects.filter(user=user, outcome=Consultation.Outcome.REJECTED)
    return list(rows.values_list("kind", "error_code", "sent_text", "question", "answer"))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.usefixtures("one_request_a_minute")
@pytest.mark.parametrize(
    ("url", "body", "kind"),
    [
        (CHAT, {"message": "Can I end the lease?"}, "chat"),
        (ANALYZE, {"text": "The tenant pays.", "policy": "nda"}, "analyze"),
        (
            GENERATE,
            {"type": "nda", "inputs": inputs_on_the_wire(get_document_type("nda").example_inputs)},
            "draft",
        ),
    ],
)
def test_an_api_request_over_its_rate_limit_is_recorded_as_rejected(
    api_client_for: Callable[[User], APIClient], lawyer: User, url: str, body: dict, kind: str
) -> None:
    api = api_client_for(lawyer)
    if url == CHAT:
        body = {**body, "userId": lawyer.pk}
    calls_before = metric("counsel_ai_calls_total", kind=kind, outcome="rejected")

    assert api.post(url, body, format="json").status_code == 200
    refused = api.post(url, body, format="json", HTTP_X_REQUEST_ID="refused-request-1")

    assert refused.status_code == 429
    # Nothing was sent or answered; what was asked is not kept either.
    assert refusals(lawyer) == [(kind, "rate_limit", "", "", "")]
    record = Consultation.objects.get(outcome=Consultation.Outcome.REJECTED)
    assert record.request_id == "refused-request-1"
    assert metric("counsel_ai_calls_total", kind=kind, outcome="rejected") == calls_before + 1


@pytest.mark.usefixtures("one_request_a_minute")
def test_the_staff_chat_page_over_its_rate_limit_is_recorded_as_rejected(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    page = page_client_for(lawyer)

    page.post(reverse("consultations:ask"), {"message": "Can I end the lease?"})
    refused = page.post(reverse("consultations:ask-stream"), {"message": "And the deposit?"})

    assert "Too many requests" in refused.content.decode()
    assert refusals(lawyer) == [("chat", "rate_limit", "", "", "")]


@pytest.mark.usefixtures("spent_budget")
def test_an_api_chat_over_its_budget_is_recorded_as_rejected_and_counted_as_a_refusal(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    refusals_before = metric("counsel_ai_refusals_total", kind="chat", reason="budget")
    misses_before = metric("counsel_ai_cache_total", kind="chat", result="miss")
    errors_before = metric("counsel_llm_errors_total", kind="chat", error="budget")

    response = api_client_for(lawyer).post(
        CHAT, {"userId": lawyer.pk, "message": "Can I end the lease?"}, format="json"
    )

    assert response.status_code == 429
    assert refusals(lawyer) == [("chat", "budget", "", "", "")]
    assert metric("counsel_ai_refusals_total", kind="chat", reason="budget") == (
        refusals_before + 1
    )
    # No cache lookup was made and the provider did not fail: the LLM error alert stays quiet.
    assert metric("counsel_ai_cache_total", kind="chat", result="miss") == misses_before
    assert metric("counsel_llm_errors_total", kind="chat", error="budget") == errors_before


@pytest.mark.usefixtures("spent_budget")
def test_the_staff_pages_record_their_budget_refusals(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    page = page_client_for(lawyer)

    page.post(reverse("consultations:ask"), {"message": "Can I end the lease?"})
    page.post(reverse("consultations:ask-stream"), {"message": "And the deposit?"})

    assert refusals(lawyer) == [("chat", "budget", "", "", "")] * 2


def test_a_refused_request_is_not_replayed_once_the_budget_allows_it(
    api_client_for: Callable[[User], APIClient], lawyer: User, spent_budget: Budget
) -> None:
    api = api_client_for(lawyer)
    ask = {"userId": lawyer.pk, "message": "Can I end the lease?"}

    refused = api.post(CHAT, ask, format="json", HTTP_IDEMPOTENCY_KEY="same-question")
    spent_budget.monthly_tokens = 1_000_000
    spent_budget.save()
    answered = api.post(CHAT, ask, format="json", HTTP_IDEMPOTENCY_KEY="same-question")

    assert (refused.status_code, answered.status_code) == (429, 200)
    assert "Idempotent-Replayed" not in answered.headers
    assert answered.json()["cached"] is False


@pytest.mark.usefixtures("spent_budget")
def test_admins_filter_the_refusals_in_the_audit(
    api_client_for: Callable[[User], APIClient],
    page_client_for: Callable[[User], Client],
    lawyer: User,
    admin_user: User,
) -> None:
    api_client_for(lawyer).post(CHAT, {"userId": lawyer.pk, "message": "Hello?"}, format="json")
    changelist = reverse("admin:consultations_consultation_changelist")

    page = page_client_for(admin_user).get(changelist, {"outcome": "rejected"})

    assert page.status_code == 200
    [refusal] = page.context["cl"].result_list
    assert (refusal.user, refusal.outcome, refusal.error_code) == (lawyer, "rejected", "budget")
