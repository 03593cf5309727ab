"""The chat's function calling, end to end through `POST /api/ai/chat` (plain and streamed) with
the fake model asking for tools: rounds, permissions, scrubbing, the cap, errors, caching,
the offline provider's routing and the fallback for providers without function calling."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from cases.deadlines import deadline_update
from cases.models import Case, Deadline
from consultations.llm.client import OFFLINE_LABEL, _provider
from consultations.models import Consultation, ToolCall
from tests.async_fake_llm import ANSWER
from tests.factories import (
    CaseFactory,
    ClientFactory,
    DeadlineFactory,
    DocumentFactory,
    PassageFactory,
)
from tests.fake_llm import FakeLLM, Reply, Status, ToolCalls
from tests.streams import streamed_body

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
DUE_QUESTION = "What is due on this case in the next two weeks?"


@pytest.fixture
def case(client_user: User, lawyer: User) -> Case:
    client_user.first_name, client_user.last_name = "Jane", "Doe"
    client_user.save()
    return CaseFactory(
        client=client_user, lawyers=[lawyer], title="Lease dispute", opposing_parties="Helen Carter"
    )


@pytest.fixture
def deadline(case: Case, lawyer: User) -> Deadline:
    return DeadlineFactory(
        case=case,
        responsible=lawyer,
        due_date=timezone.localdate() + timedelta(days=9),
        kind=Deadline.Kind.FILING,
        notes="Defence for Helen Carter's claim",
    )


@pytest.fixture
def fresh_providers() -> Iterator[None]:
    # A provider remembers that it refused tools; the next test's must not.
    yield
    _provider.cache_clear()


def ask(
    api: APIClient, user: User, case: Case, message: str = DUE_QUESTION, *, streaming: bool = False
) -> Any:
    body = {"userId": user.pk, "message": message, "context": {"caseId": case.pk}}
    headers = {"Accept": "text/event-stream"} if streaming else None
    return api.post(CHAT, body, format="json", headers=headers)


def answered(response: Any) -> tuple[str, int]:
    """The answer's text and tokens, streamed or not."""
    if response["Content-Type"] != "text/event-stream":
        return response.json()["answer"], response.json()["tokensUsed"]
    text, done = streamed(response)
    return text, done["tokensUsed"]


def streamed(response: Any) -> tuple[str, dict[str, Any]]:
    """The streamed answer's text and its `done` event's data."""
    text, done = "", {}
    for block in streamed_body(response).decode().strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        data = json.loads(fields["data"])
        if fields.get("event", "message") == "message":
            text += data["delta"]
        elif fields["event"] == "done":
            done = data
    return text, done


def tool_messages(fake_llm: FakeLLM, request: int) -> list[dict[str, Any]]:
    return [m for m in fake_llm.requests[request].messages if m["role"] == "tool"]


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streamed"])
def test_what_is_due_is_answered_through_deadlines_list(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    deadline: Deadline,
    api_client_for: Callable[[User], APIClient],
    streaming: bool,
) -> None:
    fake_llm.script(
        ToolCalls(("deadlines_list", {"days": 14})),
        Reply(text=f"A filing is due on {deadline.due_date:%d %B}.", prompt_tokens=90),
    )

    response = ask(api_client_for(client_user), client_user, case, streaming=streaming)

    assert response.status_code == 200
    answer, tokens = answered(response)
    assert answer == f"A filing is due on {deadline.due_date:%d %B}."
    # Both rounds count: 20 + 6 asking for the tool, 90 + 8 answering.
    assert tokens == 124
    first, second = fake_llm.requests
    assert set(first.tool_names) == {"case_lookup", "deadlines_list", "documents_search"}
    assert first.json.get("stream", False) is streaming
    [assistant] = [m for m in second.messages if m.get("tool_calls")]
    assert assistant["tool_calls"][0]["function"]["name"] == "deadlines_list"
    [result] = tool_messages(fake_llm, 1)
    assert result["tool_call_id"] == assistant["tool_calls"][0]["id"]
    listed = json.loads(result["content"])["deadlines"]
    assert [d["due_date"] for d in listed] == [deadline.due_date.isoformat()]
    consultation = Consultation.objects.get()
    assert (consultation.outcome, consultation.tokens_used) == ("ok", 124)
    assert "deadlines_list" in consultation.sent_text
    call = ToolCall.objects.get()
    assert (call.consultation, call.tool, call.arguments, call.case) == (
        consultation,
        "deadlines_list",
        {"days": 14},
        case,
    )
    assert call.result_size == len(result["content"])


