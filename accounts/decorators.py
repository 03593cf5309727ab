from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from config.dbpool import db

View = Callable[..., HttpResponse]


def verified_login_required(view: View) -> View:
    """Pages for a logged-in user; staff must also have passed their second factor.

    Staff logged in without a second factor (only possible before they enrol a device) are
    sent to the security page, where they enrol or enter a code; nothing else is open to them.
    An async view is checked in a database thread (config.dbpool): finding the user reads the
    session and the user's row.
    """
    if iscoroutinefunction(view):

        @wraps(view)
        async def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return await db(_refusal, request) or await view(request, *args, **kwargs)

        return checked

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refusal(request) or view(request, *args, **kwargs)

    return wrapped


def _refusal(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_staff_member and not user.is_verified():
        return redirect("accounts:security")
    return None
