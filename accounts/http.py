from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """The request a Counsel page sees: django-htmx's details and our user model (for typing)."""

    htmx: HtmxDetails
    user: User
