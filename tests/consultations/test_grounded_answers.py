"""Answers about a case drawn from its documents and the knowledge base, citing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case
from consultations.llm.client import OFFLINE_LABEL
from consultations.models import Consultation
from tests.consultations.test_chat_stream import deltas, events
from tests.factories import CaseFactory, DocumentFactory, LawyerFactory, PassageFactory
from tests.fake_llm import FakeLLM, Reply

# MariaDB's full-text index sees committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)

CHAT = reverse("ai-api:chat")
NOTICE = "The tenant may terminate this lease by giving three months' written notice."
QUESTION = "How can the tenant terminate the lease?"


@pytest.fixture
def case(client_user: User) -> Case:
    return CaseFactory(client=client_user, title="Lease dispute", opposing_parties="")


@pytest.fixture
def lease(case: Case) -> Any:
    document = DocumentFactory(case=case, title="Lease.pdf")
    PassageFactory(document=document, page=1, text="This lease is made between the parties.")
    PassageFactory(document=document, page=3, text=NOTICE)
    return document


def ask(api: APIClient, user: User, case: Case, message: str = QUESTION, **headers: str) -> Any:
    body = {"userId": str(user.pk), "message": message, "context": {"caseId": case.pk}}
    return api.post(CHAT, body, format="json", headers=headers or None)


def system_prompt(fake_llm: FakeLLM, index: int = 0) -> str:
    return fake_llm.requests[index].json["messages"][0]["content"]


def test_an_answer_about_a_case_cites_the_passage_of_its_document(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    lease: Any,
    api_client_for: Callable[[User], APIClient],
) -> None:
    fake_llm.script(Reply(text="By three months' written notice [1]."))

    response = ask(api_client_for(client_user), client_user, case)

    assert response.status_code == 200
    body = response.json()
    assert body["answer"] == "By three months' written notice [1]."
    assert body["references"] == [
        {"type": "case", "id": case.pk, "reference": case.reference, "title": "Lease dispute"},
        {
            "type": "document",
            "documentId": lease.pk,
            "title": "Lease.pdf",
            "page": 3,
            "quote": NOTICE,
        },
    ]
    assert f"[1] Lease.pdf, page 3:\n{NOTICE}" in system_prompt(fake_llm)


def test_an_invented_citation_is_dropped_and_counted_on_the_consultation(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    lease: Any,
    api_client_for: Callable[[User], APIClient],
) -> None:
    fake_llm.script(Reply(text="Three months [1]. Or as the statute says [6]."))

    body = ask(api_client_for(client_user), client_user, case).json()

    assert body["answer"] == "Three months [1]. Or as the statute says."
    assert [ref["type"] for ref in body["references"]] == ["case", "document"]
    consultation = Consultation.objects.get()
    assert (consultation.citations_dropped, consultation.answer) == (1, body["answer"])


def test_passages_are_scrubbed_before_they_leave_the_firm(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    api_client_for: Callable[[User], APIClient],
) -> None:
    name = client_user.get_full_name()
    document = DocumentFactory(case=case, title="Letter.pdf")
    PassageFactory(
        document=document,
        text=f"{name} may terminate the lease; write to tenant.contact@example.org.",
    )
    fake_llm.script(Reply(text="<PERSON_1> may terminate it [1]."))

    body = ask(api_client_for(client_user), client_user, case).json()

    sent = system_prompt(fake_llm)
    assert name not in sent
    assert "tenant.contact@example.org" not in sent
    assert "<PERSON_1> may terminate the lease" in sent
    assert body["answer"] == f"{name} may terminate it [1]."
    # The quote is the firm's own text, shown only to someone who may see the document.
    assert name in body["references"][1]["quote"]


def test_a_client_never_draws_on_the_knowledge_base_and_a_lawyer_does(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    api_client_for: Callable[[User], APIClient],
) -> None:
    lawyer = LawyerFactory()
    case.lawyers.add(lawyer)
    policy = DocumentFactory(case=None, title="Firm termination checklist.pdf")
    PassageFactory(document=policy, text="Checklist: terminate a lease only after notice.")

    ask(api_client_for(client_user), client_user, case)
    ask(api_client_for(lawyer), lawyer, case)

    assert "checklist" not in system_prompt(fake_llm, 0).lower()
    assert "Firm termination checklist.pdf" in system_prompt(fake_llm, 1)


def test_another_cases_documents_and_unready_documents_are_never_searched(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    api_client_for: Callable[[User], APIClient],
) -> None:
    PassageFactory(document=DocumentFactory(title="Other.pdf"), text=NOTICE)
    PassageFactory(
        document=DocumentFactory(case=case, title="Queued.pdf", status="queued"), text=NOTICE
    )

    body = ask(api_client_for(client_user), client_user, case).json()

    assert "terminate" not in system_prompt(fake_llm)
    assert [ref["type"] for ref in body["references"]] == ["case"]


def test_a_changed_document_is_never_answered_from_the_cache(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    lease: Any,
    api_client_for: Callable[[User], APIClient],
) -> None:
    api = api_client_for(client_user)
    assert ask(api, client_user, case).json()["cached"] is False
    assert ask(api, client_user, case).json()["cached"] is True

    notice = lease.passages.get(page=3)
    notice.text = NOTICE.replace("three", "six")
    notice.save()  # as the indexing writes passages: their search text follows

    assert ask(api, client_user, case).json()["cached"] is False
    assert "six months' written notice" in system_prompt(fake_llm, 1)


def test_offline_the_assistant_answers_with_the_best_passages_labelled(
    settings: Settings,
    client_user: User,
    case: Case,
    lease: Any,
    api_client_for: Callable[[User], APIClient],
) -> None:
    settings.LLM_PROVIDER = "offline"

    body = ask(api_client_for(client_user), client_user, case).json()

    assert body["answer"].startswith(OFFLINE_LABEL)
    assert f"Lease.pdf, page 3 [1]:\n“{NOTICE}”" in body["answer"]
    assert body["references"][1]["documentId"] == lease.pk


def test_a_streamed_answer_drops_invented_citations_and_ends_with_its_references(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    lease: Any,
    api_client_for: Callable[[User], APIClient],
) -> None:
    fake_llm.script(Reply(chunks=("Three months [", "1]. Or six ", "[", "4", "].")))

    parsed = events(ask(api_client_for(client_user), client_user, case, Accept="text/event-stream"))

    assert "".join(deltas(parsed)) == "Three months [1]. Or six."
    name, done = parsed[-1]
    assert name == "done"
    assert [ref["type"] for ref in done["references"]] == ["case", "document"]
    assert Consultation.objects.get().citations_dropped == 1


def test_the_chat_page_links_each_cited_passage_to_its_page_of_the_document(
    page_client_for: Callable[[User], Any], case: Case, lease: Any
) -> None:
    lawyer = LawyerFactory()
    case.lawyers.add(lawyer)

    response = page_client_for(lawyer).post(
        reverse("consultations:ask"),
        {"message": QUESTION, "case": case.pk},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    document_page = reverse("cases:document", args=[lease.pk])
    link = f'<a href="{document_page}#page-3" title="{escape(NOTICE)}">Lease.pdf, page 3</a>'
    assert link in html
