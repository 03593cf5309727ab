from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as `{"detail": ...}` with their status and headers."""
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail}, status=exc.status_code, headers=exc.headers)
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
