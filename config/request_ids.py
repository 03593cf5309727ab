"""The id that ties a request's log lines, its Consultation row and its response together."""

from __future__ import annotations

import re
import uuid

from django.http import HttpRequest
from rest_framework.request import Request

# A caller's X-Request-ID is kept only when it cannot smuggle anything into logs or headers.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id_for(request: HttpRequest | Request) -> str:
    """The caller's X-Request-ID when it is sane, else a fresh one, to tie logs to the row.

    Shared by the API, the staff pages and the rate limits, which pass a plain Django request
    or DRF's."""
    given = request.headers.get("X-Request-ID", "")
    return given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