def test_no_party_name_reaches_the_model_through_a_tool(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    deadline: Deadline,
    api_client_for: Callable[[User], APIClient],
) -> None:
    fake_llm.script(
        ToolCalls(("case_lookup", {}), ("deadlines_list", {})),
        Reply(text="<PERSON_2> sued <PERSON_1>."),
    )

    response = ask(api_client_for(client_user), client_user, case, "Who are the parties?")

    assert response.json()["answer"] == "Helen Carter sued Jane Doe."
    sent = json.dumps([request.json for request in fake_llm.requests])
    assert "Jane Doe" not in sent
    assert "Carter" not in sent
    facts = json.loads(tool_messages(fake_llm, 1)[0]["content"])
    # The same placeholders as in the question's own messages.
    assert (facts["client"], facts["opposing_parties"]) == ("<PERSON_1>", ["<PERSON_2>"])
    assert "<PERSON_2>" in tool_messages(fake_llm, 1)[1]["content"]


def test_a_client_cannot_get_another_clients_case_through_a_tool(
    fake_llm: FakeLLM, client_user: User, case: Case, api_client_for: Callable[[User], APIClient]
) -> None:
    other = CaseFactory(client=ClientFactory(), title="Someone else's merger")
    DeadlineFactory(case=other, notes="Secret closing date")
    fake_llm.script(
        ToolCalls(("case_lookup", {"case": other.reference})),
        ToolCalls(("deadlines_list", {"case": other.reference})),
        Reply(text="I cannot find that case."),
    )

    response = ask(api_client_for(client_user), client_user, case, "Tell me about the merger.")

    assert response.status_code == 200
    sent = json.dumps([request.json for request in fake_llm.requests])
    assert "merger" not in sent.replace("Tell me about the merger.", "")
    assert "Secret closing date" not in sent
    assert [json.loads(m["content"]) for m in tool_messages(fake_llm, 2)] == [
        {"error": "Case not found."},
        {"error": "Case not found."},
    ]
    assert set(ToolCall.objects.values_list("error_code", flat=True)) == {"not_found"}


