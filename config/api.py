from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as `{"detail": ...}` with their status and headers."""
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail}, status=exc.status_code, headers=exc.headers)
    return drf_exception_handler(exc, context)
