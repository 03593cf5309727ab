from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string

from config.middleware import SyncAndAsyncMiddleware
from config.problems import is_problem, problem_response

logger = logging.getLogger("counsel.errors")


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    Services know nothing of HTTP; the API boundary (`config.api.exception_handler`) and the
    pages turn these into responses using `status_code`, `detail` and `headers`; `problem`
    names the API's problem type (a slug of `config.problems.PROBLEM_TYPES`) where the status
    alone does not say what happened.
    """

    status_code = 400
    default_detail = "The request could not be completed."
    problem: str | None = None

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        super().__init__(self.detail)


# These two are also Django's own exceptions, so a page that lets one propagate answers the
# ordinary 404 or 403 page without translating it.
class NotFound(DomainError, Http404):
    status_code = 404
    default_detail = "Not found."


class PermissionDenied(DomainError, DjangoPermissionDenied):
    status_code = 403
    default_detail = "You do not have permission to perform this action."


# A database that cannot be reached (a restart, a failover, a lost connection) is not a bug of
# the request: it answers 503 with Retry-After, on the API (config.api.exception_handler) and
# on the pages (DatabaseOutageMiddleware), and the client may simply try again.
DATABASE_OUTAGES = (OperationalError, InterfaceError)
DATABASE_DOWN = "The service is briefly unavailable, please try again."
DATABASE_RETRY_AFTER = "5"


class DatabaseOutageMiddleware(SyncAndAsyncMiddleware):
    """Pages whose database cannot be reached answer the "briefly unavailable" page (503)
    instead of the 500 page. Rendered without the request: its user is in the database."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_OUTAGES):
            return None
        logger.error("database unavailable", exc_info=exception, extra={"path": request.path})
        return HttpResponse(
            render_to_string("503.html"), status=503, headers={"Retry-After": DATABASE_RETRY_AFTER}
        )


# The API's words for the statuses Django answers on its own; DRF's where it has them.
_API_ERROR_DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "A server error occurred.",
}


class ApiErrorsAsJsonMiddleware(SyncAndAsyncMiddleware):
    """Under /api/, every error that is not already a problem becomes one
    (`config.problems`), with the same status and headers: Django's own answers (a URL no
    route matches, a method a plain view refuses, a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
    too many fields, a host not in ALLOWED_HOSTS, a CSRF failure, a 500, and the DEBUG pages
    of each). A JSON error with a `detail` keeps its words. A client of the API parses every
    error the same way.

    Near the top of MIDDLEWARE, so that it sees the responses the other middleware give."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.is_async:
            return self.__acall__(request)
        return self._as_problem(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return self._as_problem(request, await self.get_response(request))

    @staticmethod
    def _as_problem(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.streaming
            or is_problem(response)
        ):
            return response
        status = response.status_code
        detail = _detail_of(response) or _API_ERROR_DETAILS.get(status)
        answer = problem_response(status, detail or f"{response.reason_phrase}.")
        for header, value in response.items():  # Allow, Retry-After, CORS, Vary
            if header.lower() not in {"content-type", "content-length"}:
                answer[header] = value
        answer.cookies = response.cookies
        return answer


def _detail_of(response: HttpResponseBase) -> str:
    """The `detail` of a JSON error body ("" for any other body)."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return ""
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else ""
