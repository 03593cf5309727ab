"""A provider that refuses the request itself (400 malformed, 401 bad key, 403 no access, 404
unknown model) fails every retry alike: the caller is told the AI service is misconfigured and
an admin has been told (502, no Retry-After), never "busy, try again"; the call is recorded
failed with `misconfigured`, logged at ERROR without content, and counted for the alert."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft
from drafting.services import draft_request
from drafting.tasks import draft_generate_task
from tests.fake_llm import FakeLLM, Status
from tests.streams import streamed_body

pytestmark = pytest.mark.django_db

MISCONFIGURED = {
    "type": "/api/problems/ai-misconfigured",
    "title": "AI misconfigured",
    "status": 502,
    "detail": "The AI service is misconfigured; an administrator has been told.",
}
QUESTION = "Can my landlord keep the deposit of Priya Raman?"
REFUSED = Status(
    401,
    body={
        "error": {
            "message": "Incorrect API key provided.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    },
)


def _nda_inputs() -> dict[str, str]:
    return dict(DOCUMENT_TYPES["nda"].example_inputs)


def misconfigured_errors(kind: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "counsel_llm_errors_total", {"kind": kind, "error": "misconfigured"}
        )
        or 0.0
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_refused_chat_is_a_502_that_says_an_admin_was_told(
    status: int,
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_llm.default = Status(status)
    counted = misconfigured_errors("chat")

    with caplog.at_level(logging.INFO):
        response = api_client_for(client_user).post(
            reverse("ai-api:chat"), {"userId": client_user.pk, "message": QUESTION}, format="json"
        )

    assert response.status_code == 502
    assert response.json() == MISCONFIGURED
    assert "Retry-After" not in response.headers
    # Never retried: the same request would be refused the same way.
    assert len(fake_llm.requests) == 1
    consultation = Consultation.objects.get()
    assert (consultation.outcome, consultation.error_code) == ("failed", "misconfigured")
    assert misconfigured_errors("chat") == counted + 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "counsel.llm"]
    assert len(errors) == 1
    assert errors[0].upstream_status == status
    # Metadata only: neither the question nor a scrubbed trace of it.
    assert "deposit" not in caplog.text
    assert "PERSON" not in caplog.text


def test_the_log_names_the_providers_reason_for_the_admin(
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_llm.default = REFUSED

    with caplog.at_level(logging.ERROR, logger="counsel.llm"):
        api_client_for(client_user).post(
            reverse("ai-api:chat"), {"userId": client_user.pk, "message": QUESTION}, format="json"
        )

    (error,) = [r for r in caplog.records if r.name == "counsel.llm"]
    assert error.provider_error == "invalid_api_key"
    assert "Incorrect API key" not in caplog.text


def test_a_refused_analysis_and_a_refused_draft_are_502_too(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Status(404)
    api = api_client_for(client_user)

    analyzed = api.post(
        reverse("ai-api:analyze"),
        {"text": "The tenant pays rent.", "policy": "lease"},
        format="json",
    )
    drafted = api.post(
        reverse("drafting-api:generate-document"),
        {"type": "nda", "inputs": inputs_on_the_wire(_nda_inputs())},
        format="json",
    )

    assert (analyzed.status_code, analyzed.json()) == (502, MISCONFIGURED)
    assert (drafted.status_code, drafted.json()) == (502, MISCONFIGURED)
    assert "Retry-After" not in analyzed.headers
    assert "Retry-After" not in drafted.headers
    assert list(Consultation.objects.values_list("kind", "error_code").order_by("id")) == [
        ("analyze", "misconfigured"),
        ("draft", "misconfigured"),
    ]


def test_a_draft_job_that_meets_it_fails_with_the_reason_and_is_not_retried(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.default = Status(401)
    draft = draft_request(author=client_user, type_id="nda", inputs=_nda_inputs())

    draft_generate_task.apply(args=(draft.pk, "req-1"))

    draft.refresh_from_db()
    assert draft.status == Draft.Status.FAILED
    assert draft.failure_reason == MISCONFIGURED["detail"]
    assert (draft.attempts, len(fake_llm.requests)) == (1, 1)


def test_the_staff_chat_page_and_its_stream_say_it_in_words(
    fake_llm: FakeLLM, lawyer: User, page_client_for: Callable[[User], Client]
) -> None:
    fake_llm.default = Status(403)
    page = page_client_for(lawyer)

    answered = page.post(reverse("consultations:ask"), {"message": QUESTION})
    parked = page.post(reverse("consultations:ask-stream"), {"message": QUESTION})
    url = re.search(r'data-stream-url="([^"]+)"', parked.content.decode())[1]
    streamed = streamed_body(page.get(url)).decode()

    assert answered.status_code == 200
    assert MISCONFIGURED["detail"] in answered.content.decode()
    assert "The AI is busy" not in answered.content.decode()
    assert "event: error" in streamed
    assert MISCONFIGURED["detail"] in streamed
