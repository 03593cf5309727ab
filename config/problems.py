"""Problem details (RFC 9457): the one shape of every 4xx and 5xx the API answers.

`{"type", "title", "status", "detail"}` as `application/problem+json`, plus `errors` when
fields were refused. Every source of an error under /api/ answers through `problem_response`:
DRF's exception handler (config.api), Django's own answers (config.errors), the login guard,
the request-size limits (config.serving).

`type` is "about:blank" when the status says it all (RFC 9457 §4.2.1; `title` is then the
status's phrase), else `/api/problems/<slug>`: a reference relative to the API's own origin,
so it needs no host name in the code, and `problem_type_page` serves what it means there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/problems/"
BLANK = "about:blank"
NON_FIELD_ERRORS = "non_field_errors"  # REST framework's NON_FIELD_ERRORS_KEY, the default
# Seconds a 503 asks the client to wait when its source named none: every 503 says when.
DEFAULT_RETRY_AFTER = "5"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        return TYPE_PREFIX + self.slug


PROBLEM_TYPES = {
    kind.slug: kind
    for kind in (
        ProblemType(
            "validation",
            "Invalid request",
            400,
            "The body, a query parameter or a header was refused. `errors` holds the messages "
            "of each refused field by its wire name, nested like the request "
            '(`{"context": {"caseId": ["..."]}}`); `non_field_errors` concerns the body as a '
            "whole. Fix the fields and send again.",
        ),
        ProblemType(
            "rule-broken",
            "Request breaks a rule",
            422,
            "The request matches the schema but breaks a rule the schema cannot express: a "
            "date that must follow another, an address that cannot receive mail, context "
            "from the app that is too large. `errors` names the fields, as for `validation`.",
        ),
        ProblemType(
            "rate-limited",
            "Too many requests",
            429,
            "Too many requests from this user, account or address in a short time (AI requests, "
            "password reset links). Retry after the Retry-After seconds.",
        ),
        ProblemType(
            "ai-budget-spent",
            "AI budget spent",
            429,
            "The user's or the firm's monthly AI budget is spent. Retrying will not help before "
            "an admin raises the budget or the month ends; no Retry-After is sent.",
        ),
        ProblemType(
            "login-locked",
            "Login locked",
            429,
            "Too many failed logins for this username from this address. Retry after the "
            "Retry-After seconds.",
        ),
        ProblemType(
            "ai-unavailable",
            "AI unavailable",
            503,
            "The AI provider did not answer usefully in time (busy, down, a timeout, an unusable "
            "answer). The failure is recorded; retry after the Retry-After seconds.",
        ),
        ProblemType(
            "ai-misconfigured",
            "AI misconfigured",
            502,
            "The AI provider refuses Counsel's requests (its key, its model). Retrying will not "
            "help until an admin fixes the settings; the admins have been alerted.",
        ),
        ProblemType(
            "idempotency-key-reused",
            "Idempotency-Key reused",
            409,
            "This Idempotency-Key was already used with a different request body. Use a new key "
            "for a new request.",
        ),
        ProblemType(
            "idempotency-key-in-progress",
            "Request in progress",
            409,
            "A request with this Idempotency-Key is still being processed. Retry in a moment to "
            "get its stored answer.",
        ),
    )
}


def problem_body(
    status: int,
    detail: str,
    *,
    problem: str | None = None,
    errors: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The document for `status`; `problem` is a slug of PROBLEM_TYPES (None: about:blank)."""
    if problem is None:
        type_uri, title = BLANK, HTTPStatus(status).phrase
    else:
        problem_type = PROBLEM_TYPES[problem]
        type_uri, title = problem_type.uri, problem_type.title
    body: dict[str, Any] = {"type": type_uri, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    problem: str | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A plain Django response, never negotiated: a problem is JSON whatever the client's
    Accept asked of the successful answer (the chat's stream, DRF's HTML browser)."""
    body = problem_body(status, str(detail), problem=problem, errors=errors)
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 503 and not response.has_header("Retry-After"):
        response["Retry-After"] = DEFAULT_RETRY_AFTER
    return response


def is_problem(response: Any) -> bool:
    return response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)


def field_errors(detail: Any) -> dict[str, Any]:
    """REST framework's validation messages as the problem's `errors`: a mapping at the top
    (a bare list concerns the body as a whole), whose leaves are lists of messages and whose
    inner mappings follow the request's nesting; a list of items' errors becomes a mapping by
    index, without the items that passed."""
    tree = _errors_tree(detail)
    return tree if isinstance(tree, dict) else {NON_FIELD_ERRORS: tree}


def _errors_tree(node: Any) -> dict[str, Any] | list[str]:
    # Recurses as deep as the serializers nest, never as deep as the body does.
    if isinstance(node, Mapping):
        return {str(key): _errors_tree(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        if all(isinstance(item, str) for item in node):
            return [str(item) for item in node]
        return {str(index): _errors_tree(item) for index, item in enumerate(node) if item}
    return [str(node)]


@require_GET
def problem_type_page(request: HttpRequest, slug: str) -> HttpResponse:
    """What a problem `type` of the API means: GET /api/problems/<slug>."""
    problem_type = PROBLEM_TYPES.get(slug)
    if problem_type is None:
        return problem_response(404, "No such problem type.")
    document = {
        "type": problem_type.uri,
        "title": problem_type.title,
        "status": problem_type.status,
        "description": problem_type.description,
    }
    return HttpResponse(
        json.dumps(document, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
