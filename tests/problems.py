"""Reading an error of the API: a problem (RFC 9457), as config.problems answers it."""

from __future__ import annotations

from typing import Any

from config.problems import PROBLEM_CONTENT_TYPE


def problem_of(response: Any, status: int, *, type: str | None = "about:blank") -> dict[str, Any]:
    """The problem `response` carries, after checking its status, its content type, its
    `type` (unless None) and the members every problem has."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE, response.content[:300]
    body = response.json()
    assert body["status"] == status
    if type is not None:
        assert body["type"] == type
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert body["title"]
    assert body["detail"]
    return body


def field_errors_of(response: Any) -> dict[str, Any]:
    """The field errors of a 400 validation problem."""
    return problem_of(response, 400, type="/api/problems/validation")["errors"]


def detail_of(response: Any) -> str:
    """The `detail` of the problem `response` carries, whatever its status and type."""
    return problem_of(response, response.status_code, type=None)["detail"]


def rule_broken(response: Any) -> dict[str, Any]:
    """The field errors of a 422: a request the schema takes, refused by a rule."""
    return problem_of(response, 422, type="/api/problems/rule-broken")["errors"]
