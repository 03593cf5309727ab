from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import exceptions, serializers
from rest_framework.utils import html
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DATABASE_DOWN, DATABASE_OUTAGES, DATABASE_RETRY_AFTER, DomainError
from config.problems import (
    PROBLEM_CONTENT_TYPE,
    PROBLEM_TYPES,
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
    """The fields of a JSON body whose value is not of the JSON type its schema says."""
    errors = {}
    for name, field in fields.items():
        if name not in data or field.read_only or data[name] is None:
            continue  # `null` is the field's allow_null to judge
        value = data[name]
        for field_class, json_type in _JSON_TYPES:
            if isinstance(field, field_class):
                # True is an int to Python, never an integer to JSON.
                if not isinstance(value, json_type) or (
                    json_type is int and isinstance(value, bool)
                ):
                    errors[name] = [str(field.error_messages["invalid"])]
                break
    return errors


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


# Python's whitespace (str.isspace, what REST framework's trimming strips), written out for
# the schema's patterns; tests/config/test_problems.py checks it against Python's.
PYTHON_WHITESPACE = (
    "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
    "\\u205f\\u3000"
)
# What REST framework's text fields refuse besides their lengths, as ECMA-262 patterns that
# run in linear time even on a backtracking engine: NUL anywhere, and (where the field trims
# and may not be blank) spaces alone. Leading spaces, one character that is neither a space
# nor NUL, then anything but NUL: each character can be matched one way only.
NO_NUL_PATTERN = "^[^\\u0000]*$"
NOT_BLANK_PATTERN = f"^[{PYTHON_WHITESPACE}]*[^{PYTHON_WHITESPACE}\\u0000][^\\u0000]*$"

_FIELD_ERRORS = {
    "type": "object",
    "description": (
        "The messages of each refused field by its wire name, nested like the request "
        '(`{"context": {"caseId": ["..."]}}`; the items of a list by their index); '
        "`non_field_errors` for the body as a whole."
    ),
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
    "example": {"message": ["This field is required."], "context": {"caseId": ["Unknown."]}},
}
_PROBLEM_TYPES_LIST = ", ".join(f"`{kind.uri}` ({kind.status})" for kind in PROBLEM_TYPES.values())
_PROBLEM = {
    "type": "object",
    "description": (
        "An error, as RFC 9457 problem details (`application/problem+json`). Branch on "
        "`status` and `type`; show `detail` to the user."
    ),
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": (
                '"about:blank" when the status says it all, else one of '
                f"{_PROBLEM_TYPES_LIST}: relative to the API's origin, where GET describes it."
            ),
            "example": "about:blank",
        },
        "title": {
            "type": "string",
            "description": "Short, the same for every problem of this type and status.",
            "example": "Not Found",
        },
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "example": 404},
        "detail": {
            "type": "string",
            "description": "What went wrong, as a sentence for the user.",
            "example": "Not found.",
        },
    },
    "required": ["type", "title", "status", "detail"],
}
_VALIDATION_PROBLEM = {
    **_PROBLEM,
    "description": (
        "A problem whose `errors` (type `/api/problems/validation`) say which fields were "
        "refused; without `errors` the body as a whole was refused (not JSON, nested too "
        "deep, too many fields)."
    ),
    "properties": {
        **_PROBLEM["properties"],
        "errors": {"$ref": "#/components/schemas/FieldErrors"},
    },
    "example": {
        "type": "/api/problems/validation",
        "title": "Invalid request",
        "status": 400,
        "detail": INVALID_REQUEST,
        "errors": {"message": ["This field is required."]},
    },
}
_RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 0},
    "description": "Seconds to wait before trying again.",
}

