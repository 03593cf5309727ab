from __future__ import annotations

import html

import pytest
from django.urls import reverse

from drafting.apis import inputs_on_the_wire
from drafting.doctypes import get_document_type
from drafting.models import Draft
from tests.problems import problem_of

pytestmark = pytest.mark.django_db

NDA = get_document_type("nda")


@pytest.fixture(autouse=True)
def _one_draft_a_minute(settings) -> None:
    settings.AI_RATE_LIMITS = {
        **settings.AI_RATE_LIMITS,
        "generate-document": {"user": "1/60", "address": "100/60"},
    }


def test_generate_document_answers_429_past_its_limit(lawyer, api_client_for) -> None:
    api = api_client_for(lawyer)
    body = {"type": "nda", "inputs": inputs_on_the_wire(NDA.example_inputs)}

    first = api.post(reverse("drafting-api:generate-document"), body, format="json")
    second = api.post(reverse("drafting-api:generate-document"), body, format="json")

    assert first.status_code == 200
    assert second.status_code == 429
    problem_of(second, 429, type="/api/problems/rate-limited")
    assert int(second["Retry-After"]) >= 1
    assert Draft.objects.count() == 1


def test_the_drafting_page_says_so_and_keeps_the_form(lawyer, page_client_for) -> None:
    page = page_client_for(lawyer)
    data = {name: str(value) for name, value in NDA.example_inputs.items()}
    data["tone"] = "neutral"
    url = reverse("drafting:new", args=["nda"])

    page.post(url, data)
    response = page.post(url, data)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Too many requests to the AI assistant" in text
    assert html.escape(str(NDA.example_inputs["purpose"])) in text
    assert Draft.objects.count() == 1
