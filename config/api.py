from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DATABASE_DOWN, DATABASE_OUTAGES, DATABASE_RETRY_AFTER, DomainError

logger = logging.getLogger("counsel.api")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as `{"detail": ...}` with their status and headers,
    and a database that cannot be reached (a restart, a failover) as a 503 to retry."""
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail}, status=exc.status_code, headers=exc.headers)
    if isinstance(exc, DATABASE_OUTAGES):
        logger.error("database unavailable", exc_info=exc)
        return Response(
            {"detail": DATABASE_DOWN}, status=503, headers={"Retry-After": DATABASE_RETRY_AFTER}
        )
    return drf_exception_handler(exc, context)


# A serializer that answers 400 for keys it does not declare, next to any other errors. The
# API rejects unknown fields rather than ignoring them, so that a client's typo ("mesage") or
# an attempt to set a field it may not ("role", "reference") is reported, not silently dropped.
# (A comment, not a docstring: the schema would show a docstring on every request body.)
class StrictSerializer(serializers.Serializer):
    # Output fields a client may read but not send: refused with a clearer message.
    read_only_names: frozenset[str] = frozenset()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):  # else the serializer itself reports a non-object body
            unknown = {
                name: [
                    "This field is read-only." if name in self.read_only_names else "Unknown field."
                ]
                for name in sorted(set(data) - set(self.fields))
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**unknown, **exc.detail}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


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


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The messages of each refused field by its wire name, nested like the request
# (`{"context": {"caseId": [...]}}`); `non_field_errors` for the body as a whole, `detail` for
# a body that is not JSON.
_VALIDATION_ERRORS = OpenApiTypes.OBJECT


# What every error body looks like, so that a schema-driven client (and the fuzz tests) can
# rely on the documented responses being all the responses.
_ERRORS = {
    "400": (_VALIDATION_ERRORS, "The request is invalid: field errors by name."),
    "401": (ErrorSerializer, "No valid credentials (staff: no second factor)."),
    "403": (ErrorSerializer, "The caller may not do this."),
    "404": (ErrorSerializer, "Not found, or not visible to the caller."),
    "409": (ErrorSerializer, "Conflicts with the state of the resource or of another request."),
    "429": (ErrorSerializer, "Too many requests, or a spent AI budget; see Retry-After."),
    "502": (ErrorSerializer, "The AI provider refuses Counsel's requests: an admin must act."),
    "503": (ErrorSerializer, "The AI is busy; retry after the Retry-After seconds."),
}


# The schema's tags, by the path's beginning (the first that matches): one per area of the API.
# Their descriptions are SPECTACULAR_SETTINGS["TAGS"].
_TAGS_BY_PATH = (
    ("/api/auth/", "auth"),
    ("/api/ai/conversations", "conversations"),
    ("/api/ai/generate-document", "drafts"),
    ("/api/ai/document-types", "drafts"),
    ("/api/ai/drafts", "drafts"),
    ("/api/ai/", "ai"),
    ("/api/cases", "cases"),
    ("/api/admin/", "admin"),
)


def _camel(words: Iterable[str]) -> str:
    words = [w for word in words for w in word.replace("_", "-").split("-") if w]
    return "".join([words[0].lower(), *(w[:1].upper() + w[1:] for w in words[1:])])


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
    that fails validation, 401 without valid credentials, 404 for an unknown id or page, and
    429 on throttled views. A view's `@extend_schema(responses=...)` adds the errors that
    only it raises (403, 409, 503) and may override these descriptions."""

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
            return _camel([verb[method], *words])
        if method == "get":
            return _camel(["list" if self._is_list_view() else "get", *words])
        if method == "post" and hasattr(self.view, "get"):  # POST to a list: createCase
            return _camel(["create", words[-1].removesuffix("s")])
        return _camel([words[-1], *words[:-1]])  # an action: chat, login, invalidateCache

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
            and not field.allow_blank
            and schema.get("type") == "string"
        ):
            # A required text may not be blank (DRF refuses "" and spaces alone).
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

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        in_path = {p["name"] for p in parameters if p["in"] == "path"}
        # A page past the end is a 404, like an unknown id; the other parameters are validated.
        validated = {p["name"] for p in parameters if p["in"] != "path"} - {"page"}
        codes = set()
        if "requestBody" in operation or validated:
            codes.add("400")
        if operation.get("security"):
            codes.add("401")
        if in_path or any(p["name"] == "page" for p in parameters):
            codes.add("404")
        if getattr(self.view, "throttle_classes", None):
            codes.add("429")
        responses = operation["responses"]
        for code in sorted(codes | set(responses) & set(_ERRORS)):
            serializer, description = _ERRORS[code]
            documented = responses.get(code, {})
            responses[code] = {
                # Errors are JSON whatever the view renders on success (the chat's stream).
                **self._get_response_for_code(serializer, code, ["application/json"]),
                "description": documented.get("description") or description,
            }
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
        if node.pop("nullable", False) and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for value in node.values():
            _nullable_as_type(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_as_type(value)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, except that an API body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413
    (worded by `config.errors.ApiErrorsAsJsonMiddleware`, like the other /api/ errors)."""
    if isinstance(exception, RequestDataTooBig) and request.path.startswith("/api/"):
        return HttpResponse(status=413)
    return defaults.bad_request(request, exception)


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
