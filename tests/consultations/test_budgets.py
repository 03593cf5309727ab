from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from consultations.budgets import BudgetedCall, budget_check, month_start
from consultations.models import Budget, Consultation, Conversation
from drafting.doctypes import get_document_type
from drafting.models import Draft
from drafting.services import draft_generate, draft_request
from tests.factories import BudgetFactory, ConsultationFactory, FirmBudgetFactory, LawyerFactory

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
USER_SPENT = "Your monthly AI budget is spent; ask an admin to raise it."
FIRM_SPENT = "The firm's monthly AI budget is spent; ask an admin to raise it."


def spent(detail: str) -> dict[str, object]:
    """The problem a spent budget answers."""
    return {
        "type": "/api/problems/ai-budget-spent",
        "title": "AI budget spent",
        "status": 429,
        "detail": detail,
    }


@pytest.fixture(autouse=True)
def _offline(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"


def chat(api_client_for: Callable[[User], APIClient], user: User, n: int) -> tuple[int, dict]:
    # Distinct questions of one length: each is a provider call (no cache hit) of equal size.
    response = api_client_for(user).post(
        CHAT, {"userId": user.pk, "message": f"Question number {n:03d}?"}, format="json"
    )
    return response.status_code, response.json()


def tokens_of_one_chat(api_client_for: Callable[[User], APIClient]) -> int:
    """What one offline chat records (its length / 4), measured on a user without budget."""
    status, body = chat(api_client_for, LawyerFactory(), 999)
    assert status == 200
    return body["tokensUsed"]


def test_user_is_refused_once_their_token_budget_is_spent_and_not_before(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    per_call = tokens_of_one_chat(api_client_for)
    BudgetFactory(user=lawyer, monthly_tokens=2 * per_call)

    first, _ = chat(api_client_for, lawyer, 1)
    second, _ = chat(api_client_for, lawyer, 2)
    third, body = chat(api_client_for, lawyer, 3)

    assert (first, second, third) == (200, 200, 429)
    assert body == spent(USER_SPENT)
    outcomes = Consultation.objects.filter(user=lawyer).values_list("outcome", flat=True)
    assert sorted(outcomes) == ["ok", "ok", "rejected"]  # the refusal is recorded too


def test_a_budget_one_token_short_of_spent_still_answers(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    per_call = tokens_of_one_chat(api_client_for)
    BudgetFactory(user=lawyer, monthly_tokens=2 * per_call + 1)

    statuses = [chat(api_client_for, lawyer, n)[0] for n in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_firm_budget_counts_every_users_calls(
    api_client_for: Callable[[User], APIClient],
) -> None:
    per_call = tokens_of_one_chat(api_client_for)
    # The measuring call above counts toward the firm too.
    FirmBudgetFactory(monthly_tokens=3 * per_call)
    alice, bob = LawyerFactory(), LawyerFactory()

    assert chat(api_client_for, alice, 1)[0] == 200
    assert chat(api_client_for, bob, 2)[0] == 200
    status, body = chat(api_client_for, alice, 3)

    assert (status, body) == (429, spent(FIRM_SPENT))


def test_another_users_budget_does_not_limit_this_user(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    BudgetFactory(user=LawyerFactory(), monthly_tokens=1)

    assert chat(api_client_for, lawyer, 1)[0] == 200
    assert chat(api_client_for, lawyer, 2)[0] == 200


def test_cache_hits_spend_no_tokens(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    ConsultationFactory(user=lawyer, cache_hit=True, prompt_tokens=10_000, completion_tokens=0)
    BudgetFactory(user=lawyer, monthly_tokens=1000)

    assert chat(api_client_for, lawyer, 1)[0] == 200


def test_cost_budget_blocks_at_the_limit(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    ConsultationFactory(user=lawyer, cost_estimate=Decimal("0.49"))
    BudgetFactory(user=lawyer, monthly_cost_usd=Decimal("0.50"))

    assert chat(api_client_for, lawyer, 1)[0] == 200  # offline: costs nothing
    ConsultationFactory(user=lawyer, cost_estimate=Decimal("0.01"))
    status, body = chat(api_client_for, lawyer, 2)

    assert (status, body) == (429, spent(USER_SPENT))


def test_last_months_calls_do_not_count(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    old = ConsultationFactory(user=lawyer, prompt_tokens=5000)
    Consultation.objects.filter(pk=old.pk).update(created_at=month_start() - timedelta(seconds=1))
    BudgetFactory(user=lawyer, monthly_tokens=1000)

    assert chat(api_client_for, lawyer, 1)[0] == 200


def test_analyze_is_refused_too_when_the_budget_is_spent(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    ConsultationFactory(user=lawyer, prompt_tokens=100, completion_tokens=0)
    BudgetFactory(user=lawyer, monthly_tokens=100)

    response = api_client_for(lawyer).post(
        reverse("ai-api:analyze"), {"text": "The tenant pays.", "policy": "nda"}, format="json"
    )

    assert response.status_code == 429


def test_a_budget_needs_a_limit_and_a_user_for_the_user_scope(lawyer: User) -> None:
    with pytest.raises(ValidationError, match="limit"):
        Budget(scope=Budget.Scope.USER, user=lawyer).full_clean()
    with pytest.raises(ValidationError, match="needs a user"):
        Budget(scope=Budget.Scope.USER, monthly_tokens=5).full_clean()


def test_there_is_one_firm_budget(db: None) -> None:
    FirmBudgetFactory(monthly_tokens=5)

    with pytest.raises(ValidationError, match="already a firm budget"):
        Budget(scope=Budget.Scope.FIRM, monthly_tokens=9).full_clean()


def test_month_start_is_the_first_of_this_month() -> None:
    start = month_start()

    assert (start.day, start.hour, start.minute) == (1, 0, 0)
    assert start <= timezone.now() < start + timedelta(days=32)


def test_staff_chat_page_says_the_budget_is_spent(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    ConsultationFactory(user=lawyer, prompt_tokens=100, completion_tokens=0)
    BudgetFactory(user=lawyer, monthly_tokens=100)

    response = page_client_for(lawyer).post(
        reverse("consultations:ask"), {"message": "Can I end the lease?"}
    )

    assert response.status_code == 200
    assert USER_SPENT.replace("'", "&#x27;") in response.content.decode()


def test_admins_set_a_budget_in_the_admin(
    page_client_for: Callable[[User], Client], admin_user: User, lawyer: User
) -> None:
    page = page_client_for(admin_user)

    response = page.post(
        reverse("admin:consultations_budget_add"),
        {"scope": "user", "user": lawyer.pk, "monthly_tokens": 500, "monthly_cost_usd": ""},
    )

    assert response.status_code == 302
    budget = Budget.objects.get()
    assert (budget.user, budget.monthly_tokens, budget.monthly_cost_usd) == (lawyer, 500, None)


def test_lawyers_cannot_open_the_budgets_admin(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    response = page_client_for(lawyer).get(reverse("admin:consultations_budget_changelist"))

    assert response.status_code in (302, 403)


def test_a_draft_job_fails_with_the_budget_message_once_the_budget_is_spent(
    lawyer: User,
) -> None:
    ConsultationFactory(user=lawyer, prompt_tokens=10, completion_tokens=0)
    BudgetFactory(user=lawyer, monthly_tokens=10)
    draft = draft_request(
        author=lawyer, type_id="nda", inputs=dict(get_document_type("nda").example_inputs)
    )

    with pytest.raises(Exception, match="budget is spent"):
        async_to_sync(draft_generate)(draft_id=draft.pk, request_id="test")

    draft.refresh_from_db()
    assert draft.status == Draft.Status.FAILED
    assert draft.failure_reason == USER_SPENT


def test_a_refused_chat_starts_no_conversation(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    BudgetFactory(user=lawyer, monthly_tokens=1)
    ConsultationFactory(user=lawyer, prompt_tokens=1, completion_tokens=0)

    status, _ = chat(api_client_for, lawyer, 1)

    assert status == 429
    assert not Conversation.objects.filter(user=lawyer).exists()


def test_a_budget_set_or_raised_between_calls_applies_to_the_next_call(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    assert chat(api_client_for, lawyer, 1)[0] == 200

    budget = BudgetFactory(user=lawyer, monthly_tokens=1)
    refused, _ = chat(api_client_for, lawyer, 2)
    budget.monthly_tokens = 1_000_000
    budget.save()
    raised, _ = chat(api_client_for, lawyer, 3)
    budget.delete()
    FirmBudgetFactory(monthly_tokens=1)
    firm_spent, _ = chat(api_client_for, lawyer, 4)

    assert (refused, raised, firm_spent) == (429, 200, 429)


def test_a_call_without_budgets_costs_one_query_to_find_none(
    lawyer: User, django_assert_num_queries
) -> None:
    call = BudgetedCall(kind="chat", request_id="test", endpoint="")

    # Read from the database, never a per-process cache: a change applies at once everywhere.
    with django_assert_num_queries(1):
        budget_check(user=lawyer, call=call)


@pytest.mark.usefixtures("redis_down")
def test_budgets_apply_when_the_cache_is_down(
    api_client_for: Callable[[User], APIClient], lawyer: User
) -> None:
    ConsultationFactory(user=lawyer, prompt_tokens=5, completion_tokens=5, cache_hit=False)
    BudgetFactory(user=lawyer, monthly_tokens=10)

    assert chat(api_client_for, lawyer, 1)[0] == 429
