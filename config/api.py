from __future__ import annotations

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


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error responses DRF gives on its own: 400 for input
    that fails validation, 401 without valid credentials, 404 for an unknown id or page, and
    429 on throttled views. A view's `@extend_schema(responses=...)` adds the errors that
    only it raises (403, 409, 503) and may override these descriptions."""

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
