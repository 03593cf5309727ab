"""The API's boundary, shared by every app's APIs: serializers that take values as the schema
types them, the fields of registries and event streams, wire names (`camel_case`), and every
error a view raises answered as a problem (`exception_handler`, `bad_request`). The schema
made of all this is config.openapi's."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.utils import html
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DATABASE_DOWN, DATABASE_OUTAGES, DATABASE_RETRY_AFTER, DomainError
from config.problems import (
    field_errors,
    problem_response,
)

logger = logging.getLogger("counsel.api")

INVALID_REQUEST = "The request has invalid fields; see errors."
BODY_TOO_LARGE = "The request body is too large."
TOO_MANY_FIELDS = "The request has too many fields or query parameters."


class RuleBroken(exceptions.ValidationError):
    """Field errors of a request the schema takes but a rule it cannot express refuses (one
    date after another, an e-mail address that cannot receive mail, the bounds of free-form
    context): 422, so that a request a schema-driven client lets through is never a 400."""

    status_code = 422


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """Every error a DRF view raises as a problem (`config.problems`): validation errors with
    their field errors, domain errors with their status, problem type and headers, DRF's
    own (401, 403, 404, 405, 406, 415, 429) with theirs, and a database that cannot be reached
    (a restart, a failover) as a 503 to retry. None for a bug: Django's 500, which
    `config.errors.ApiErrorsAsJsonMiddleware` words as a problem too."""
    if isinstance(exc, DomainError):
        return problem_response(
            exc.status_code, exc.detail, problem=exc.problem, headers=exc.headers
        )
    if isinstance(exc, DATABASE_OUTAGES):
        logger.error("database unavailable", exc_info=exc)
        return problem_response(503, DATABASE_DOWN, headers={"Retry-After": DATABASE_RETRY_AFTER})
    # Django's request limits, met while DRF reads the body or the query.
    if isinstance(exc, RequestDataTooBig):
        return problem_response(413, BODY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return problem_response(400, TOO_MANY_FIELDS)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    # WWW-Authenticate on a 401, Retry-After on a throttled request.
    headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            response.status_code,
            INVALID_REQUEST,
            problem="validation" if response.status_code == 400 else "rule-broken",
            errors=field_errors(exc.detail),
            headers=headers,
        )
    data = response.data
    # simplejwt's 401 carries `code` and `messages` beside `detail`: only `detail` is kept.
    detail = data.get("detail") if isinstance(data, dict) else None
    return problem_response(
        response.status_code,
        detail or str(getattr(exc, "default_detail", "")) or "The request failed.",
        problem="rate-limited" if isinstance(exc, exceptions.Throttled) else None,
        headers=headers,
    )


_REPEATED = "Give this parameter once."
_NOT_EMPTY = "This parameter may not be empty."


def query_value_errors(fields: Mapping[str, serializers.Field], data: Any) -> dict[str, list[str]]:
    """What REST framework lets pass in a query string (or a form) although the schema
    refuses it: a parameter given twice (it would read the last), an empty value for a
    parameter that cannot be blank (it would read "no value"), and an integer written
    otherwise than in digits ("5.0", " 5")."""
    errors: dict[str, list[str]] = {}
    for name, field in fields.items():
        values = data.getlist(name)
        if not values or field.read_only:
            continue
        value = values[0]
        if len(values) > 1:
            errors[name] = [_REPEATED]
        elif value == "" and not getattr(field, "allow_blank", False):
            errors[name] = [_NOT_EMPTY]
        elif isinstance(field, serializers.IntegerField) and not _is_integer(value):
            errors[name] = [str(field.error_messages["invalid"])]
    return errors


def _is_integer(text: str) -> bool:
    digits = text[1:] if text.startswith("-") else text
    return digits.isascii() and digits.isdigit()


# The JSON type each kind of field takes: REST framework would also take 5 for "5" in a text,
# "5" for 5 in an integer, "yes" for true; the schema says string, integer, boolean.
_JSON_TYPES: tuple[tuple[type[serializers.Field], type | tuple[type, ...]], ...] = (
    (serializers.CharField, str),
    (serializers.IntegerField, int),
    (serializers.BooleanField, bool),
)


def json_type_errors(fields: Mapping[str, serializers.Field], data: Mapping) -> dict[str, list]:
    """The fields of a JSON body whose value is not of the JSON type its schema says, or is a
    text longer than its schema's maxLength."""
    errors = {}
    for name, field in fields.items():
        if name not in data or field.read_only or data[name] is None:
            continue  # `null` is the field's allow_null to judge
        value = data[name]
        if isinstance(field, serializers.IntegerField) and is_whole_number(value):
            continue  # 2.0 is an integer to JSON Schema (OpenAPI 3.1), and to REST framework
        for field_class, json_type in _JSON_TYPES:
            if isinstance(field, field_class):
                # True is an int to Python, never an integer to JSON.
                if not isinstance(value, json_type) or (
                    json_type is int and isinstance(value, bool)
                ):
                    errors[name] = [str(field.error_messages["invalid"])]
                break
        if name not in errors and _longer_than_schema(field, value):
            errors[name] = [field.error_messages["max_length"].format(max_length=field.max_length)]
    return errors


