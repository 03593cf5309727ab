"""What a document type is: its input fields, how inputs are checked, how a draft is assembled.

A caller sends a document type's inputs as JSON (``{"start_date": "2026-11-21", "salary":
"45000.00"}``); :meth:`DocumentType.validate` checks and converts them, and
:meth:`DocumentType.assemble` renders the type's template into the whole document. The
assembled draft is the offline provider's answer and the starting text the LLM polishes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string

from config.api import is_whole_number
from config.openapi import PYTHON_WHITESPACE
from drafting.doctypes.text import Section, sections_of, tidy

FIELD_TYPES = frozenset({"string", "text", "date", "money", "integer", "email", "choice"})
# Every free-text field is bounded, so the schema always tells a frontend its limit.
DEFAULT_MAX_LENGTH = {"string": 200, "text": 2000, "email": 254}
# The names of consultations' analysis policies a draft can be checked against; "" means no
# contract policy fits the document and only the placeholder and missing-fact checks apply.
POLICY_NAMES = frozenset({"", "nda", "employment", "services-agreement", "lease"})
CURRENCIES = ("GBP", "USD", "EUR")
# "US$" rather than "$", which other dollars share. Amounts written with a symbol are also what
# the consultations policies recognise as money (rent, deposits).
CURRENCY_SYMBOLS = {"GBP": "£", "USD": "US$", "EUR": "€"}
# All inputs of one draft together, measured as compact JSON.
MAX_INPUTS_CHARS = 20_000
# The key of errors that belong to no one field (the DRF convention).
NON_FIELD_ERRORS = "non_field_errors"
REQUIRED = "This field is required."

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,9}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("999999999999.99")


def format_date(value: date) -> str:
    """``21 November 2026``: day-month-year with the month spelt out reads the same to a UK
    and a US reader."""
    return f"{value.day} {value:%B %Y}"


def format_money(amount: Decimal, currency: str) -> str:
    """``£45,000.00``, ``US$45,000.00``, ``€45,000.00``."""
    return f"{CURRENCY_SYMBOLS[currency]}{amount:,.2f}"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    required: bool = True
    help_text: str = ""
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _SNAKE_CASE.fullmatch(self.name):
            raise ValueError(f"field name {self.name!r} is not snake_case")
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name!r}: unknown type {self.type!r}")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"field {self.name!r}: choices go with, and only with, type choice")
        if self.max_length is None and self.type in DEFAULT_MAX_LENGTH:
            object.__setattr__(self, "max_length", DEFAULT_MAX_LENGTH[self.type])
        if self.type == "money" and self.min_value is None:
            object.__setattr__(self, "min_value", 0)

    def as_schema(self) -> dict[str, Any]:
        """The field as the API describes it; limits that do not apply are left out."""
        schema: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "helpText": self.help_text,
        }
        limits = {
            "maxLength": self.max_length,
            "minValue": self.min_value,
            "maxValue": self.max_value,
        }
        schema.update({key: value for key, value in limits.items() if value is not None})
        if self.choices:
            schema["choices"] = list(self.choices)
        return schema

    @property
    def checked_beyond_schema(self) -> bool:
        """Whether `clean` refuses values `json_schema` takes: an e-mail address, whose
        schema format checks little beside its "@"."""
        return self.type == "email"

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the field's value as a JSON body sends it (`json_problem` holds
        a value to it; `clean` then does the rest). An optional field may be null."""
        schema: dict[str, Any] = dict(_JSON_SCHEMAS[self.type])
        if self.type == "integer":
            limits = {"minimum": self.min_value, "maximum": self.max_value}
            schema.update({key: value for key, value in limits.items() if value is not None})
        elif self.choices:
            schema["enum"] = list(self.choices)
        elif self.max_length is not None:
            schema["maxLength"] = self.max_length
            if self.required:
                schema["minLength"] = 1
        if self.type in _JSON_EXACT:
            exact = _NOT_BLANK.get(self.type) if self.required else None
            schema["pattern"] = f"^{exact or _JSON_EXACT[self.type]}$"
        elif not self.required and self.type in {"email", "choice"}:
            # Left blank, an optional field is left out, whatever its form.
            schema = {"anyOf": [schema, {"type": "string", "pattern": _BLANK}]}
        schema["title"] = self.label
        if self.help_text:
            schema["description"] = self.help_text
        if not self.required:
            schema["nullable"] = True
        return schema

    def json_problem(self, value: Any) -> str:
        """Why `value`, as parsed from JSON, is not of the field's JSON type ("" if it is):
        a JSON body sends whole numbers as numbers, amounts and dates as exact strings
        ("1250.00", "2026-11-21") and everything else as text. Pages and CSV files, which
        send text only, skip this."""
        if value is None and not self.required:
            return ""
        if self.type == "integer":
            return "" if is_whole_number(value) else _NOT_WHOLE
        if not isinstance(value, str):
            return "Enter text." if self.type in {"string", "text"} else _JSON_PROBLEMS[self.type]
        exact = _JSON_EXACT_RE.get(self.type)
        if exact is not None and not exact.match(value):
            return _JSON_PROBLEMS[self.type]
        if self.max_length is not None and len(value) > self.max_length:
            # Before the cleaners trim it, as the schema's maxLength counts.
            return f"Ensure this field has no more than {self.max_length} characters."
        return ""

    def clean(self, value: Any) -> Any:
        """The value converted to its Python type; ValidationError says what is wrong.
        ``value`` is not blank: blanks are the caller's business (required or omitted)."""
        return _CLEANERS[self.type](self, value)


