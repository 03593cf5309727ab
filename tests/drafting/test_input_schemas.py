"""Each document type's inputs: what the schema says a JSON body may send is what the server
takes, in both directions, for every field of every type."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafting.doctypes import DOCUMENT_TYPES, Field

FIELDS = [
    pytest.param(field, id=f"{doc.id}.{field.name}")
    for doc in DOCUMENT_TYPES.values()
    for field in doc.fields
]
# Characters where the forms disagree most easily: spaces of every kind, line ends, controls,
# NUL, digits and the punctuation of amounts and dates, and ordinary letters.
_TRICKY = "\x00\x01\x08\t\n\x0b\x0c\r\x1c\x1f \x7f\x85\xa0\u2028\u3000\ufeff-.,+0129aZé@"
VALUES = st.one_of(
    st.text(alphabet=_TRICKY, max_size=12),
    st.text(max_size=12),
    st.integers(min_value=-3, max_value=100),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["2026-11-21", "2026-02-30", " 2026-11-21", "1250.00", "1250.5", "01"]),
)


def _server_takes(field: Field, value: Any) -> bool:
    """What the API does with `value` for `field`: its JSON type, then the type's checks."""
    if field.json_problem(value):
        return False
    if value is None or (isinstance(value, str) and not value.strip()):
        return not field.required
    try:
        field.clean(value)
    except ValidationError:
        return False
    return True


def _schema_takes(field: Field, value: Any) -> bool:
    schema = field.json_schema()
    if schema.pop("nullable", False) and value is None:
        return True
    checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return checker.is_valid(value)


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_the_schema_and_the_server_agree_on_every_value(field: Field, value: Any) -> None:
    if field.type == "email" and isinstance(value, str) and "@" in value:
        # JSON Schema's `email` format checks little; the server checks the address.
        return
    assert _schema_takes(field, value) == _server_takes(field, value), repr(value)


@pytest.mark.parametrize("field", FIELDS)
def test_each_example_input_is_taken_by_both(field: Field) -> None:
    doc = next(doc for doc in DOCUMENT_TYPES.values() if field in doc.fields)
    value = doc.example_inputs.get(field.name)

    assert _schema_takes(field, value)
    assert _server_takes(field, value)
