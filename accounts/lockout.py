"""Who may try a password now: django-axes' handler (AXES_HANDLER), with two limits.

- Per account and address: AXES_FAILURE_LIMIT failures lock that pair for AXES_COOLOFF_TIME.
  A stranger's failures never lock the account at any other address, and one person's typos
  never lock a colleague's account behind the same office address.
- Per account, across all addresses: once LOGIN_ACCOUNT_FAILURES_PER_HOUR failures were
  counted in the last hour, only addresses the account signed in from (within
  LOGIN_KNOWN_ADDRESS_DAYS) may try, each still under its own limit. Guessing from new
  addresses, however many, stops there; the real user keeps their usual places.

A refused attempt checks no password and counts nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import LoginFailure, User

ACCOUNT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Lockout:
    message: str
    retry_after: int  # seconds


def _address_lockout() -> Lockout:
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return Lockout(
        f"Too many failed login attempts. Try again in {seconds // 60} minutes.", seconds
    )


def _account_lockout(*, username: str, address: str) -> Lockout | None:
    """The per-account budget, spent, for an address the account never signed in from."""
    now = timezone.now()
    limit = settings.LOGIN_ACCOUNT_FAILURES_PER_HOUR
    failures = LoginFailure.objects.filter(username=username, at__gt=now - ACCOUNT_WINDOW)
    count = failures.count()
    if count < limit:
        return None
    known_since = now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    known = AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=known_since
    )
    if known.exists():
        return None
    # Open again once enough failures have left the window to bring the count under the limit.
    reopens = failures.order_by("at")[count - limit].at + ACCOUNT_WINDOW
    seconds = max(1, math.ceil((reopens - now).total_seconds()))
    return Lockout(
        "Too many failed login attempts on this account. Try again in "
        f"{math.ceil(seconds / 60)} minutes, or from a place where you have logged in before.",
        seconds,
    )


class LoginGuardHandler(AxesDatabaseHandler):
    """axes' database handler, locking per (account, address), plus the per-account budget."""

    def lockout(self, request: HttpRequest, credentials: dict | None = None) -> Lockout | None:
        if super().is_locked(request, credentials):
            return _address_lockout()
        username = get_client_username(request, credentials)
        if username is None:
            return None
        return _account_lockout(username=username, address=request.axes_ip_address)

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return self.lockout(request, credentials) is not None

    def user_login_failed(
        self,
        sender: object,
        credentials: dict,
        request: HttpRequest | None = None,
        **kwargs: object,
    ) -> None:
        refused = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        username = get_client_username(request, credentials) if request is not None else None
        if not refused and username is not None:
            now = timezone.now()
            LoginFailure.objects.filter(at__lte=now - ACCOUNT_WINDOW).delete()
            LoginFailure.objects.create(username=username, at=now)


def login_lockout(*, request: HttpRequest, username: str | None) -> Lockout:
    """Why a login that django-axes refused was refused, and until when."""
    handler = AxesProxyHandler.get_implementation()
    return handler.lockout(request, {"username": username}) or _address_lockout()


def api_login_succeeded(*, request: HttpRequest, user: User) -> None:
    """What a page login does through Django's user_logged_in signal, for an API login (which
    sends no signal: django-axes would open a session for it): its address becomes one the
    account is known at, and the failures of this account at this address are forgotten."""
    AccessLog.objects.create(
        username=user.get_username(),
        ip_address=request.axes_ip_address,
        user_agent=request.axes_user_agent,
        http_accept=request.axes_http_accept,
        path_info=request.axes_path_info,
        attempt_time=request.axes_attempt_time,
    )
    axes_reset(ip=request.axes_ip_address, username=user.get_username())
