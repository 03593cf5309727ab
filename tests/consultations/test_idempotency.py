from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from tests.factories import ClientFactory
from tests.fake_llm import Delay, FakeLLM, Reply, Status
from tests.problems import field_errors_of

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
ANALYZE = reverse("ai-api:analyze")


def post(api: APIClient, url: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return api.post(url, body, format="json", headers=headers)


def chat_body(user: User, message: str = "What is a lien?") -> dict[str, Any]:
    return {"userId": user.pk, "message": message}


def test_same_key_and_body_replays_the_stored_answer_without_asking_again(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="A claim on property."), Reply(text="A different answer."))
    api = api_client_for(client_user)

    first = post(api, CHAT, chat_body(client_user), "key-1")
    cache.clear()  # the replay comes from the record, not from the answer cache
    replay = post(api, CHAT, chat_body(client_user), "key-1")

    assert replay.status_code == first.status_code == 200
    assert (
        replay.json()
        == first.json()
        == {
            "answer": "A claim on property.",
            "tokensUsed": 20,
            "cached": False,
        }
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(fake_llm.requests) == 1
    assert Consultation.objects.count() == 1


def test_the_same_body_in_another_key_order_is_still_the_same_request(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    body = {"userId": client_user.pk, "message": "What is a lien?", "locale": "en"}
    reordered = json.loads(json.dumps(dict(reversed(list(body.items())))))

    post(api, CHAT, body, "key-1")
    replay = post(api, CHAT, reordered, "key-1")

    assert replay.headers["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_refused(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    post(api, CHAT, chat_body(client_user), "key-1")

    conflict = post(api, CHAT, chat_body(client_user, "What is a tort?"), "key-1")

    assert conflict.status_code == 409
    assert "different request" in conflict.json()["detail"]
    assert len(fake_llm.requests) == 1
    assert Consultation.objects.count() == 1


def test_same_key_on_another_endpoint_is_refused(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text=json.dumps({"findings": []}))
    api = api_client_for(client_user)
    post(api, ANALYZE, {"text": "A lease.", "policy": "lease"}, "key-1")

    assert post(api, CHAT, chat_body(client_user), "key-1").status_code == 409


def test_keys_belong_to_one_user(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    other = ClientFactory()
    post(api_client_for(client_user), CHAT, chat_body(client_user), "shared-key")

    response = post(api_client_for(other), CHAT, chat_body(other, "Mine"), "shared-key")

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert Consultation.objects.filter(user=other).count() == 1


def test_a_failed_request_runs_again_when_retried_with_its_key(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Status(400), Reply(text="Second time lucky."))
    api = api_client_for(client_user)

    failed = post(api, CHAT, chat_body(client_user), "key-1")
    retried = post(api, CHAT, chat_body(client_user), "key-1")

    assert failed.status_code == 502
    assert retried.status_code == 200
    assert retried.json()["answer"] == "Second time lucky."
    assert "Idempotent-Replayed" not in retried.headers
    assert list(Consultation.objects.order_by("id").values_list("outcome", "idempotency_key")) == [
        ("failed", "key-1"),
        ("ok", "key-1"),
    ]


def test_analysis_is_replayed_too(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text=json.dumps({"findings": [], "suggestions": ["Sign it."]}))
    api = api_client_for(client_user)
    body = {"text": "A lease with no rent.", "policy": "lease"}

    first = post(api, ANALYZE, body, "analysis-1")
    replay = post(api, ANALYZE, body, "analysis-1")

    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Consultation.objects.count() == 1


def test_without_a_key_nothing_is_replayed(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)

    post(api, CHAT, chat_body(client_user), None)
    second = post(api, CHAT, chat_body(client_user), None)

    assert "Idempotent-Replayed" not in second.headers
    assert Consultation.objects.count() == 2


def test_an_oversized_key_is_a_field_error(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = post(api_client_for(client_user), CHAT, chat_body(client_user), "k" * 256)

    assert response.status_code == 400
    assert set(field_errors_of(response)) == {"Idempotency-Key"}
    assert fake_llm.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_sent_while_the_first_still_runs_is_told_to_wait(
    fake_llm: FakeLLM, settings: Any, api_client_for: Callable[[User], APIClient]
) -> None:
    settings.LLM_TIMEOUT_MS = settings.LLM_DEADLINE_MS = 10_000
    user = ClientFactory()
    fake_llm.default = Delay(2.0, Reply(text="Slow answer."))
    first: list[Any] = []

    def send_first() -> None:
        try:
            first.append(post(api_client_for(user), CHAT, chat_body(user), "key-1"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=send_first)
    thread.start()
    deadline = time.monotonic() + 5
    while not fake_llm.requests and time.monotonic() < deadline:
        time.sleep(0.02)

    duplicate = post(api_client_for(user), CHAT, chat_body(user), "key-1")
    thread.join(timeout=10)
    replay = post(api_client_for(user), CHAT, chat_body(user), "key-1")

    assert duplicate.status_code == 409
    assert "still being processed" in duplicate.json()["detail"]
    assert first[0].status_code == 200
    assert replay.json() == first[0].json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert len(fake_llm.requests) == 1
    assert Consultation.objects.count() == 1
