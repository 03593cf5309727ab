from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    Services know nothing of HTTP; the API boundary (`config.api.exception_handler`) and the
    pages turn these into responses using `status_code`, `detail` and `headers`.
    """

    status_code = 400
    default_detail = "The request could not be completed."

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