def test_a_tool_error_goes_back_to_the_model_as_a_tool_message(
    fake_llm: FakeLLM, client_user: User, case: Case, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(
        ToolCalls(("deadlines_list", '{"days": "soon"'), ("delete_case", {})),
        Reply(text="I could not look that up."),
    )

    response = ask(api_client_for(client_user), client_user, case)

    assert response.status_code == 200
    assert response.json()["answer"] == "I could not look that up."
    errors = [json.loads(m["content"])["error"] for m in tool_messages(fake_llm, 1)]
    assert errors[0] == "The arguments are not JSON."
    assert "delete_case" in errors[1]
    assert sorted(ToolCall.objects.values_list("error_code", flat=True)) == [
        "invalid_arguments",
        "unknown_tool",
    ]


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streamed"])
def test_after_five_rounds_of_tool_calls_the_model_must_answer(
    fake_llm: FakeLLM,
    settings: Settings,
    client_user: User,
    case: Case,
    api_client_for: Callable[[User], APIClient],
    streaming: bool,
) -> None:
    assert settings.LLM_TOOL_ROUNDS == 5
    fake_llm.script(*[ToolCalls(("case_lookup", {}))] * 5, Reply(text="Enough looking."))

    response = ask(api_client_for(client_user), client_user, case, streaming=streaming)

    answer = answered(response)[0]
    assert answer == "Enough looking."
    assert len(fake_llm.requests) == 6
    assert [r.json.get("tool_choice") for r in fake_llm.requests] == [None] * 5 + ["none"]
    assert ToolCall.objects.filter(consultation=Consultation.objects.get()).count() == 5


def test_a_model_still_calling_tools_after_the_cap_is_a_failure_not_a_loop(
    fake_llm: FakeLLM, client_user: User, case: Case, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = ToolCalls(("case_lookup", {}))
    api = api_client_for(client_user)

    response = ask(api, client_user, case)
    again = ask(api, client_user, case)

    assert response.status_code == again.status_code == 503
    # The last round's bad answer was not cached: asked again, the model is asked again.
    assert len(fake_llm.requests) == 6 + 1
    assert Consultation.objects.filter(outcome="failed", error_code="bad_output").count() == 2


def test_a_cached_answer_never_outlives_the_deadlines_it_was_given(
    fake_llm: FakeLLM,
    client_user: User,
    lawyer: User,
    case: Case,
    deadline: Deadline,
    api_client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    fake_llm.script(ToolCalls(("deadlines_list", {"days": 14})), Reply(text="Due in nine days."))
    fake_llm.default = Reply(text="Due in twelve days.")
    api = api_client_for(client_user)

    first = ask(api, client_user, case).json()
    again = ask(api, client_user, case).json()
    with django_capture_on_commit_callbacks(execute=True):
        deadline_update(
            actor=lawyer, deadline=deadline, due_date=timezone.localdate() + timedelta(days=12)
        )
    changed = ask(api, client_user, case).json()

    assert (first["answer"], first["cached"]) == ("Due in nine days.", False)
    assert (again["answer"], again["cached"]) == ("Due in nine days.", True)
    # The model's choice of tool is reused; the tool's new result is a new answer.
    assert (changed["answer"], changed["cached"]) == ("Due in twelve days.", False)
    assert len(fake_llm.requests) == 3
    assert list(ToolCall.objects.order_by("id").values_list("cached", flat=True)) == [
        False,
        True,
        False,
    ]


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streamed"])
def test_the_offline_provider_answers_deadline_questions_through_the_tool(
    settings: Settings,
    client_user: User,
    case: Case,
    deadline: Deadline,
    api_client_for: Callable[[User], APIClient],
    streaming: bool,
) -> None:
    settings.LLM_PROVIDER = "offline"

    response = ask(api_client_for(client_user), client_user, case, streaming=streaming)

    answer = answered(response)[0]
    assert answer.startswith(f"{OFFLINE_LABEL} Open deadlines due by")
    assert deadline.due_date.isoformat() in answer
    assert "Defence for Helen Carter's claim" in answer  # restored for the user
    call = ToolCall.objects.get()
    assert (call.tool, call.arguments) == ("deadlines_list", {"days": 14})


def test_the_offline_provider_leaves_other_questions_alone(
    settings: Settings, client_user: User, case: Case, api_client_for: Callable[[User], APIClient]
) -> None:
    settings.LLM_PROVIDER = "offline"

    response = ask(api_client_for(client_user), client_user, case, "Can I sublet my flat?")

    assert response.json()["answer"].startswith(OFFLINE_LABEL)
    assert not ToolCall.objects.exists()


def test_a_provider_without_function_calling_is_asked_again_without_tools(
    fake_llm: FakeLLM,
    client_user: User,
    case: Case,
    api_client_for: Callable[[User], APIClient],
    fresh_providers: None,
) -> None:
    refusal = {"message": "This model does not support tools.", "type": "invalid_request_error"}
    fake_llm.script(Status(400, body={"error": {**refusal, "param": "tools", "code": None}}))
    fake_llm.default = Reply(text="From the prompt alone.")
    api = api_client_for(client_user)

    first = ask(api, client_user, case, "Can I sublet?")
    second = ask(api, client_user, case, "Can I sublet my flat?")

    assert first.json()["answer"] == "From the prompt alone."
    assert second.status_code == 200
    # Refused once: offered no more.
    assert [bool(r.tool_names) for r in fake_llm.requests] == [True, False, False]


def test_with_tools_switched_off_the_model_is_offered_none(
    fake_llm: FakeLLM,
    settings: Settings,
    client_user: User,
    case: Case,
    api_client_for: Callable[[User], APIClient],
) -> None:
    settings.LLM_TOOLS = False

    response = ask(api_client_for(client_user), client_user, case)

    assert response.json()["answer"] == "This is the fake model's answer."
    assert "tools" not in fake_llm.requests[0].json
    assert "tool" not in fake_llm.requests[0].messages[0]["content"].split("passages")[0]


# Committed rows: MariaDB's FULLTEXT index only sees those.
@pytest.mark.django_db(transaction=True)
def test_a_models_search_for_a_placeholder_finds_the_partys_passages(
    fake_llm: FakeLLM, client_user: User, case: Case, api_client_for: Callable[[User], APIClient]
) -> None:
    PassageFactory(
        document=DocumentFactory(case=case), text="Helen Carter signed the lease in March."
    )
    fake_llm.script(
        ToolCalls(("documents_search", {"query": "<PERSON_2> signed"})),
        Reply(text="In March."),
    )

    response = ask(api_client_for(client_user), client_user, case, "When did Helen Carter sign?")

    assert response.json()["answer"] == "In March."
    [passage] = json.loads(tool_messages(fake_llm, 1)[0]["content"])["passages"]
    assert passage["text"] == "<PERSON_2> signed the lease in March."
    assert ToolCall.objects.get().arguments == {"query": "Helen Carter signed"}


@pytest.fixture(scope="module")
def async_model_with_a_tool() -> Iterator[str]:
    """tests/async_fake_llm.py, answering each question first with a deadlines_list call;
    its base URL."""
    process = subprocess.Popen(
        [sys.executable, "tests/async_fake_llm.py", "--seconds", "0", "--tool", "deadlines_list"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streamed"])
def test_the_async_fake_model_asks_for_its_tool_first(
    async_model_with_a_tool: str,
    settings: Settings,
    client_user: User,
    case: Case,
    deadline: Deadline,
    api_client_for: Callable[[User], APIClient],
    streaming: bool,
) -> None:
    settings.LLM_PROVIDER, settings.LLM_API_KEY = "openai", "test-key"
    settings.LLM_BASE_URL = async_model_with_a_tool
    stats = async_model_with_a_tool.removesuffix("/v1") + "/stats"
    with urllib.request.urlopen(stats, timeout=5) as before:
        calls_before = json.load(before)["calls"]

    response = ask(api_client_for(client_user), client_user, case, streaming=streaming)

    assert answered(response)[0] == ANSWER
    with urllib.request.urlopen(stats, timeout=5) as after:
        assert json.load(after)["calls"] - calls_before == 2
    call = ToolCall.objects.get()
    assert (call.tool, call.arguments, call.error_code) == ("deadlines_list", {"days": 14}, "")
