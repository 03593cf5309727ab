from __future__ import annotations

from base64 import b32encode
from typing import Any

import qrcode
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login
from qrcode.image.svg import SvgPathImage

from accounts.forms import LoginForm, OtpCodeForm
from accounts.http import HtmxHttpRequest
from accounts.selectors import two_factor_status
from accounts.services import (
    LoginFailed,
    LoginLocked,
    TwoFactorError,
    backup_codes_generate,
    login_authenticate,
    totp_enrolment_confirm,
    totp_enrolment_start,
)


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else ""


@sensitive_post_parameters("password", "otp")
@never_cache
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    form = LoginForm(data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user, device = login_authenticate(request=request, **form.cleaned_data)
        except (LoginFailed, LoginLocked) as error:
            form.add_error(getattr(error, "field", None), error.detail)
        else:
            auth.login(request, user)
            if device is not None:
                otp_login(request, device)
            elif user.is_staff_member:
                return redirect("accounts:security")
            return redirect(_safe_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _qr_svg(url: str) -> str:
    return qrcode.make(url, image_factory=SvgPathImage).to_string(encoding="unicode")


def _render_security(
    request: HtmxHttpRequest, partial: str | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    two_factor = two_factor_status(user=request.user)
    context: dict[str, Any] = {"two_factor": two_factor, "form": OtpCodeForm(), **extra}
    if two_factor.pending and not two_factor.authenticator:
        context["qr_svg"] = _qr_svg(two_factor.pending.config_url)
        context["secret"] = b32encode(two_factor.pending.bin_key).decode()
    template = "accounts/security.html"
    if partial and request.htmx:
        template += f"#{partial}"
    return render(request, template, context, status=status)


@require_GET
@login_required
def security(request: HtmxHttpRequest) -> HttpResponse:
    return _render_security(request)


@require_POST
@login_required
def totp_enrol(request: HtmxHttpRequest) -> HttpResponse:
    try:
        totp_enrolment_start(user=request.user)
    except TwoFactorError as error:
        return _render_security(request, "authenticator", enrol_error=error.detail)
    return _render_security(request, "authenticator")


@require_POST
@login_required
def totp_confirm(request: HtmxHttpRequest) -> HttpResponse:
    form = OtpCodeForm(data=request.POST)
    if form.is_valid():
        try:
            device = totp_enrolment_confirm(user=request.user, token=form.cleaned_data["token"])
        except TwoFactorError as error:
            form.add_error("token", error.detail)
        else:
            # Every other session of the user has just ended; this one goes on, verified.
            auth.update_session_auth_hash(request, request.user)
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is on.")
            # The whole page changes (verified session, backup codes), not just this section.
            if request.htmx:
                return HttpResponseClientRedirect(reverse("accounts:security"))
            return redirect("accounts:security")
    return _render_security(request, "authenticator", form=form)


@require_POST
@login_required
def backup_codes(request: HtmxHttpRequest) -> HttpResponse:
    # New codes only for a session that has passed its second factor.
    if not (request.user.is_verified() and two_factor_status(user=request.user).authenticator):
        return _render_security(request, "backup-codes", status=403)
    codes = backup_codes_generate(user=request.user)
    return _render_security(request, "backup-codes", codes=codes)