def _clean_line(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("Enter text.")
    value = value.strip()
    if "\n" in value or "\r" in value:
        raise ValidationError("Enter a single line.")
    return _bounded_text(field, value)


def _clean_text(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("Enter text.")
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    # One blank line at most between paragraphs, as in the assembled document around it.
    return _bounded_text(field, re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


def _bounded_text(field: Field, value: str) -> str:
    if _CONTROL.search(value):
        raise ValidationError("Remove the control characters.")
    if field.max_length is not None and len(value) > field.max_length:
        raise ValidationError(f"Ensure this field has no more than {field.max_length} characters.")
    return value


def _clean_date(field: Field, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(_INVALID_DATE)


def _clean_money(field: Field, value: Any) -> Decimal:
    invalid = ValidationError("Enter an amount such as 1250.00.")
    if isinstance(value, bool):
        raise invalid
    if isinstance(value, str):
        if not _AMOUNT.fullmatch(value.strip()):
            raise invalid
        value = value.strip()
    elif isinstance(value, float):
        # repr, not the binary value: 1250.1 is 1250.1, not 1250.0999999999999
        value = repr(value)
    elif not isinstance(value, int | Decimal):
        raise invalid
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise invalid from None
    if not amount.is_finite():
        raise invalid
    if amount < (field.min_value or 0):
        raise ValidationError(f"Enter an amount of {field.min_value or 0} or more.")
    if amount != amount.quantize(_CENT):
        raise ValidationError("Enter no more than 2 decimal places.")
    ceiling = _MAX_AMOUNT if field.max_value is None else Decimal(field.max_value)
    if amount > ceiling:
        raise ValidationError(f"Enter an amount of {ceiling:,} or less.")
    return amount.quantize(_CENT)


def _clean_integer(field: Field, value: Any) -> int:
    written = isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip())
    if written or (isinstance(value, float) and value.is_integer()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_NOT_WHOLE)
    if field.min_value is not None and value < field.min_value:
        raise ValidationError(f"Ensure this value is greater than or equal to {field.min_value}.")
    if field.max_value is not None and value > field.max_value:
        raise ValidationError(f"Ensure this value is less than or equal to {field.max_value}.")
    return value


def _clean_email(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("Enter a valid email address.")
    value = _bounded_text(field, value.strip())
    validate_email(value)
    return value


def _clean_choice(field: Field, value: Any) -> str:
    if not isinstance(value, str) or value not in field.choices:
        raise ValidationError(f"Select one of: {', '.join(field.choices)}.")
    return value


_NOT_WHOLE = "Enter a whole number."
_INVALID_AMOUNT = 'Enter an amount such as "1250.00": a string, at most two decimals.'
_INVALID_DATE = "Enter a valid date in the form YYYY-MM-DD."
# JSON's exact forms (the cleaners, for pages and files, also forgive spaces, line ends and
# control characters around a value, a sign, leading or trailing zeros). Each is written as
# both Python and ECMA-262 read it, and a backtracking engine matches each character one way.
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_JSON_EXACT = {
    "string": f"[^\\r\\n{_CONTROLS}]*",
    "text": f"[^{_CONTROLS}]*",
    "money": r"(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,2})?",
    "date": _ISO_DATE.pattern,
}
# Read as a JSON Schema validator in Python reads the schema's pattern: its "$" also takes
# one line end before the end, which the cleaners trim anyway (an ECMA-262 client is stricter).
_JSON_EXACT_RE = {kind: re.compile(f"^{pattern}$") for kind, pattern in _JSON_EXACT.items()}
# A required text with something besides spaces: the spaces its form allows, one character
# that is neither a space nor refused, then anything it allows.
_SPACES = r"\t \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_BLANK = {
    "string": f"[{_SPACES}]*[^{PYTHON_WHITESPACE}{_CONTROLS}]{_JSON_EXACT['string']}",
    "text": f"[{_SPACES}\\r\\n]*[^{PYTHON_WHITESPACE}{_CONTROLS}]{_JSON_EXACT['text']}",
}
_BLANK = f"^[{PYTHON_WHITESPACE}]*$"
_JSON_PROBLEMS = {
    "string": "Enter a single line, without control characters.",
    "text": "Remove the control characters.",
    "money": _INVALID_AMOUNT,
    "date": _INVALID_DATE,
    "email": "Enter a valid email address.",
    "choice": "Select one of the choices.",
}
_JSON_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "money": {"type": "string"},
    "integer": {"type": "integer"},
    "email": {"type": "string", "format": "email"},
    "choice": {"type": "string"},
}

_CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "string": _clean_line,
    "text": _clean_text,
    "date": _clean_date,
    "money": _clean_money,
    "integer": _clean_integer,
    "email": _clean_email,
    "choice": _clean_choice,
}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _size(inputs: Mapping[str, Any]) -> int:
    try:
        return len(json.dumps(dict(inputs), default=str, ensure_ascii=False))
    except (TypeError, ValueError):
        # Keys JSON cannot hold: no caller sending JSON can produce them.
        return MAX_INPUTS_CHARS + 1


@dataclass(frozen=True)
class Assembled:
    text: str
    sections: list[Section]


@dataclass(frozen=True)
class DocumentType:
    id: str
    title: str
    description: str
    fields: tuple[Field, ...]
    template: str
    policy: str
    # Realistic inputs, as a caller would send them: the demo, the docs and the tests use them.
    example_inputs: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    # (earlier, later) pairs of date fields: the later date must fall after the earlier one.
    date_order: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "example_inputs", MappingProxyType(dict(self.example_inputs)))
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: two fields share a name")
        if self.policy not in POLICY_NAMES:
            raise ValueError(f"{self.id}: unknown policy {self.policy!r}")
        by_name = self.fields_by_name
        if any(f.type == "money" for f in self.fields) and "currency" not in by_name:
            raise ValueError(f"{self.id}: money needs a currency field")
        for pair in self.date_order:
            if any(name not in by_name or by_name[name].type != "date" for name in pair):
                raise ValueError(f"{self.id}: date_order {pair} names no date field")

    @property
    def fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def as_schema(self) -> dict[str, Any]:
        return {
            "type": self.id,
            "title": self.title,
            "description": self.description,
            "policy": self.policy,
            "fields": [f.as_schema() for f in self.fields],
        }

    def validate(self, inputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """(cleaned, errors). ``cleaned`` has every field of the type, None for an optional
        field left blank; it is only fit for :meth:`assemble` when ``errors`` is empty.
        ``errors`` maps a field name (or ``non_field_errors``) to messages; keys that are no
        field of this type are errors too."""
        cleaned, errors = self.validate_fields(inputs)
        for name, messages in self.rule_errors(cleaned).items():
            errors.setdefault(name, []).extend(messages)
        return cleaned, errors

    def validate_fields(
        self, inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """`validate` without the rules between fields (`rule_errors`)."""
        if not isinstance(inputs, Mapping):
            return {}, {NON_FIELD_ERRORS: ["Expected an object of field values."]}
        if _size(inputs) > MAX_INPUTS_CHARS:
            message = f"The inputs are too large: at most {MAX_INPUTS_CHARS} characters in all."
            return {}, {NON_FIELD_ERRORS: [message]}
        by_name = self.fields_by_name
        errors: dict[str, list[str]] = {
            str(key): ["Unknown field."] for key in inputs if key not in by_name
        }
        cleaned: dict[str, Any] = {}
        for f in self.fields:
            value = inputs.get(f.name)
            if _is_blank(value):
                if f.required:
                    errors[f.name] = [REQUIRED]
                else:
                    cleaned[f.name] = None
                continue
            try:
                cleaned[f.name] = f.clean(value)
            except ValidationError as error:
                errors[f.name] = error.messages
        return cleaned, errors

    def rule_errors(self, cleaned: Mapping[str, Any]) -> dict[str, list[str]]:
        """The rules between fields that `validate_fields` cleaned: a later date after the
        earlier one."""
        errors: dict[str, list[str]] = {}
        for earlier, later in self.date_order:
            first, second = cleaned.get(earlier), cleaned.get(later)
            if first is not None and second is not None and second <= first:
                message = f"Must be after the {self.fields_by_name[earlier].label.lower()}."
                errors.setdefault(later, []).append(message)
        return errors

    def context(self, cleaned: Mapping[str, Any]) -> dict[str, Any]:
        """Template context: each field as it reads in the document (dates and money
        formatted, integers kept as numbers for ``pluralize``, a blank optional field "")."""
        context: dict[str, Any] = {}
        for f in self.fields:
            value = cleaned.get(f.name)
            if value is None:
                context[f.name] = ""
            elif f.type == "date":
                context[f.name] = format_date(value)
            elif f.type == "money":
                context[f.name] = format_money(value, cleaned["currency"])
            else:
                context[f.name] = value
        return context

    def assemble(self, cleaned: Mapping[str, Any]) -> Assembled:
        """The whole document from inputs that :meth:`validate` cleaned without errors."""
        text = tidy(render_to_string(self.template, self.context(cleaned)))
        return Assembled(text=text, sections=sections_of(text))
