from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from config.logging import JsonFormatter
from consultations.models import Consultation
from tests.factories import CaseFactory, ClientFactory
from tests.fake_llm import FakeLLM, Reply

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
EMAIL = "margaret.okonkwo@example.org"
PHONE = "+44 20 7946 0958"
NAME = "Margaret Okonkwo"
# Every form a raw value could leak in: as typed, and with its spaces removed.
RAW = [CARD, CARD.replace(" ", ""), IBAN, IBAN.replace(" ", ""), EMAIL, PHONE, NAME, "Okonkwo"]

MESSAGE = (
    f"My client {NAME} ({EMAIL}, {PHONE}) paid the deposit with card {CARD} "
    f"from her account {IBAN}. Can she get it back?"
)


@pytest.fixture
def margaret() -> User:
    return ClientFactory(first_name="Margaret", last_name="Okonkwo", email=EMAIL)


def all_logged_text(caplog: pytest.LogCaptureFixture) -> str:
    # Formatted as production formats them, `extra=` fields included.
    formatter = JsonFormatter()
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_personal_data_never_reaches_the_provider_and_names_come_back_in_the_answer(
    fake_llm: FakeLLM,
    margaret: User,
    api_client_for: Callable[[User], APIClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    case = CaseFactory(
        client=margaret,
        title="Deposit",
        description=f"{NAME} wants her tenancy deposit back.",
        opposing_parties="Brian Hale",
    )
    fake_llm.script(Reply(text="<PERSON_1> can claim the deposit back; write to <EMAIL_1>."))

    response = api_client_for(margaret).post(
        reverse("ai-api:chat"),
        {"userId": margaret.pk, "message": MESSAGE, "context": {"caseId": case.pk}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["answer"] == f"{NAME} can claim the deposit back; write to {EMAIL}."
    sent = json.dumps(fake_llm.requests[0].json)
    assert [value for value in RAW if value in sent] == []
    for marker in ("<PERSON_1>", "<EMAIL_1>", "<PHONE_1>", "[CARD_NUMBER]", "[IBAN]"):
        assert marker in sent
    consultation = Consultation.objects.get()
    assert "<PERSON_1> wants her tenancy deposit back." in consultation.sent_text
    assert "- Client: <PERSON_1>\n- Opposing parties: <PERSON_2>" in consultation.sent_text
    assert [value for value in RAW if value in consultation.sent_text] == []
    assert consultation.redactions == {
        "PERSON": 4,  # the client line, the opposing parties, the description, the message
        "EMAIL": 1,
        "PHONE": 1,
        "CARD_NUMBER": 1,
        "IBAN": 1,
    }
    assert consultation.unrestored_placeholders == []
    logged = all_logged_text(caplog)
    assert "ai_call" in logged
    assert [value for value in RAW if value in logged] == []
    assert "claim the deposit back" not in logged


def test_every_field_of_the_case_reaches_the_model_only_scrubbed(
    fake_llm: FakeLLM, api_client_for: Callable[[User], APIClient]
) -> None:
    helen = ClientFactory(first_name="Helen", last_name="Carter", email="helen.c@example.org")
    case = CaseFactory(
        client=helen,
        title="Unfair dismissal claim against Brightline Logistics",
        description=(
            "Helen was dismissed after eleven years. Ms Carter's payslips went to "
            f"{EMAIL}; her salary was paid into {IBAN}."
        ),
        opposing_parties="Brightline Logistics Ltd\nDavid O'Neill",
    )
    fake_llm.script(Reply(text="Noted."))

    response = api_client_for(helen).post(
        reverse("ai-api:chat"),
        {"userId": helen.pk, "message": "What can Helen claim?", "context": {"caseId": case.pk}},
        format="json",
    )

    assert response.status_code == 200
    sent = json.dumps(fake_llm.requests[0].json, ensure_ascii=False)
    raw = ["Helen", "Carter", "Brightline", "O'Neill", EMAIL, IBAN, "GB82"]
    assert [value for value in raw if value in sent] == []
    # The title names the company first; every form of Helen's name is one placeholder.
    assert "Title: Unfair dismissal claim against <PERSON_1>" in sent
    assert "Description: <PERSON_2> was dismissed after eleven years." in sent
    assert "What can <PERSON_2> claim?" in sent


def test_the_callers_own_name_is_scrubbed_without_a_case(
    fake_llm: FakeLLM, margaret: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="<PERSON_1>, you may."))

    response = api_client_for(margaret).post(
        reverse("ai-api:chat"),
        {"userId": margaret.pk, "message": f"I am {NAME}. May I sublet?"},
        format="json",
    )

    assert response.json()["answer"] == f"{NAME}, you may."
    assert NAME not in json.dumps(fake_llm.requests[0].json)


def test_a_cached_answer_is_restored_with_each_requests_own_names(
    fake_llm: FakeLLM, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text="<PERSON_1> should give notice in writing.")
    answers = []
    for first, last in (("Ada", "Byron"), ("Alan", "Turing")):
        client = ClientFactory(first_name=first, last_name=last)
        # Cases that differ only by their clients: one scrubbed prompt, one cache key (a random
        # opposing party might be written in another form, "Dr." or "Jr." around it).
        case = CaseFactory(
            client=client, title="Notice", description="Notice.", opposing_parties=""
        )
        answers.append(
            api_client_for(client)
            .post(
                reverse("ai-api:chat"),
                {
                    "userId": client.pk,
                    "message": f"How should {first} {last} give notice?",
                    "context": {"caseId": case.pk},
                },
                format="json",
            )
            .json()
        )

    assert answers[0]["answer"] == "Ada Byron should give notice in writing."
    assert answers[1]["answer"] == "Alan Turing should give notice in writing."
    assert answers[1]["cached"] is True
    assert len(fake_llm.requests) == 1


def test_a_placeholder_the_model_invented_is_recorded_as_unrestored(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="Ask <PERSON_7> about it."))

    response = api_client_for(client_user).post(
        reverse("ai-api:chat"),
        {"userId": client_user.pk, "message": "Who decides?"},
        format="json",
    )

    assert response.json()["answer"] == "Ask <PERSON_7> about it."
    assert Consultation.objects.get().unrestored_placeholders == ["<PERSON_7>"]


def test_contract_analysis_sends_no_personal_data_and_restores_it_in_findings(
    fake_llm: FakeLLM,
    margaret: User,
    api_client_for: Callable[[User], APIClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    contract = (
        f"Notices go to {EMAIL} or {PHONE}. Rent is paid by card {CARD} to {IBAN}. "
        "The tenant shall indemnify the landlord against any and all losses."
    )
    llm_finding = {
        "clause": "Notices",
        "severity": "low",
        "evidence": "Notices go to <EMAIL_1> or <PHONE_1>.",
        "message": "Notices by phone are hard to prove.",
        "suggestion": "Require notices in writing to <EMAIL_1>.",
    }
    fake_llm.script(Reply(text=json.dumps({"findings": [llm_finding], "suggestions": []})))

    response = api_client_for(margaret).post(
        reverse("ai-api:analyze"), {"text": contract, "policy": "lease"}, format="json"
    )

    assert response.status_code == 200
    notices = next(f for f in response.json()["findings"] if f["clause"] == "Notices")
    assert notices["evidence"] == f"Notices go to {EMAIL} or {PHONE}."
    assert f"Require notices in writing to {EMAIL}." in response.json()["suggestions"]
    sent = json.dumps(fake_llm.requests[0].json)
    assert [value for value in RAW if value in sent] == []
    stored = Consultation.objects.get()
    assert [value for value in (CARD, IBAN) if value in stored.answer + stored.sent_text] == []
    logged = all_logged_text(caplog)
    assert [value for value in RAW if value in logged] == []
