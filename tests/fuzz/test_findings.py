"""What fuzzing the API found, each pinned by a plain example: the fuzz tests would find them
again, but only by chance and with a longer report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case
from tests.factories import CaseFactory
from tests.fake_llm import FakeLLM, Reply
from tests.problems import detail_of
from tests.streams import streamed_body

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_a_case_opened_without_lawyer_ids_has_no_lawyers(
    admin_user: User, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    body = {"title": "Lease dispute", "practiceArea": "property", "clientId": client_user.pk}

    response = api_client_for(admin_user).post("/api/cases", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["lawyerIds"] == []
    assert list(Case.objects.get().lawyers.all()) == []


def test_a_blank_case_filter_filters_nothing_as_the_schema_says(
    lawyer: User, api_client_for: Callable[[User], APIClient], schema: dict[str, Any]
) -> None:
    CaseFactory(lawyers=[lawyer], status=Case.Status.CLOSED)

    response = api_client_for(lawyer).get("/api/cases", {"status": "", "practiceArea": ""})

    assert response.status_code == 200
    assert response.json()["count"] == 1
    parameters = schema["paths"]["/api/cases"]["get"]["parameters"]
    enums = {p["name"]: p["schema"].get("enum", []) for p in parameters}
    assert "" in enums["status"]
    assert "" in enums["practiceArea"]


def test_the_format_parameter_of_the_chat_schema_streams_the_answer(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(text="Only with consent."))
    body = {"userId": client_user.pk, "message": "Can I sublet?"}

    response = api_client_for(client_user).post(
        "/api/ai/chat?format=event-stream", body, format="json"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert b"event: done" in streamed_body(response)


@pytest.mark.parametrize("url", ["/api/cases/abc", "/api/ai/drafts/-1", "/api/nowhere"])
def test_an_api_url_no_route_matches_answers_a_404_problem(url: str, client: Client) -> None:
    response = client.get(url)

    assert response.status_code == 404
    assert detail_of(response) == "Not found."


def test_a_page_no_route_matches_is_still_the_html_404(client: Client) -> None:
    response = client.get("/nowhere/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_cache_stats_body_the_api_sends(
    schema: dict[str, Any],
) -> None:
    ok = schema["paths"]["/api/admin/cache/stats"]["get"]["responses"]["200"]
    body = ok["content"]["application/json"]["schema"]

    assert body["$ref"] == "#/components/schemas/CacheStats"
    assert set(schema["components"]["schemas"]["CacheStats"]["properties"]) == {"kinds", "tools"}


def test_the_schema_says_request_bodies_take_no_undeclared_keys(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    for name in ("ChatRequest", "AnalyzeRequest", "CaseInput", "LoginRequest", "NdaInputs"):
        assert components[name]["additionalProperties"] is False, name
    assert "additionalProperties" not in components["ChatResponse"]
    # The contract's `context` is an object: keys beyond caseId and conversationId are the
    # app's extra context for the model.
    assert components["ChatContext"]["additionalProperties"] is True


def test_every_operation_documents_its_errors_as_problems(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if operation.get("security"):
                assert "401" in responses, (method, path)
            if "requestBody" in operation:
                assert "400" in responses, (method, path)
            for code, response in responses.items():
                if code >= "400":
                    assert set(response["content"]) == {"application/problem+json"}, (
                        method,
                        path,
                        code,
                    )
