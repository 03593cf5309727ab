from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from consultations.llm.client import OFFLINE_LABEL
from consultations.models import Consultation
from tests.factories import ClientFactory
from tests.fake_llm import FakeLLM, Reply, Status
from tests.problems import detail_of, field_errors_of
from tests.streams import streamed_body

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
BUSY = {"detail": "The AI is busy right now, please try again."}


def stream(api: APIClient, user: User, message: str = "Can I sublet?", **context: Any) -> Any:
    body: dict[str, Any] = {"userId": user.pk, "message": message}
    if context:
        body["context"] = context
    return api.post(CHAT, body, format="json", headers={"Accept": "text/event-stream"})


def events(response: Any) -> list[tuple[str, Any]]:
    """The (event name, data) pairs of a server-sent-events body; unnamed events are "message"."""
    raw = streamed_body(response).decode()
    parsed = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((fields.get("event", "message"), json.loads(fields["data"])))
    return parsed


def deltas(parsed: list[tuple[str, Any]]) -> list[str]:
    return [data["delta"] for name, data in parsed if name == "message"]


def test_a_streamed_answer_arrives_in_several_chunks_and_is_recorded_whole(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="Only with the landlord's written consent.", prompt_tokens=30))

    response = stream(api_client_for(client_user), client_user)
    parsed = events(response)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert len(deltas(parsed)) > 1
    assert "".join(deltas(parsed)) == "Only with the landlord's written consent."
    assert parsed[-1] == ("done", {"tokensUsed": 38, "cached": False})
    consultation = Consultation.objects.get()
    assert consultation.answer == "".join(deltas(parsed))
    assert (consultation.outcome, consultation.cache_hit) == ("ok", False)
    assert str(consultation.conversation_id) == response["X-Conversation-Id"]
    assert fake_llm.requests[0].json["stream"] is True


def test_a_second_identical_stream_comes_from_the_cache_at_once(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    first = events(stream(api, client_user))

    second = events(stream(api, client_user))

    assert second == [("message", {"delta": "".join(deltas(first))}), ("done", second[-1][1])]
    assert second[-1][1]["cached"] is True
    assert len(fake_llm.requests) == 1


def test_a_json_answer_is_cached_for_a_later_stream(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    answer = api.post(CHAT, {"userId": client_user.pk, "message": "Q?"}, format="json").json()

    parsed = events(stream(api, client_user, "Q?"))

    assert deltas(parsed) == [answer["answer"]]
    assert len(fake_llm.requests) == 1


def test_a_stream_cut_by_the_llm_server_is_recorded_failed_and_not_cached(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="The answer is that you may not.", cut_after=2))
    api = api_client_for(client_user)

    parsed = events(stream(api, client_user))

    assert deltas(parsed) == ["The ", "answer "]
    assert parsed[-1] == ("error", BUSY)
    failed = Consultation.objects.get()
    assert (failed.outcome, failed.error_code) == ("failed", "truncated")
    assert failed.answer == "The answer "
    again = events(stream(api, client_user))
    assert again[-1] == ("done", {"tokensUsed": 20, "cached": False})
    assert len(fake_llm.requests) == 2


def test_a_placeholder_split_across_chunks_is_restored(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    name = client_user.get_full_name()
    fake_llm.script(Reply(chunks=("Yes, <PERS", "ON_1> may sub", "let; 2 < 3 and <b", "ad.")))

    parsed = events(stream(api_client_for(client_user), client_user, f"May {name} sublet?"))

    assert "".join(deltas(parsed)) == f"Yes, {name} may sublet; 2 < 3 and <bad."
    assert "<PERSON_1>" in fake_llm.requests[0].json["messages"][-1]["content"]
    assert Consultation.objects.get().answer == f"Yes, {name} may sublet; 2 < 3 and <bad."


def test_a_stream_when_the_llm_is_down_ends_with_an_error_event(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(*[Status(503)] * 3)

    parsed = events(stream(api_client_for(client_user), client_user))

    assert parsed == [("error", BUSY)]
    failed = Consultation.objects.get()
    assert (failed.outcome, failed.error_code, failed.attempts) == ("failed", "unavailable", 3)


def test_a_stream_the_client_closes_stops_and_is_recorded_cancelled(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.script(Reply(text="one two three four five six", chunk_delay=0.05))
    access = tokens_for(user=client_user, otp_verified=False)["access"]

    # Django's sync test client reads an async stream whole: this one is read in one event
    # loop, through the async test client, and left after its first chunk.
    async def first_chunk_then_go_away() -> bytes:
        response = await AsyncClient().post(
            CHAT,
            {"userId": client_user.pk, "message": "Can I sublet?"},
            content_type="application/json",
            headers={"Accept": "text/event-stream", "Authorization": f"Bearer {access}"},
        )
        first: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def read() -> None:
            async for chunk in response.streaming_content:
                if not first.done():
                    first.set_result(chunk)

        reader = asyncio.create_task(read())
        chunk = await first
        # What the ASGI handler does when the browser goes away: it cancels the response.
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        return chunk

    first = async_to_sync(first_chunk_then_go_away)()

    assert b"one" in first
    cancelled = Consultation.objects.get()
    assert (cancelled.outcome, cancelled.error_code) == ("failed", "cancelled")
    assert cancelled.answer == "one "


def test_a_request_error_before_the_stream_is_a_problem(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    other = ClientFactory()
    theirs = events(stream(api_client_for(other), other))
    assert theirs[-1][0] == "done"
    conversation_id = Consultation.objects.get().conversation_id

    response = stream(api_client_for(client_user), client_user, conversationId=conversation_id)
    invalid = api_client_for(client_user).post(
        CHAT, {"userId": client_user.pk}, format="json", headers={"Accept": "text/event-stream"}
    )

    assert response.status_code == 404
    assert detail_of(response) == "Conversation not found."
    assert invalid.status_code == 400
    assert "message" in field_errors_of(invalid)


def test_an_offline_stream_comes_in_a_few_labelled_chunks(
    settings: Any, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    settings.LLM_PROVIDER = "offline"

    parsed = events(stream(api_client_for(client_user), client_user))

    assert len(deltas(parsed)) > 1
    assert "".join(deltas(parsed)).startswith(OFFLINE_LABEL)
    assert parsed[-1][0] == "done"