def _longer_than_schema(field: serializers.Field, value: Any) -> bool:
    """A text longer than its schema's maxLength as sent: REST framework measures it after
    trimming its spaces, so a title of 200 characters after a leading space would pass."""
    return (
        isinstance(field, serializers.CharField)
        and field.max_length is not None
        and isinstance(value, str)
        and len(value) > field.max_length
    )


def is_whole_number(value: Any) -> bool:
    """A whole number as JSON has it: 2 and 2.0 alike (JSON Schema's "integer"), never
    true or false (ints to Python)."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


# A serializer that takes values as the schema types them: a text is a JSON string, an integer
# a JSON number, a boolean true or false (`json_type_errors`); in a query string or a form,
# each field once, not empty unless it may be blank (`query_value_errors`). Keys it does not
# declare are left alone: others' query parameters (`page`), a context's extra keys.
# (A comment, not a docstring: the schema would show a docstring on every request body.)
class TypedSerializer(serializers.Serializer):
    def refused(self, data: Mapping) -> dict[str, list[str]]:
        """Messages by field for what REST framework would take although the schema does not."""
        if html.is_html_input(data):
            return query_value_errors(self.fields, data)
        return json_type_errors(self.fields, data)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Not a mapping: the serializer itself reports a body that is not an object.
        refused = self.refused(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if refused and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **refused}) from exc
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


# A typed serializer that also answers 400 for keys it does not declare. The API rejects
# unknown fields rather than ignoring them, so that a client's typo ("mesage") or an attempt
# to set a field it may not ("role", "reference") is reported, not silently dropped.
class StrictSerializer(TypedSerializer):
    # Output fields a client may read but not send: refused with a clearer message.
    read_only_names: frozenset[str] = frozenset()

    def refused(self, data: Mapping) -> dict[str, list[str]]:
        unknown = {
            name: ["This field is read-only." if name in self.read_only_names else "Unknown field."]
            for name in sorted(set(data) - set(self.fields))
        }
        return unknown | super().refused(data)


class RegistryNameField(serializers.CharField):
    """The name of an entry of a registry (a policy, a document type): the schema lists the
    registry's names; the serializer's `validate_<field>` looks the name up, and may forgive
    its case or spelling."""

    def __init__(self, *, names: Iterable[str], **kwargs: Any) -> None:
        self.names = list(names)
        kwargs.setdefault("max_length", max(map(len, self.names)))
        super().__init__(**kwargs)


class EventNameField(serializers.CharField):
    """The name of a server-sent event (`event:`; "message" when the event has none), for the
    schema of an event stream: always `name`."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.event_name = name
        super().__init__(**kwargs)


class EventDataField(serializers.CharField):
    """The `data:` of a server-sent event: text that is the JSON of `payload`, a serializer.
    The schema says so with JSON Schema's contentMediaType and contentSchema, so that a
    schema-driven client or fuzzer can read and check each event's data."""

    def __init__(self, payload: type[serializers.Serializer], **kwargs: Any) -> None:
        self.payload = payload
        super().__init__(**kwargs)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page; under /api/ a problem, a 413 for a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE (with DEBUG on, Django shows its own page instead, which
    `config.errors.ApiErrorsAsJsonMiddleware` words as a 400 problem)."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return problem_response(413, BODY_TOO_LARGE)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return problem_response(400, TOO_MANY_FIELDS)
    return problem_response(400, "Bad request.")


def camel_case(name: str) -> str:
    """A Python name as the wire spells it: `party_a_name` -> `partyAName`."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)
