from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from consultations.models import Consultation
from tests.factories import (
    BudgetFactory,
    CaseFactory,
    ConsultationFactory,
    DeadlineFactory,
    LawyerFactory,
)
from tests.fake_llm import FakeLLM, Reply, ToolCalls
from tests.streams import streamed_body

pytestmark = pytest.mark.django_db

ASK_STREAM = reverse("consultations:ask-stream")
HTMX = {"HX-Request": "true"}


def stream_url(html: str) -> str:
    match = re.search(r'data-stream-url="([^"]+)"', html)
    assert match, "no stream in the page"
    return match[1]


def sse_text(response: Any) -> str:
    return streamed_body(response).decode()


def test_a_question_is_parked_and_its_stream_answers_it_once(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer], title="Riverside lease")
    fake_llm.script(Reply(text="Yes, it may be assigned."))
    page = page_client_for(lawyer)

    posted = page.post(
        ASK_STREAM, {"message": "Can the lease be assigned?", "case": case.pk}, headers=HTMX
    )
    html = posted.content.decode()
    url = stream_url(html)
    streamed = page.get(url)
    body = sse_text(streamed)

    assert posted.status_code == 200
    assert "Can the lease be assigned?" in html
    assert 'class="stream-stop"' in html
    assert "lease" not in url
    assert streamed["Content-Type"] == "text/event-stream"
    assert '"delta": "Yes, "' in body
    assert "event: done" in body
    assert "Riverside lease" in fake_llm.requests[0].json["messages"][0]["content"]
    consultation = Consultation.objects.get()
    assert (consultation.answer, consultation.case) == ("Yes, it may be assigned.", case)
    # The token is spent: the browser's automatic reconnect finds nothing to answer.
    assert page.get(url).status_code == 404


def test_another_staff_member_cannot_open_someone_elses_stream(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    page = page_client_for(lawyer)
    url = stream_url(page.post(ASK_STREAM, {"message": "Mine?"}, headers=HTMX).content.decode())

    response = page_client_for(LawyerFactory()).get(url)

    assert response.status_code == 404
    assert fake_llm.requests == []
    # The attempt did not spend the owner's question.
    assert "event: done" in sse_text(page.get(url))


def test_an_invalid_question_shows_its_errors_and_opens_no_stream(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    html = page_client_for(lawyer).post(ASK_STREAM, {"message": ""}, headers=HTMX).content.decode()

    assert "This field is required." in html
    assert "data-stream-url" not in html


def test_without_a_cache_to_park_in_the_answer_comes_at_once(
    fake_llm: FakeLLM,
    redis_down: None,
    page_client_for: Callable[[User], Client],
    lawyer: User,
) -> None:
    fake_llm.script(Reply(text="Answered without a stream."))

    html = (
        page_client_for(lawyer).post(ASK_STREAM, {"message": "Q?"}, headers=HTMX).content.decode()
    )

    assert "Answered without a stream." in html
    assert "data-stream-url" not in html


def test_a_client_may_not_ask_for_a_stream(
    page_client_for: Callable[[User], Client], client_user: User
) -> None:
    response = page_client_for(client_user).post(ASK_STREAM, {"message": "Q?"}, headers=HTMX)

    assert response.status_code == 403


def hidden_conversation(html: str) -> str:
    match = re.search(r'name="conversation" value="(\d+)"', html)
    assert match, "the form carries no conversation"
    return match[1]


def test_the_next_streamed_question_continues_the_pages_conversation(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    fake_llm.script(Reply(text="First answer."), Reply(text="Second answer."))
    page = page_client_for(lawyer)
    first = page.post(ASK_STREAM, {"message": "First question?"}, headers=HTMX).content.decode()
    sse_text(page.get(stream_url(first)))

    second = page.post(
        ASK_STREAM,
        {"message": "Second question?", "conversation": hidden_conversation(first)},
        headers=HTMX,
    ).content.decode()
    sse_text(page.get(stream_url(second)))

    sent = [(m["role"], m["content"]) for m in fake_llm.requests[1].json["messages"][1:]]
    assert sent == [
        ("user", "First question?"),
        ("assistant", "First answer."),
        ("user", "Second question?"),
    ]
    assert hidden_conversation(second) == hidden_conversation(first)
    assert Consultation.objects.filter(conversation_id=hidden_conversation(first)).count() == 2


def test_without_javascript_the_next_question_continues_the_conversation_too(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    page = page_client_for(lawyer)
    first = page.post(reverse("consultations:ask"), {"message": "One?"}).content.decode()

    page.post(
        reverse("consultations:ask"),
        {"message": "Two?", "conversation": hidden_conversation(first)},
    )

    assert [m["role"] for m in fake_llm.requests[1].json["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
    ]


def test_a_question_about_another_case_starts_a_new_conversation(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    page = page_client_for(lawyer)
    first = page.post(ASK_STREAM, {"message": "General?"}, headers=HTMX).content.decode()

    second = page.post(
        ASK_STREAM,
        {"message": "About the case?", "case": case.pk, "conversation": hidden_conversation(first)},
        headers=HTMX,
    ).content.decode()

    assert hidden_conversation(second) != hidden_conversation(first)


def test_another_users_conversation_cannot_be_continued_from_the_page(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    other = page_client_for(LawyerFactory())
    theirs = hidden_conversation(
        other.post(ASK_STREAM, {"message": "Mine?"}, headers=HTMX).content.decode()
    )

    response = page_client_for(lawyer).post(
        ASK_STREAM, {"message": "Yours?", "conversation": theirs}, headers=HTMX
    )

    assert response.status_code == 404


def test_a_spent_budget_is_said_in_words_and_opens_no_stream(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    BudgetFactory(user=lawyer, monthly_tokens=1)
    ConsultationFactory(user=lawyer, prompt_tokens=1, completion_tokens=0)

    html = (
        page_client_for(lawyer)
        .post(ASK_STREAM, {"message": "Is this clause fair?"}, headers=HTMX)
        .content.decode()
    )

    assert "Your monthly AI budget is spent" in html
    assert "data-stream-url" not in html
    assert "Is this clause fair?" in html


def test_the_staff_page_streams_an_answer_the_model_looked_up_with_a_tool(
    fake_llm: FakeLLM, page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer], title="Riverside lease")
    DeadlineFactory(case=case, responsible=lawyer)
    fake_llm.script(
        ToolCalls(("deadlines_list", {"days": 14})), Reply(text="One filing is due next week.")
    )
    page = page_client_for(lawyer)
    html = page.post(
        ASK_STREAM, {"message": "What is due this fortnight?", "case": case.pk}, headers=HTMX
    ).content.decode()

    body = sse_text(page.get(stream_url(html)))

    assert "event: done" in body
    deltas = re.findall(r'"delta": "([^"]*)"', body)
    assert "".join(deltas) == "One filing is due next week."
    consultation = Consultation.objects.get()
    assert consultation.answer == "One filing is due next week."
    assert consultation.tool_calls.get().tool == "deadlines_list"
    assert fake_llm.requests[1].messages[-1]["role"] == "tool"
