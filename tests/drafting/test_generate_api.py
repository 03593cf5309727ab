"""POST /api/ai/generate-document in the request (the contract's 200), the status of a draft
and the list of document types."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from config.api import camel_case
from consultations.llm.client import OFFLINE_LABEL
from consultations.models import Consultation
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES, MAX_INPUTS_CHARS, find_placeholders
from drafting.models import Draft
from tests.drafting.spec import as_written
from tests.factories import CaseFactory, ClientFactory, LawyerFactory
from tests.fake_llm import FakeLLM, Reply, Status
from tests.problems import field_errors_of, problem_of

pytestmark = pytest.mark.django_db

GENERATE = reverse("drafting-api:generate-document")
DOCUMENT_TYPE_LIST = reverse("drafting-api:document-types")
CONTRACT_KEYS = {"draftText", "sections", "qualityScore", "warnings"}
BUSY = {
    "type": "/api/problems/ai-unavailable",
    "title": "AI unavailable",
    "status": 503,
    "detail": "The AI is busy right now, please try again.",
}
NDA = DOCUMENT_TYPES["nda"]
REQUIRED_FIELDS = [
    (doc.id, field.name)
    for doc in DOCUMENT_TYPES.values()
    for field in doc.fields
    if field.required
]


def generate(
    api: APIClient,
    type_id: str = "nda",
    inputs: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    if inputs is None:
        inputs = dict(DOCUMENT_TYPES[type_id].example_inputs)
    # The tests name inputs as Python does; the wire, in camelCase.
    wire = inputs_on_the_wire(inputs) if isinstance(inputs, dict) else inputs
    body = {"type": type_id, "inputs": wire, **fields}
    return api.post(GENERATE, body, format="json", headers=headers)


# --- Drafting every type --------------------------------------------------------------------


@pytest.mark.parametrize("type_id", list(DOCUMENT_TYPES))
def test_every_document_type_is_drafted_offline_with_exactly_the_contract_keys(
    type_id: str, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    doc = DOCUMENT_TYPES[type_id]
    inputs = dict(doc.example_inputs)

    response = generate(api_client_for(client_user), type_id, inputs)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == CONTRACT_KEYS
    text = body["draftText"]
    assert text.startswith(OFFLINE_LABEL)
    assert find_placeholders(text) == []
    for name in inputs:
        assert as_written(doc.fields_by_name[name], inputs[name], inputs) in text, name
    # An object by section number, in the document's order.
    assert list(body["sections"]) == [str(n) for n in range(1, len(body["sections"]) + 1)]
    assert len(body["sections"]) >= 7
    assert all(set(s) == {"heading", "body"} and s["heading"] for s in body["sections"].values())
    assert body["warnings"] == []
    assert body["qualityScore"] == 1.0
    draft = Draft.objects.get()
    assert response.headers["Location"] == f"/api/ai/drafts/{draft.pk}"
    assert draft.status == Draft.Status.DRAFTED
    assert draft.progress == 100
    assert draft.consultation.kind == Consultation.Kind.DRAFT
    assert draft.consultation.outcome == Consultation.Outcome.OK


def test_the_draft_is_stored_with_its_inputs_as_strings(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    generate(api_client_for(client_user), "demand-letter", tone="firm but polite", locale="en-GB")

    draft = Draft.objects.get()
    assert draft.author == client_user
    assert draft.document_type == "demand-letter"
    assert draft.inputs["amount_due"] == "8640.00"
    assert draft.inputs["response_days"] == "14"
    assert draft.inputs["letter_date"] == "2026-11-23"
    assert (draft.tone, draft.locale, draft.policy) == ("firm but polite", "en-GB", "")
    assert draft.attempts == 1


# --- What the model sees and what comes back ------------------------------------------------


def test_the_model_sees_the_parties_as_placeholders_and_the_answer_restores_them(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(
        Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2> exchange confidential information.")
    )

    response = generate(api_client_for(client_user), "nda", tone="formal", locale="en-GB")

    assert response.status_code == 200
    text = response.json()["draftText"]
    assert text.startswith(
        "1. Parties\n\nNorthwind Analytics Ltd and Harbour Lane Robotics Inc. exchange"
    )
    prompt = fake_llm.requests[0].json["messages"][0]["content"]
    assert "Northwind Analytics Ltd" not in prompt
    assert "Harbour Lane Robotics" not in prompt
    assert "<PERSON_1>" in prompt
    assert "Tone: formal." in prompt
    assert "locale en-GB" in prompt
    consultation = Consultation.objects.get()
    assert "Northwind" not in consultation.sent_text
    assert consultation.redactions["PERSON"] >= 2


def test_a_weak_answer_is_warned_about_and_scored_down(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    # No definition, term or law clauses, a blank, and two facts kept: the rest are lost.
    fake_llm.script(Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2>, signed on [DATE]."))

    body = generate(api_client_for(client_user), "nda").json()

    warnings = body["warnings"]
    assert "Placeholder left in the draft: [DATE]" in warnings
    assert "Missing fact: the effective date as given does not appear in the draft." in warnings
    assert "Missing fact: the first party's address as given does not appear in the draft." in (
        warnings
    )
    assert not any("first party as given" in w for w in warnings)
    assert "Governing law: No governing law clause was found." in warnings
    assert body["qualityScore"] == 0.0
    assert Draft.objects.get().quality_score == Decimal("0.00")


def test_policy_can_be_switched_off_or_replaced(
    fake_llm: FakeLLM, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2>.")

    without = generate(api_client_for(ClientFactory()), "nda", policy="").json()
    replaced = generate(api_client_for(ClientFactory()), "nda", policy="lease").json()

    assert not any(w.startswith("Confidentiality") for w in without["warnings"])
    assert any(w.startswith("Rent:") for w in replaced["warnings"])
    assert [d.policy for d in Draft.objects.order_by("id")] == ["", "lease"]


def test_a_case_in_the_context_links_the_draft_and_its_parties_are_scrubbed(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    case = CaseFactory(client=client_user, opposing_parties="Simon James Cole")
    inputs = {**NDA.example_inputs, "purpose": "a deal that Simon James Cole proposed"}

    response = generate(api_client_for(client_user), "nda", inputs, context={"caseId": case.pk})

    assert response.status_code == 200
    assert "Simon James Cole" not in fake_llm.requests[0].json["messages"][0]["content"]
    assert Draft.objects.get().case == case
    assert Consultation.objects.get().case == case


def test_a_case_the_caller_cannot_see_is_a_404_and_drafts_nothing(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    others = CaseFactory(client=ClientFactory())

    response = generate(api_client_for(client_user), "nda", context={"caseId": others.pk})

    assert response.status_code == 404
    assert not Draft.objects.exists()


# --- Invalid requests -----------------------------------------------------------------------


@pytest.mark.parametrize(("type_id", "name"), REQUIRED_FIELDS)
def test_each_missing_required_input_is_a_400_naming_it(
    type_id: str, name: str, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    inputs = {k: v for k, v in DOCUMENT_TYPES[type_id].example_inputs.items() if k != name}

    response = generate(api_client_for(client_user), type_id, inputs)

    assert response.status_code == 400
    assert field_errors_of(response) == {"inputs": {camel_case(name): ["This field is required."]}}
    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"noticeDate": "2026-01-01", "tenancyStartDate": "2026-01-01"},
            {"noticeDate": ["Must be after the tenancy start date."]},
        ),
    ],
)
def test_a_rule_the_schema_cannot_express_is_a_422(
    changes: dict[str, str],
    errors: dict[str, list[str]],
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    lease = DOCUMENT_TYPES["lease-notice"]
    inputs = {**inputs_on_the_wire(lease.example_inputs), **changes}

    response = api_client_for(client_user).post(
        GENERATE, {"type": "lease-notice", "inputs": inputs}, format="json"
    )

    problem = problem_of(response, 422, type="/api/problems/rule-broken")
    assert problem["errors"] == {"inputs": errors}
    assert not Draft.objects.exists()


def test_an_address_that_cannot_receive_mail_is_a_422(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    letter = DOCUMENT_TYPES["engagement-letter"]
    # JSON Schema's "email" format takes it; the server's check of an address does not.
    inputs = {**inputs_on_the_wire(letter.example_inputs), "clientEmail": "someone@nowhere"}

    response = api_client_for(client_user).post(
        GENERATE, {"type": "engagement-letter", "inputs": inputs}, format="json"
    )

    problem = problem_of(response, 422, type="/api/problems/rule-broken")
    assert list(problem["errors"]["inputs"]) == ["clientEmail"]


def test_invalid_and_unknown_inputs_are_reported_by_name(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    inputs = {**NDA.example_inputs, "term_years": 40, "colour": "red"}

    response = generate(api_client_for(client_user), "nda", inputs)

    assert response.status_code == 400
    assert field_errors_of(response) == {
        "inputs": {
            "colour": ["Unknown field."],
            "termYears": ["Ensure this value is less than or equal to 10."],
        }
    }


def test_inputs_go_by_their_camel_case_names_and_python_names_are_unknown(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    inputs = {**inputs_on_the_wire(NDA.example_inputs), "party_a_name": "Northwind Ltd"}
    del inputs["partyAName"]

    response = api_client_for(client_user).post(
        GENERATE, {"type": "nda", "inputs": inputs}, format="json"
    )

    assert response.status_code == 400
    assert field_errors_of(response) == {
        "inputs": {"party_a_name": ["Unknown field."], "partyAName": ["This field is required."]}
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("termYears", "2", "Enter a whole number."),
        ("termYears", True, "Enter a whole number."),
        ("effectiveDate", " 2026-11-21", "Enter a valid date in the form YYYY-MM-DD."),
        ("partyAName", "Northwind\nLtd", "Enter a single line, without control characters."),
        ("partyAName", 5, "Enter text."),
    ],
)
def test_each_input_comes_in_its_json_type_exactly(
    name: str,
    value: Any,
    message: str,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    inputs = {**inputs_on_the_wire(NDA.example_inputs), name: value}

    response = api_client_for(client_user).post(
        GENERATE, {"type": "nda", "inputs": inputs}, format="json"
    )

    assert response.status_code == 400
    assert field_errors_of(response) == {"inputs": {name: [message]}}
    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        ("1250.00", True),
        ("0", True),
        (1250, False),
        ("1250.000", False),
        ("-5", False),
        ("01", False),
    ],
)
def test_an_amount_is_a_string_of_at_most_two_decimals(
    amount: Any, accepted: bool, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    offer = DOCUMENT_TYPES["offer-letter"]
    inputs = {**inputs_on_the_wire(offer.example_inputs), "salary": amount}

    response = api_client_for(client_user).post(
        GENERATE, {"type": "offer-letter", "inputs": inputs}, format="json"
    )

    assert (response.status_code == 200) is accepted, response.content


def test_the_schema_describes_each_document_types_inputs_by_their_wire_names() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    request = components["GenerateDocumentRequest"]

    assert request["discriminator"]["propertyName"] == "type"
    assert set(request["discriminator"]["mapping"]) == set(DOCUMENT_TYPES)
    nda = components["NdaInputs"]
    assert set(nda["properties"]) == {camel_case(f.name) for f in NDA.fields}
    assert nda["additionalProperties"] is False
    assert nda["properties"]["termYears"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
        "title": "Term (years)",
        "description": "How long the agreement lasts.",
    }
    assert nda["example"] == inputs_on_the_wire(NDA.example_inputs)


def test_an_unknown_document_type_is_a_400_listing_the_known_ones(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = generate(api_client_for(client_user), "will", inputs={})

    assert response.status_code == 400
    [message] = field_errors_of(response)["type"]
    assert "'will'" in message
    for type_id in DOCUMENT_TYPES:
        assert type_id in message


@pytest.mark.parametrize(
    ("fields", "error_key"),
    [
        ({"colour": "red"}, "colour"),
        ({"userId": 1}, "userId"),
        ({"tone": "<script>"}, "tone"),
        ({"locale": "english please"}, "locale"),
        ({"policy": "gdpr"}, "policy"),
        ({"async": "perhaps"}, "async"),
        ({"context": {"caseId": 1, "extra": True}}, "context"),
    ],
)
def test_unknown_or_invalid_top_level_fields_are_a_400(
    fields: dict[str, Any],
    error_key: str,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    response = generate(api_client_for(client_user), "nda", **fields)

    assert response.status_code == 400
    assert error_key in field_errors_of(response)
    assert not Draft.objects.exists()


def test_an_input_longer_than_its_bound_is_refused_before_it_is_trimmed(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    # Each field is bounded, so together they stay under MAX_INPUTS_CHARS: the bound a JSON
    # body meets first is the field's, counted as the schema's maxLength counts.
    inputs = {**NDA.example_inputs, "purpose": "x" * 990 + " " * (MAX_INPUTS_CHARS + 1)}

    response = generate(api_client_for(client_user), "nda", inputs)

    assert response.status_code == 400
    assert field_errors_of(response) == {
        "inputs": {"purpose": ["Ensure this field has no more than 1000 characters."]}
    }


def test_inputs_must_be_an_object(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = generate(api_client_for(client_user), "nda", inputs=["Northwind"])  # type: ignore[arg-type]

    assert response.status_code == 400
    assert "inputs" in field_errors_of(response)


def test_drafting_needs_a_login() -> None:
    assert APIClient().post(GENERATE, {"type": "nda"}, format="json").status_code == 401


# --- The AI is down -------------------------------------------------------------------------


def test_llm_down_answers_503_with_retry_after_and_records_the_failure(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Status(503)

    response = generate(api_client_for(client_user), "nda")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == BUSY
    assert int(response.headers["Retry-After"]) > 0
    consultation = Consultation.objects.get()
    assert consultation.kind == Consultation.Kind.DRAFT
    assert consultation.outcome == Consultation.Outcome.FAILED
    draft = Draft.objects.get()
    assert draft.status == Draft.Status.FAILED
    assert "could not draft" in draft.failure_reason


# --- Idempotency-Key ------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_replays_the_same_draft(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2>.")
    api = api_client_for(client_user)

    first = generate(api, "nda", headers={"Idempotency-Key": "draft-1"})
    second = generate(api, "nda", headers={"Idempotency-Key": "draft-1"})

    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert Draft.objects.count() == 1
    assert Consultation.objects.count() == 1
    assert len(fake_llm.requests) == 1


def test_the_same_idempotency_key_with_another_body_is_a_409(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    generate(api, "nda", headers={"Idempotency-Key": "draft-1"})

    response = generate(api, "nda", tone="formal", headers={"Idempotency-Key": "draft-1"})

    assert response.status_code == 409
    assert Draft.objects.count() == 1


def test_idempotency_keys_belong_to_their_user(
    api_client_for: Callable[[User], APIClient],
) -> None:
    generate(api_client_for(ClientFactory()), "nda", headers={"Idempotency-Key": "k"})

    response = generate(api_client_for(ClientFactory()), "nda", headers={"Idempotency-Key": "k"})

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert Draft.objects.count() == 2


def test_a_failed_draft_is_drafted_again_when_retried_with_its_key(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    fake_llm.default = Status(503)
    failed = generate(api, "nda", headers={"Idempotency-Key": "retry-me"})
    fake_llm.default = Reply(text="1. Parties\n\n<PERSON_1> and <PERSON_2>.")

    retried = generate(api, "nda", headers={"Idempotency-Key": "retry-me"})

    assert failed.status_code == 503
    assert retried.status_code == 200
    assert retried.json()["draftText"].startswith("1. Parties\n\nNorthwind Analytics Ltd")
    draft = Draft.objects.get()
    assert draft.status == Draft.Status.DRAFTED
    assert draft.failure_reason == ""


# --- Reading a draft ------------------------------------------------------------------------


def test_the_author_reads_the_draft_with_its_result(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    api = api_client_for(client_user)
    drafted = generate(api, "offer-letter")

    response = api.get(drafted.headers["Location"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "draftId",
        "type",
        "status",
        "progress",
        "createdAt",
        "updatedAt",
        "result",
    }
    assert (body["type"], body["status"], body["progress"]) == ("offer-letter", "drafted", 100)
    assert body["result"] == drafted.json()


def test_another_users_draft_is_a_404(api_client_for: Callable[[User], APIClient]) -> None:
    drafted = generate(api_client_for(ClientFactory()), "nda")

    response = api_client_for(ClientFactory()).get(drafted.headers["Location"])

    assert response.status_code == 404


def test_staff_read_drafts_on_cases_they_may_see_and_no_others(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    assigned, other = LawyerFactory(), LawyerFactory()
    case = CaseFactory(client=client_user, lawyers=[assigned])
    on_case = generate(api_client_for(client_user), "nda", context={"caseId": case.pk})
    private = generate(api_client_for(client_user), "offer-letter")

    assert api_client_for(assigned).get(on_case.headers["Location"]).status_code == 200
    assert api_client_for(other).get(on_case.headers["Location"]).status_code == 404
    assert api_client_for(assigned).get(private.headers["Location"]).status_code == 404


# --- Document types -------------------------------------------------------------------------


def test_document_types_lists_every_type_with_its_fields(
    client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = api_client_for(client_user).get(DOCUMENT_TYPE_LIST)

    assert response.status_code == 200
    body = response.json()
    assert [item["type"] for item in body] == list(DOCUMENT_TYPES)
    for item, doc in zip(body, DOCUMENT_TYPES.values(), strict=True):
        # Each field by the name a request gives it.
        assert [f["name"] for f in item["fields"]] == [camel_case(f.name) for f in doc.fields]
    nda = body[0]
    assert nda["policy"] == "nda"
    assert nda["fields"][0] == {
        "name": "partyAName",
        "label": "First party",
        "type": "string",
        "required": True,
        "helpText": "Full legal name.",
        "maxLength": 200,
    }