# What every error body looks like, so that a schema-driven client (and the fuzz tests) can
# rely on the documented responses being all the responses.
_ERRORS = {
    "400": "The request is invalid: see `errors`.",
    "401": "No valid credentials (staff: no second factor).",
    "403": "The caller may not do this.",
    "404": "Not found, or not visible to the caller.",
    "409": "Conflicts with the state of the resource or of another request.",
    "413": "The body is larger than the server takes (2.5 MB).",
    "415": "The body is not JSON (Content-Type).",
    "422": "The request matches the schema but breaks a rule it cannot express: see `errors`.",
    "429": "Too many requests, or a spent AI budget; see Retry-After.",
    "502": "The AI provider refuses Counsel's requests: an admin must act.",
    "503": "Briefly unavailable; retry after the Retry-After seconds.",
}
# Response headers of the errors: Retry-After always on a 503, on a 429 unless waiting cannot
# help (a spent budget).
_ERROR_HEADERS = {
    "429": {
        "Retry-After": {
            **_RETRY_AFTER,
            "description": _RETRY_AFTER["description"]
            + (" Absent when the monthly AI budget is spent."),
        }
    },
    "503": {"Retry-After": {**_RETRY_AFTER, "required": True}},
}
# Sent on the answers of the operations that take an Idempotency-Key.
_IDEMPOTENT_HEADERS = {
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present when this is the stored answer of an earlier request with the "
        "same Idempotency-Key and body.",
    },
    "X-Request-ID": {
        "schema": {"type": "string"},
        "description": "The id of this exchange in the logs and the audit: the request's own "
        "X-Request-ID when it is 8-64 letters, digits or ._:-, else a new one.",
        "required": True,
    },
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error responses DRF gives on its own: 400 for input
    that fails validation, 401 without valid credentials, 404 for an unknown id or page, 413
    and 415 for a body too large or not JSON, and 429 on throttled views. A view's
    `@extend_schema(responses=...)` adds the errors that only it raises (403, 409, 503) and
    may override these descriptions. Every error is a problem (`config.problems`)."""

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, RegistryNameField):
            names = [*field.names, *([""] if field.allow_blank else [])]
            return {**schema, "enum": names}
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"enum", "pattern", "format"} & set(schema)
            # A field's own pattern (a RegexField) says more, and refuses NUL already.
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            if field.allow_blank:
                # drf-spectacular offers "" as a second choice (`oneOf`), so this one
                # must not match "" too.
                schema["pattern"] = NO_NUL_PATTERN.replace("*", "+")
            elif not field.trim_whitespace:
                schema["pattern"] = NO_NUL_PATTERN
            else:
                # DRF refuses "" and spaces alone in a text that may not be blank.
                schema["pattern"] = NOT_BLANK_PATTERN
            if not field.allow_blank:
                schema.setdefault("minLength", 1)
        return schema

    def _map_serializer(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, StrictSerializer):
            # Undeclared keys are refused (400), not ignored.
            schema["additionalProperties"] = False
        elif extra_keys := getattr(serializer, "extra_keys", ""):
            # Undeclared keys are the caller's own, as `extra_keys` says.
            schema["additionalProperties"] = True
            schema["description"] = " ".join(filter(None, [schema.get("description"), extra_keys]))
        return schema

    def _problem_ref(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        if "requestBody" in operation and isinstance(
            self.get_request_serializer(), PolymorphicProxySerializer
        ):
            # One of several shapes (generate-document's, per document type), each with
            # required fields: an empty body is none of them.
            operation["requestBody"]["required"] = True
        parameters = operation.get("parameters", [])
        in_path = {p["name"] for p in parameters if p["in"] == "path"}
        validated = {p["name"] for p in parameters if p["in"] != "path"}
        codes = set()
        if "requestBody" in operation:
            codes |= {"400", "413", "415"}
        if validated:
            codes.add("400")
        if operation.get("security"):
            codes.add("401")
        # A page past the end is a 404, like an unknown id.
        if in_path or "page" in validated:
            codes.add("404")
        if getattr(self.view, "throttle_classes", None):
            codes.add("429")
        responses = operation["responses"]
        self._problem_ref("FieldErrors", _FIELD_ERRORS)
        problem = self._problem_ref("Problem", _PROBLEM)
        validation_problem = self._problem_ref("ValidationProblem", _VALIDATION_PROBLEM)
        documented_errors = {code for code in responses if code >= "400"}
        for code in sorted(codes | documented_errors):
            documented = responses.get(code, {})
            answer = {
                "description": documented.get("description") or _ERRORS.get(code, "An error."),
                # A problem whatever the view renders on success (the chat's stream).
                "content": {
                    PROBLEM_CONTENT_TYPE: {
                        "schema": validation_problem if code in {"400", "422"} else problem
                    }
                },
            }
            headers = {**documented.get("headers", {}), **_ERROR_HEADERS.get(code, {})}
            if headers:
                answer["headers"] = headers
            responses[code] = answer
        if any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters):
            for code in ("200", "202"):
                if code in responses:
                    headers = responses[code].setdefault("headers", {})
                    headers.update(_IDEMPOTENT_HEADERS)
        operation["responses"] = dict(sorted(responses.items()))
        return operation


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


def camel_case_path_parameters(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular's postprocessing hook: path parameters by their wire names, as the
    bodies spell names (`/api/cases/{caseId}`), while the URL patterns and views keep
    Python's (`case_id`)."""
    paths = {}
    for template, operations in result["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["name"] = camel_case(parameter["name"])
        paths[_PATH_PARAMETER.sub(lambda m: "{" + camel_case(m[1]) + "}", template)] = operations
    result["paths"] = paths
    return result


# The schema's own path templates, never a request's.
_PATH_PARAMETER = re.compile(r"\{([a-z0-9_]+)\}")
