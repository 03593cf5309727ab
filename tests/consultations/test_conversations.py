from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation, Conversation
from tests.factories import (
    CaseFactory,
    ClientFactory,
    ConsultationFactory,
    ConversationFactory,
    LawyerFactory,
)
from tests.fake_llm import FakeLLM, Reply, Status

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
CONVERSATIONS = reverse("ai-api:conversations")


def detail_url(conversation_id: int | str) -> str:
    return reverse("ai-api:conversation", args=[conversation_id])


def chat(api: APIClient, user: User, message: str, **context: Any) -> Any:
    body: dict[str, Any] = {"userId": user.pk, "message": message}
    if context:
        body["context"] = context
    return api.post(CHAT, body, format="json")


def roles_and_texts(request_json: Any) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request_json["messages"]]


def test_a_three_turn_conversation_sends_the_earlier_turns_as_scrubbed_history(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    name = client_user.get_full_name()
    fake_llm.script(Reply(text="First answer."), Reply(text="Second answer."), Reply(text="Third."))
    api = api_client_for(client_user)

    first = chat(api, client_user, f"I am {name}. Can I break my lease?")
    conversation_id = first.headers["X-Conversation-Id"]
    second = chat(api, client_user, "And the deposit?", conversationId=int(conversation_id))
    third = chat(api, client_user, f"Is {name} liable?", conversationId=int(conversation_id))

    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert set(third.json()) == {"answer", "tokensUsed", "cached"}
    assert second.headers["X-Conversation-Id"] == third.headers["X-Conversation-Id"]
    sent = roles_and_texts(fake_llm.requests[2].json)
    assert [role for role, _ in sent] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert sent[1:] == [
        ("user", "I am <PERSON_1>. Can I break my lease?"),
        ("assistant", "First answer."),
        ("user", "And the deposit?"),
        ("assistant", "Second answer."),
        ("user", "Is <PERSON_1> liable?"),
    ]
    assert name not in str(fake_llm.requests[2].json)
    conversation = Conversation.objects.get()
    assert conversation.turns.count() == 3
    # The first eight words of the first question.
    assert conversation.title == " ".join(f"I am {name}. Can I break my lease?".split()[:8]) + "…"


def test_with_a_tiny_history_budget_the_oldest_turns_are_dropped_with_a_note(
    fake_llm: FakeLLM,
    settings: Any,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    # Each turn below is about 40 characters, about 10 tokens: the budget holds one.
    settings.LLM_HISTORY_TOKEN_BUDGET = 15
    fake_llm.script(Reply(text="Answer one, short."), Reply(text="Answer two, short."), Reply())
    api = api_client_for(client_user)

    conversation_id = chat(api, client_user, "Question one, short?").headers["X-Conversation-Id"]
    chat(api, client_user, "Question two, short?", conversationId=int(conversation_id))
    chat(api, client_user, "Question three?", conversationId=int(conversation_id))

    sent = roles_and_texts(fake_llm.requests[2].json)
    assert sent[1:] == [
        ("system", "1 earlier turn of this conversation omitted."),
        ("user", "Question two, short?"),
        ("assistant", "Answer two, short."),
        ("user", "Question three?"),
    ]


def test_turns_beyond_the_most_ever_read_are_counted_in_the_note(
    fake_llm: FakeLLM,
    settings: Any,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    settings.LLM_HISTORY_TOKEN_BUDGET = 1_000_000
    conversation = ConversationFactory(user=client_user, title="A long one")
    for number in range(52):
        ConsultationFactory(
            user=client_user,
            case=None,
            conversation=conversation,
            question=f"Question {number}?",
            answer=f"Answer {number}.",
        )

    chat(api_client_for(client_user), client_user, "One more?", conversationId=conversation.pk)

    sent = roles_and_texts(fake_llm.requests[0].json)
    # At most 50 turns are read back; the 2 oldest are left out and said to be.
    assert sent[1] == ("system", "2 earlier turns of this conversation omitted.")
    assert sent[2] == ("user", "Question 2?")
    assert len(sent) == 1 + 1 + 2 * 50 + 1


def test_without_a_conversation_id_each_chat_starts_a_new_conversation(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)

    first = chat(api, client_user, "One question?")
    second = chat(api, client_user, "Another question?")

    assert first.headers["X-Conversation-Id"] != second.headers["X-Conversation-Id"]
    assert [m["role"] for m in fake_llm.requests[1].json["messages"]] == ["system", "user"]


def test_a_failed_turn_is_kept_but_not_sent_as_history(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="Fine."), *[Status(500)] * 3, Reply())
    api = api_client_for(client_user)
    conversation_id = chat(api, client_user, "First?").headers["X-Conversation-Id"]

    assert chat(api, client_user, "Broken?", conversationId=int(conversation_id)).status_code == 503
    chat(api, client_user, "Third?", conversationId=int(conversation_id))

    assert [text for _, text in roles_and_texts(fake_llm.requests[-1].json)[1:]] == [
        "First?",
        "Fine.",
        "Third?",
    ]
    turns = api.get(detail_url(conversation_id)).json()["turns"]
    assert [(t["question"], t["outcome"]) for t in turns] == [
        ("First?", "ok"),
        ("Broken?", "failed"),
        ("Third?", "ok"),
    ]


def test_continuing_another_users_conversation_is_404_and_asks_nothing(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    other = ClientFactory()
    theirs = chat(api_client_for(other), other, "Mine?").headers["X-Conversation-Id"]

    response = chat(api_client_for(client_user), client_user, "Yours?", conversationId=int(theirs))

    assert response.status_code == 404
    assert len(fake_llm.requests) == 1
    assert Consultation.objects.filter(user=client_user).count() == 0


def test_a_conversation_about_another_case_is_400(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    case_one, case_two = CaseFactory(client=client_user), CaseFactory(client=client_user)
    api = api_client_for(client_user)
    conversation_id = int(
        chat(api, client_user, "Q?", caseId=case_one.pk).headers["X-Conversation-Id"]
    )

    response = chat(api, client_user, "Q2?", caseId=case_two.pk, conversationId=conversation_id)
    same_case = chat(api, client_user, "Q3?", caseId=case_one.pk, conversationId=conversation_id)
    no_case = chat(api, client_user, "Q4?", conversationId=conversation_id)

    assert response.status_code == 409
    assert "another case" in response.json()["detail"]
    assert (same_case.status_code, no_case.status_code) == (200, 200)
    # Continued without caseId, the conversation stays about its case.
    assert case_one.title in fake_llm.requests[-1].json["messages"][0]["content"]


def test_another_users_conversation_is_not_listed_and_its_detail_is_404(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    other = ClientFactory()
    theirs = chat(api_client_for(other), other, "Their question?").headers["X-Conversation-Id"]
    mine = chat(api_client_for(client_user), client_user, "My question?")
    api = api_client_for(client_user)

    listing = api.get(CONVERSATIONS).json()
    detail = api.get(detail_url(theirs))

    assert [c["id"] for c in listing["results"]] == [int(mine.headers["X-Conversation-Id"])]
    assert detail.status_code == 404


def test_the_owner_reads_a_conversation_with_its_turns(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="Yes, with notice."))
    api = api_client_for(client_user)
    conversation_id = chat(api, client_user, "Can I leave early?").headers["X-Conversation-Id"]
    chat(api, client_user, "Can I leave early?")  # another conversation, answered from the cache

    body = api.get(detail_url(conversation_id)).json()

    assert set(body) == {"id", "title", "userId", "caseId", "createdAt", "updatedAt", "turns"}
    assert body["title"] == "Can I leave early?"
    assert body["turns"] == [
        {
            "question": "Can I leave early?",
            "answer": "Yes, with notice.",
            "createdAt": body["turns"][0]["createdAt"],
            "cached": False,
            "outcome": "ok",
        }
    ]


def test_staff_read_a_conversation_on_a_case_they_may_see_but_not_on_another(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    lawyer_on_case, other_lawyer = LawyerFactory(), LawyerFactory()
    case = CaseFactory(client=client_user, lawyers=[lawyer_on_case])
    api = api_client_for(client_user)
    on_case = chat(api, client_user, "About my case?", caseId=case.pk).headers["X-Conversation-Id"]
    general = chat(api, client_user, "General?").headers["X-Conversation-Id"]
    lawyer_api, other_api = api_client_for(lawyer_on_case), api_client_for(other_lawyer)

    assert lawyer_api.get(detail_url(on_case)).json()["turns"][0]["question"] == "About my case?"
    assert lawyer_api.get(detail_url(general)).status_code == 404
    assert [c["id"] for c in lawyer_api.get(CONVERSATIONS).json()["results"]] == [int(on_case)]
    assert other_api.get(detail_url(on_case)).status_code == 404
    assert other_api.get(CONVERSATIONS).json()["results"] == []
    # Staff read a client's conversation; they cannot write in it.
    reply = chat(lawyer_api, lawyer_on_case, "Me too?", conversationId=int(on_case))
    assert reply.status_code == 404


def test_a_conversation_title_never_holds_a_secret(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)

    chat(api, client_user, "Card 4111 1111 1111 1111 was charged twice, what now?")

    title = Conversation.objects.get().title
    assert "4111" not in title
    assert title.startswith("Card [")


def test_an_idempotent_replay_names_the_same_conversation(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    body = {"userId": client_user.pk, "message": "Once?"}

    first = api.post(CHAT, body, format="json", headers={"Idempotency-Key": "k-1"})
    replay = api.post(CHAT, body, format="json", headers={"Idempotency-Key": "k-1"})

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["X-Conversation-Id"] == first.headers["X-Conversation-Id"]
    assert Conversation.objects.count() == 1


def test_a_lawyer_taken_off_the_case_can_no_longer_continue_its_conversation(
    fake_llm: FakeLLM, api_client_for: Callable[[User], APIClient]
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    api = api_client_for(lawyer)
    conversation_id = int(chat(api, lawyer, "Q?", caseId=case.pk).headers["X-Conversation-Id"])
    case.lawyers.remove(lawyer)

    response = chat(api, lawyer, "Still there?", conversationId=conversation_id)

    assert response.status_code == 404
    assert len(fake_llm.requests) == 1
