"""The OpenAPI schema drf-spectacular makes of the API: every error a documented problem with
its headers, summaries and tags from the views, request patterns that say what the server
refuses, and the postprocessing hooks (settings' SPECTACULAR_SETTINGS)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from config.api import (
    INVALID_REQUEST,
    EventDataField,
    EventNameField,
    RegistryNameField,
    StrictSerializer,
    camel_case,
)
from config.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES

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


# The schema's tags, by the path's beginning (the first that matches): one per area of the API.
# Their descriptions are SPECTACULAR_SETTINGS["TAGS"].
_TAGS_BY_PATH = (
    ("/api/auth/", "auth"),
    ("/api/me/notifications", "notifications"),
    ("/api/ai/conversations", "conversations"),
    ("/api/ai/generate-document", "drafts"),
    ("/api/ai/document-types", "drafts"),
    ("/api/ai/drafts", "drafts"),
    ("/api/ai/", "ai"),
    ("/api/cases/{case_id}/documents", "documents"),
    ("/api/cases/{case_id}/deadlines", "deadlines"),
    ("/api/deadlines", "deadlines"),
    ("/api/cases", "cases"),
    ("/api/documents", "documents"),
    ("/api/knowledge-base/", "documents"),
    ("/api/admin/", "admin"),
)


def _operation_id(words: Iterable[str]) -> str:
    """Path words and a verb as one camelCase name: ["list", "cases"] -> "listCases"."""
    return camel_case("_".join(words).replace("-", "_"))


def _first_sentence(text: str) -> tuple[str, str]:
    """`text` split after its first sentence: a ".", "!" or "?" before whitespace or the end
    (never inside parentheses or backquotes, as in "(e.g. this)")."""
    depth, quoted = 0, False
    for i, char in enumerate(text):
        if char == "`":
            quoted = not quoted
        elif quoted:
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char in ".!?" and not depth and (i + 1 == len(text) or text[i + 1].isspace()):
            return text[: i + 1], text[i + 1 :].strip()
    return text.strip(), ""


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error responses DRF gives on its own: 400 for input
    that fails validation, 401 without valid credentials, 404 for an unknown id or page, 413
    and 415 for a body too large or not JSON, and 429 on throttled views. A view's
    `@extend_schema(responses=...)` adds the errors that only it raises (403, 409, 503) and
    may override these descriptions. Every error is a problem (`config.problems`)."""

    def get_tags(self) -> list[str]:
        return next(
            ([tag] for prefix, tag in _TAGS_BY_PATH if self.path.startswith(prefix)),
            super().get_tags(),
        )

    def get_summary(self) -> str | None:
        """The first sentence of the view's (or its method's) docstring."""
        summary = _first_sentence(super().get_description() or "")[0]
        return " ".join(summary.split()) or None

    def get_description(self) -> str | None:
        """The docstring after its first sentence (the summary); the whole of a docstring
        that is one sentence, since every operation has a description."""
        docstring = super().get_description() or ""
        return _first_sentence(docstring)[1] or docstring or None

    def get_operation_id(self) -> str:
        """Names that read as calls: `chat`, `generateDocument`, `listCases`, `getCase`,
        `updateCase`, `invalidateCache`: the verb of the method and the path's words after
        its area; an action (POST /api/ai/chat, /api/admin/cache/invalidate) is its own verb."""
        segments = [s for s in self.path.split("/") if s][1:]  # after "api"
        if segments[:1] in (["ai"], ["auth"], ["admin"]):
            segments = segments[1:]
        words = [s for s in segments if not s.startswith("{")]
        if not words:
            return super().get_operation_id()
        method = self.method.lower()
        on_item = bool(segments) and segments[-1].startswith("{")
        if on_item:  # GET /api/cases/{id}: getCase
            words[-1] = words[-1].removesuffix("s")
            verb = {"get": "get", "put": "replace", "patch": "update", "delete": "delete"}
            return _operation_id([verb[method], *words])
        if method == "get":
            return _operation_id(["list" if self._is_list_view() else "get", *words])
        if method == "post" and hasattr(self.view, "get"):  # POST to a list: createCase
            return _operation_id(["create", words[-1].removesuffix("s")])
        return _operation_id([words[-1], *words[:-1]])  # an action: chat, login, invalidateCache

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        if isinstance(field, EventNameField):
            meta = self._get_serializer_field_meta(field, direction)
            return {"type": "string", "const": field.event_name, **meta}
        if isinstance(field, EventDataField):
            meta = self._get_serializer_field_meta(field, direction)
            payload = self.resolve_serializer(field.payload, direction)
            return {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": payload.ref,
                **meta,
            }
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and "default" in schema and not field.required:
            # A default is what the server assumes when the key is left out; generated
            # clients (openapi-typescript) read `default` on a property as "always present",
            # which is true of a response and false of a request. Said in words instead.
            default = json.dumps(schema.pop("default"))
            schema["description"] = " ".join(
                filter(None, [schema.get("description", ""), f"Default: `{default}`."])
            )
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


def postprocess_schema(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Says `security: []` on the operations that need no token (login, refresh, logout), so
    that clients and linters do not read a missing `security` as "the default applies"; and
    writes the `nullable` of schemas that DRF builds itself (the pages of a list) the way
    OpenAPI 3.1 does, as a "null" type."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("security", [])
    _nullable_as_type(result)
    return result


def _nullable_as_type(node: Any) -> None:
    if isinstance(node, dict):
        if node.pop("nullable", False):
            if isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            elif "anyOf" in node:
                node["anyOf"].append({"type": "null"})
            if "enum" in node and None not in node["enum"]:
                node["enum"].append(None)
        for value in node.values():
            _nullable_as_type(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_as_type(value)


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
