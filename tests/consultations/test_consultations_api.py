from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from consultations.recording import consultation_record
from tests.factories import CaseFactory, ClientFactory
from tests.fake_llm import FakeLLM, Reply, Status

pytestmark = pytest.mark.django_db

CONSULTATIONS = reverse("ai-api:consultations")
ITEM_KEYS = {
    "id",
    "kind",
    "caseId",
    "model",
    "outcome",
    "cached",
    "tokensUsed",
    "latencyMs",
    "createdAt",
    "promptVersion",
}


def chat(api: APIClient, user: User, message: str, **fields: Any) -> Any:
    body = {"userId": user.pk, "message": message, **fields}
    return api.post(reverse("ai-api:chat"), body, format="json")


def test_the_list_shows_only_the_callers_own_consultations(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    other = ClientFactory()
    mine = api_client_for(client_user)
    chat(mine, client_user, "First question")
    chat(api_client_for(other), other, "Someone else's question")
    chat(mine, client_user, "Second question")

    response = mine.get(CONSULTATIONS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    own_ids = list(
        Consultation.objects.filter(user=client_user).order_by("-id").values_list("id", flat=True)
    )
    assert [item["id"] for item in body["results"]] == own_ids


def test_each_listed_consultation_has_exactly_the_documented_fields(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    case = CaseFactory(client=client_user)
    fake_llm.script(Reply(text="Yes.", prompt_tokens=30, completion_tokens=5, model="m-1"))
    api = api_client_for(client_user)
    chat(api, client_user, "About my case", context={"caseId": case.pk})

    [item] = api.get(CONSULTATIONS).json()["results"]

    assert set(item) == ITEM_KEYS
    assert item["kind"] == "chat"
    assert item["caseId"] == case.pk
    assert (item["model"], item["outcome"], item["cached"]) == ("m-1", "ok", False)
    assert item["tokensUsed"] == 35
    assert item["promptVersion"] == Consultation.objects.get().prompt_version
    assert "answer" not in item


def test_failed_consultations_are_listed_as_failed(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Status(500)
    api = api_client_for(client_user)
    chat(api, client_user, "Will this work?")

    [item] = api.get(CONSULTATIONS).json()["results"]

    assert (item["outcome"], item["tokensUsed"], item["caseId"]) == ("failed", 0, None)


def test_the_list_is_paginated(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    for _ in range(27):
        consultation_record(
            user=client_user,
            kind="chat",
            provider="offline",
            model="offline",
            prompt_name="chat",
            prompt_version="1",
            sent_text="A question.",
            outcome="ok",
            request_id="r",
        )

    first = api.get(CONSULTATIONS).json()
    second = api.get(first["next"]).json()

    assert (first["count"], len(first["results"]), len(second["results"])) == (27, 25, 2)


def test_the_list_needs_an_authenticated_caller() -> None:
    assert APIClient().get(CONSULTATIONS).status_code == 401
