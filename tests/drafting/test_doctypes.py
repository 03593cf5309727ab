"""The document-type registry: inputs in, a whole numbered first draft out."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from consultations.llm.prompts import render_prompt
from consultations.policies import get_policy
from drafting.doctypes import (
    DOCUMENT_TYPES,
    MAX_INPUTS_CHARS,
    NON_FIELD_ERRORS,
    DocumentType,
    Field,
    Section,
    UnknownDocumentType,
    find_placeholders,
    get_document_type,
    sections_of,
)
from tests.drafting.spec import as_written

TYPE_IDS = list(DOCUMENT_TYPES)
# Letters before action and powers of attorney are no contract: no policy checks them.
WITH_POLICY = [type_id for type_id, doc in DOCUMENT_TYPES.items() if doc.policy]


def _draft(doc: DocumentType, inputs: dict[str, Any]) -> str:
    cleaned, errors = doc.validate(inputs)
    assert errors == {}
    return doc.assemble(cleaned).text


def _without_optional(doc: DocumentType) -> dict[str, Any]:
    optional = {f.name for f in doc.fields if not f.required}
    return {k: v for k, v in doc.example_inputs.items() if k not in optional}


# --- The registry ---------------------------------------------------------------------------


def test_registry_holds_the_six_document_types() -> None:
    assert set(DOCUMENT_TYPES) == {
        "nda",
        "engagement-letter",
        "demand-letter",
        "offer-letter",
        "power-of-attorney",
        "lease-notice",
    }


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_each_type_has_six_to_twelve_fields_and_a_known_policy(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    assert doc.id == type_id
    assert 6 <= len(doc.fields) <= 12
    assert doc.policy in {"", "nda", "employment", "services-agreement", "lease"}
    assert doc.template == f"drafting/documents/{type_id}.txt"
    assert set(doc.example_inputs) == {f.name for f in doc.fields}
    assert any(not f.required for f in doc.fields)


def test_letters_that_are_not_contracts_have_no_policy() -> None:
    assert DOCUMENT_TYPES["demand-letter"].policy == ""
    assert DOCUMENT_TYPES["power-of-attorney"].policy == ""
    assert DOCUMENT_TYPES["offer-letter"].policy == "employment"
    assert DOCUMENT_TYPES["lease-notice"].policy == "lease"


def test_get_document_type_returns_the_registered_type() -> None:
    assert get_document_type("offer-letter") is DOCUMENT_TYPES["offer-letter"]


def test_unknown_document_type_is_a_400_that_lists_the_known_ids() -> None:
    with pytest.raises(UnknownDocumentType) as caught:
        get_document_type("will")
    assert caught.value.status_code == 400
    assert "'will'" in caught.value.detail
    for type_id in TYPE_IDS:
        assert type_id in caught.value.detail


# --- Assembling the examples ----------------------------------------------------------------


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_example_inputs_assemble_a_complete_numbered_draft(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    cleaned, errors = doc.validate(doc.example_inputs)
    assert errors == {}

    assembled = doc.assemble(cleaned)

    assert len(assembled.sections) >= 7
    assert [s.number for s in assembled.sections] == list(range(1, len(assembled.sections) + 1))
    for section in assembled.sections:
        assert section.heading
        assert len(section.body) > 40
        assert f"{section.number}. {section.heading}\n" in assembled.text
    assert find_placeholders(assembled.text) == []
    assert "{" not in assembled.text
    assert "\n\n\n" not in assembled.text


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_every_input_appears_in_the_draftas_written(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    inputs = dict(doc.example_inputs)
    text = _draft(doc, inputs)
    for field in doc.fields:
        assert as_written(field, inputs[field.name], inputs) in text, field.name


def test_dates_and_money_read_as_a_lawyer_writes_them() -> None:
    doc = DOCUMENT_TYPES["offer-letter"]
    inputs = {**doc.example_inputs, "start_date": "2026-11-21", "salary": 1234567.5}
    text = _draft(doc, {**inputs, "currency": "USD"})
    assert "Your employment will start on 21 November 2026." in text
    assert "Your salary will be US$1,234,567.50 a year" in text
    assert "€1,234,567.50" in _draft(doc, {**inputs, "currency": "EUR"})


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_optional_fields_left_out_leave_no_trace(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    optional = [f for f in doc.fields if not f.required]
    inputs = _without_optional(doc)
    cleaned, errors = doc.validate(inputs)
    assert errors == {}
    assert all(cleaned[f.name] is None for f in optional)

    assembled = doc.assemble(cleaned)

    assert find_placeholders(assembled.text) == []
    assert [s.number for s in assembled.sections] == list(range(1, len(assembled.sections) + 1))
    full = _draft(doc, dict(doc.example_inputs))
    assert len(assembled.text) < len(full)
    for field in optional:
        if field.type != "integer":  # a bare number shows up elsewhere anyway
            value = as_written(field, doc.example_inputs[field.name], doc.example_inputs)
            assert value not in assembled.text
    for remnant in ("  ", " ,", " .", "()", "\n\n\n", "None"):
        assert remnant not in assembled.text
    # Blank strings, as an HTML form sends them, are the same as leaving the field out.
    blanks = {**inputs, **{f.name: "  " for f in optional}}
    assert _draft(doc, blanks) == assembled.text


@pytest.mark.parametrize("type_id", WITH_POLICY)
def test_assembled_draft_passes_its_policy_required_clauses(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    policy = get_policy(doc.policy)
    for inputs in (dict(doc.example_inputs), _without_optional(doc)):
        findings = policy.check(_draft(doc, inputs))
        assert [f.rule for f in findings if f.rule.startswith("required.")] == []


@pytest.mark.parametrize("type_id", WITH_POLICY)
def test_example_draft_raises_no_policy_finding_at_all(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    assert get_policy(doc.policy).check(_draft(doc, dict(doc.example_inputs))) == []


def test_choices_change_the_wording() -> None:
    lease = DOCUMENT_TYPES["lease-notice"]
    by_tenant = _draft(lease, {**lease.example_inputs, "given_by": "tenant"})
    assert by_tenant.startswith("NOTICE OF TERMINATION OF TENANCY")
    assert "The Tenant gives the Landlord notice" in by_tenant
    assert "notice to quit" not in by_tenant
    letter = DOCUMENT_TYPES["engagement-letter"]
    hourly = _draft(letter, {**letter.example_inputs, "fee_basis": "hourly"})
    assert "at the rate of £1,850.00 per hour" in hourly
    assert "fixed fee" not in hourly


# --- Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_id", "name"),
    [(t, f.name) for t, doc in DOCUMENT_TYPES.items() for f in doc.fields if f.required],
)
def test_each_missing_required_field_is_named(type_id: str, name: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    inputs = {k: v for k, v in doc.example_inputs.items() if k != name}
    assert doc.validate(inputs)[1] == {name: ["This field is required."]}
    assert doc.validate({**inputs, name: " "})[1] == {name: ["This field is required."]}
    assert doc.validate({**inputs, name: None})[1] == {name: ["This field is required."]}


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_unknown_field_is_rejected(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    _, errors = doc.validate({**doc.example_inputs, "favourite_colour": "blue"})
    assert errors == {"favourite_colour": ["Unknown field."]}


def _bad_values(field: Field) -> list[Any]:
    too_long = "x" * ((field.max_length or 0) + 1)
    if field.type == "date":
        return ["31/02/2026", "2026-02-31", "2026-2-3", "tomorrow", 20260221]
    if field.type == "money":
        return ["-5", -5, "12.345", "1,000", "abc", True, float("nan"), ["1"]]
    if field.type == "integer":
        return ["three", 2.5, True, field.min_value - 1, field.max_value + 1]
    if field.type == "string":
        return [too_long, 42, "two\nlines", "bell\x07"]
    if field.type == "text":
        return [too_long, ["a list"], "nul\x00"]
    if field.type == "email":
        return ["not-an-email", "a@b", 7]
    return ["bogus", field.choices[0].swapcase(), 1]


BAD_INPUTS = [
    pytest.param(type_id, field.name, bad, id=f"{type_id}-{field.name}-{i}")
    for type_id, doc in DOCUMENT_TYPES.items()
    for field in doc.fields
    for i, bad in enumerate(_bad_values(field))
]


@pytest.mark.parametrize(("type_id", "name", "bad"), BAD_INPUTS)
def test_bad_values_are_rejected_on_their_field(type_id: str, name: str, bad: Any) -> None:
    doc = DOCUMENT_TYPES[type_id]
    _, errors = doc.validate({**doc.example_inputs, name: bad})
    assert list(errors) == [name]
    assert errors[name]
    assert all(isinstance(message, str) and message for message in errors[name])


def test_error_messages_say_what_is_wrong() -> None:
    doc = DOCUMENT_TYPES["lease-notice"]
    _, errors = doc.validate(
        {
            **doc.example_inputs,
            "notice_date": "31/02/2026",
            "rent": "-100",
            "reason": "x" * 1001,
            "rent_period": "fortnight",
        }
    )
    assert errors == {
        "notice_date": ["Enter a valid date in the form YYYY-MM-DD."],
        "rent": ["Enter an amount of 0 or more."],
        "reason": ["Ensure this field has no more than 1000 characters."],
        "rent_period": ["Select one of: week, month, quarter, year."],
    }


def test_values_are_converted_to_python_types() -> None:
    doc = DOCUMENT_TYPES["offer-letter"]
    inputs = {
        **doc.example_inputs,
        "start_date": " 2027-01-11 ",
        "salary": 62500.1,
        "hours_per_week": "37",
        "candidate_name": "  Amara Lindqvist ",
        "benefits": "Medical cover.\r\n\r\n\r\n\r\nA car allowance.  ",
    }
    cleaned, errors = doc.validate(inputs)
    assert errors == {}
    assert cleaned["start_date"] == date(2027, 1, 11)
    assert cleaned["salary"] == Decimal("62500.10")
    assert str(cleaned["salary"]) == "62500.10"
    assert cleaned["hours_per_week"] == 37
    assert cleaned["candidate_name"] == "Amara Lindqvist"
    assert cleaned["benefits"] == "Medical cover.\n\nA car allowance."
    assert doc.validate({**inputs, "salary": "62500"})[0]["salary"] == Decimal("62500.00")


def test_email_is_checked_and_kept() -> None:
    doc = DOCUMENT_TYPES["engagement-letter"]
    cleaned, errors = doc.validate({**doc.example_inputs, "client_email": "d.okafor@example.org"})
    assert errors == {}
    assert cleaned["client_email"] == "d.okafor@example.org"
    _, errors = doc.validate({**doc.example_inputs, "client_email": "d.okafor at example"})
    assert errors == {"client_email": ["Enter a valid email address."]}


@pytest.mark.parametrize(
    ("type_id", "changes", "field"),
    [
        ("lease-notice", {"termination_date": "2026-11-01"}, "termination_date"),
        ("lease-notice", {"notice_date": "2024-02-01"}, "notice_date"),
        ("power-of-attorney", {"expiry_date": "2026-12-01"}, "expiry_date"),
        ("demand-letter", {"due_date": "2026-12-01"}, "letter_date"),
    ],
)
def test_dates_out_of_order_are_rejected(type_id: str, changes: dict, field: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    _, errors = doc.validate({**doc.example_inputs, **changes})
    assert list(errors) == [field]
    assert errors[field][0].startswith("Must be after the ")


def test_oversized_inputs_are_refused_as_a_whole() -> None:
    doc = DOCUMENT_TYPES["nda"]
    _, errors = doc.validate({**doc.example_inputs, "stuffing": "x" * MAX_INPUTS_CHARS})
    assert list(errors) == [NON_FIELD_ERRORS]
    assert "too large" in errors[NON_FIELD_ERRORS][0]


def test_inputs_that_are_not_an_object_are_refused() -> None:
    _, errors = DOCUMENT_TYPES["nda"].validate(["party_a_name"])  # type: ignore[arg-type]
    assert list(errors) == [NON_FIELD_ERRORS]


# --- Schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_schema_has_the_documented_camel_case_keys(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    schema = doc.as_schema()
    json.dumps(schema)
    assert set(schema) == {"type", "title", "description", "policy", "fields"}
    assert schema["type"] == type_id
    assert [f["name"] for f in schema["fields"]] == [f.name for f in doc.fields]
    base = {"name", "label", "type", "required", "helpText"}
    extra = {
        "string": {"maxLength"},
        "text": {"maxLength"},
        "email": {"maxLength"},
        "date": set(),
        "money": {"minValue"},
        "integer": {"minValue", "maxValue"},
        "choice": {"choices"},
    }
    for field in schema["fields"]:
        assert set(field) == base | extra[field["type"]], field["name"]


def test_field_schema_values() -> None:
    fields = {f["name"]: f for f in DOCUMENT_TYPES["offer-letter"].as_schema()["fields"]}
    assert fields["probation_months"] == {
        "name": "probation_months",
        "label": "Probation (months)",
        "type": "integer",
        "required": False,
        "helpText": "Leave blank for no probationary period.",
        "minValue": 1,
        "maxValue": 12,
    }
    assert fields["currency"]["choices"] == ["GBP", "USD", "EUR"]
    assert fields["salary"]["minValue"] == 0


# --- Text helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_sections_of_reads_the_assembled_text_back(type_id: str) -> None:
    doc = DOCUMENT_TYPES[type_id]
    assembled = doc.assemble(doc.validate(doc.example_inputs)[0])
    assert sections_of(assembled.text) == assembled.sections


@pytest.mark.parametrize("style", ["## {n}. {h}", "**{n}. {h}**", "**{n}.** {h}", "{n}. {h}  "])
def test_sections_of_reads_an_llm_markdown_version(style: str) -> None:
    doc = DOCUMENT_TYPES["nda"]
    assembled = doc.assemble(doc.validate(doc.example_inputs)[0])
    text = assembled.text
    for s in assembled.sections:
        heading = style.format(n=s.number, h=s.heading)
        text = text.replace(f"\n{s.number}. {s.heading}\n", f"\n{heading}\n")
    assert sections_of(text) == assembled.sections


def test_sections_of_skips_subclauses_lists_and_out_of_order_numbers() -> None:
    text = (
        "AGREEMENT\n\n"
        "1. Parties\n1.1 Alpha Ltd.\n\n"
        "2. Obligations\nThe Supplier shall:\n1. deliver the goods on time.\n"
        "2. Keep records\n3. Invoice monthly;\n"
        "3. Term\n"
        "Continues for 2 years.\n"
        "12 months after the end, nothing survives.\n"
        "5. Misnumbered\nbody"
    )
    assert sections_of(text) == [
        Section(1, "Parties", "1.1 Alpha Ltd."),
        Section(
            2,
            "Obligations",
            "The Supplier shall:\n1. deliver the goods on time.\n2. Keep records\n"
            "3. Invoice monthly;",
        ),
        Section(
            3,
            "Term",
            "Continues for 2 years.\n12 months after the end, nothing survives.\n"
            "5. Misnumbered\nbody",
        ),
    ]


def test_sections_of_text_without_sections_is_empty() -> None:
    assert sections_of("Dear Sir,\nThank you.") == []


def test_find_placeholders_spots_every_kind_once_in_order() -> None:
    text = (
        "Between [CLIENT NAME] and <PERSON_1>, dated {{ effective_date }}. "
        "Fee: [●] payable on ____ or TBD; account [IBAN]. [insert address] [...] [ ] "
        "{% if x %} Again [CLIENT NAME] and <PERSON_1>. TBC"
    )
    assert find_placeholders(text) == [
        "[CLIENT NAME]",
        "<PERSON_1>",
        "{{ effective_date }}",
        "[●]",
        "____",
        "TBD",
        "[IBAN]",
        "[insert address]",
        "[...]",
        "[ ]",
        "{% if x %}",
        "TBC",
    ]


def test_find_placeholders_ignores_ordinary_legal_text() -> None:
    text = (
        'The Supplier (the "Supplier") shall, under clause 4(a) [as amended], pay £1,000.00 '
        "to A.B. Smith & Co. within 30 days; see section 2.1 and <https://example.com>."
    )
    assert find_placeholders(text) == []


# --- The drafting prompt --------------------------------------------------------------------


def test_drafting_prompt_has_a_version_and_carries_the_draft() -> None:
    doc = DOCUMENT_TYPES["nda"]
    draft = _draft(doc, dict(doc.example_inputs)).replace("Northwind Analytics Ltd", "<PERSON_1>")
    prompt = render_prompt(
        "draft",
        {"document": doc, "draft": draft, "tone": "formal", "locale": "en-GB", "policy": "nda"},
    )
    assert prompt.version == "2026-11-21.1"
    assert draft in prompt.text
    assert "mutual non-disclosure agreement" in prompt.text
    assert "- Tone: formal." in prompt.text
    assert '"nda" policy' in prompt.text
    assert "<PERSON_1>" in prompt.text


def test_drafting_prompt_leaves_out_options_not_given() -> None:
    doc = DOCUMENT_TYPES["power-of-attorney"]
    prompt = render_prompt(
        "draft",
        {"document": doc, "draft": "1. Appointment", "tone": "", "locale": "", "policy": ""},
    )
    assert "Tone:" not in prompt.text
    assert "locale" not in prompt.text
    assert "policy" not in prompt.text
    assert prompt.text.endswith("<<<\n1. Appointment\n>>>")
