"""Budgets hold when calls run in parallel, and a changed budget applies in every process.

These tests commit for real (`transaction=True`): parallel requests run on threads, each with
its own database connection, and a second process reads the same database. On MariaDB the
threads' calls truly overlap; on SQLite they overlap as well (the provider's answer takes
0.3 s, outside any transaction) and only the reservations take turns, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F, Sum
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from consultations.llm.client import estimate_tokens
from consultations.models import BudgetReservation, Consultation
from tests.databases import database_url
from tests.factories import BudgetFactory, ConsultationFactory, FirmBudgetFactory, LawyerFactory
from tests.fake_llm import Delay, FakeLLM, Reply, Status

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = reverse("ai-api:chat")
PARALLEL = 20
# What the fake provider says each call cost.
CALL = Reply(prompt_tokens=12, completion_tokens=8)


def spent(user: User) -> int:
    rows = Consultation.objects.filter(user=user, cache_hit=False)
    return rows.aggregate(tokens=Sum(F("prompt_tokens") + F("completion_tokens")))["tokens"]


def chats_in_parallel(askers: list[tuple[APIClient, User]]) -> list[int]:
    """Each (client, user) asks its own question (no cache hit), all at once; the statuses."""
    statuses: list[int] = [0] * len(askers)
    start = threading.Barrier(len(askers))

    def ask(n: int) -> None:
        client, user = askers[n]
        try:
            start.wait()
            body = {"userId": user.pk, "message": f"Question {n} about my lease?"}
            statuses[n] = client.post(CHAT, body, format="json").status_code
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(askers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_twenty_parallel_chats_with_room_for_one_spend_at_most_one_reservation_more(
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
    fake_llm: FakeLLM,
    settings: Settings,
) -> None:
    settings.LLM_RESERVED_OUTPUT_TOKENS = CALL.completion_tokens
    fake_llm.default = Delay(0.3, CALL)  # every call is still in flight when the others start
    BudgetFactory(user=lawyer, monthly_tokens=379)
    spent_before = ConsultationFactory(
        user=lawyer, prompt_tokens=378, completion_tokens=0, cache_hit=False
    )
    askers = [(api_client_for(lawyer), lawyer) for _ in range(PARALLEL)]

    statuses = chats_in_parallel(askers)

    assert sorted(statuses) == [200] + [429] * (PARALLEL - 1)
    answered = Consultation.objects.exclude(pk=spent_before.pk).get(
        user=lawyer, outcome=Consultation.Outcome.OK
    )
    # One call's reservation: its prompt's estimate (the transcript is a little longer than
    # the messages) and the reserved answer.
    one_reservation = estimate_tokens(answered.sent_text) + settings.LLM_RESERVED_OUTPUT_TOKENS
    assert spent(lawyer) <= 379 + one_reservation
    assert len(fake_llm.requests) == 1
    refused = Consultation.objects.filter(user=lawyer, outcome=Consultation.Outcome.REJECTED)
    assert set(refused.values_list("error_code", flat=True)) == {"budget"}
    assert refused.count() == PARALLEL - 1
    assert not BudgetReservation.objects.exists()


def test_the_firm_budget_holds_across_users_in_parallel(
    api_client_for: Callable[[User], APIClient], fake_llm: FakeLLM, settings: Settings
) -> None:
    settings.LLM_RESERVED_OUTPUT_TOKENS = CALL.completion_tokens
    fake_llm.default = Delay(0.3, CALL)
    users = [LawyerFactory() for _ in range(PARALLEL)]
    FirmBudgetFactory(monthly_tokens=100)
    ConsultationFactory(user=users[0], prompt_tokens=99, completion_tokens=0, cache_hit=False)

    statuses = chats_in_parallel([(api_client_for(user), user) for user in users])

    assert sorted(statuses) == [200] + [429] * (PARALLEL - 1)
    assert len(fake_llm.requests) == 1


def test_a_failed_call_gives_its_reservation_back_at_once(
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
    fake_llm: FakeLLM,
    settings: Settings,
) -> None:
    settings.LLM_MAX_RETRIES = 0
    fake_llm.script(Status(500))
    fake_llm.default = CALL
    BudgetFactory(user=lawyer, monthly_tokens=379)
    ConsultationFactory(user=lawyer, prompt_tokens=378, completion_tokens=0, cache_hit=False)
    client = api_client_for(lawyer)

    failed = client.post(CHAT, {"userId": lawyer.pk, "message": "First?"}, format="json")
    assert not BudgetReservation.objects.exists()
    answered = client.post(CHAT, {"userId": lawyer.pk, "message": "Second?"}, format="json")

    assert (failed.status_code, answered.status_code) == (503, 200)


def test_the_reservation_counts_the_cost_limit_too(
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
    fake_llm: FakeLLM,
    settings: Settings,
) -> None:
    settings.LLM_PRICE_PER_MTOK = (1_000_000.0, 1_000_000.0)  # a dollar a token
    settings.LLM_RESERVED_OUTPUT_TOKENS = CALL.completion_tokens
    fake_llm.default = Delay(0.3, CALL)
    BudgetFactory(user=lawyer, monthly_cost_usd=Decimal("1000.00"))
    ConsultationFactory(user=lawyer, cost_estimate=Decimal("999.00"))
    askers = [(api_client_for(lawyer), lawyer) for _ in range(PARALLEL)]

    statuses = chats_in_parallel(askers)

    assert sorted(statuses) == [200] + [429] * (PARALLEL - 1)


def test_a_budget_saved_in_another_process_applies_here_at_once(
    api_client_for: Callable[[User], APIClient], lawyer: User, settings: Settings
) -> None:
    settings.LLM_PROVIDER = "offline"
    client = api_client_for(lawyer)
    ask = {"userId": lawyer.pk, "message": "Can I end the lease?"}
    assert client.post(CHAT, ask, format="json").status_code == 200

    # A second process (another web worker, the admin's) sets a budget this user has spent.
    # Without Redis each process had its own copy of the budgets, for up to a minute.
    save_in_another_process(
        "from consultations.models import Budget; "
        f"Budget.objects.create(scope='user', user_id={lawyer.pk}, monthly_tokens=1)"
    )

    assert client.post(CHAT, ask, format="json").status_code == 429


def save_in_another_process(code: str) -> None:
    """Run `code` in a new Django process on the test database (and the same Redis)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
    }
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )
