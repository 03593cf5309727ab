from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

View = Callable[..., HttpResponse]


def verified_login_required(view: View) -> View:
    """Pages for a logged-in user; staff must also have passed their second factor.

    Staff logged in without a second factor (only possible before they enrol a device) are
    sent to the security page, where they enrol or enter a code; nothing else is open to them.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff_member and not user.is_verified():
            return redirect("accounts:security")
        return view(request, *args, **kwargs)

    return wrapped
