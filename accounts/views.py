from __future__ import annotations

from base64 import b32encode
from typing import Any

import qrcode
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login
from qrcode.image.svg import SvgPathImage

from accounts.decorators import verified_login_required
from accounts.forms import (
    InvitationForm,
    LoginForm,
    OtpCodeForm,
    PasswordResetRequestForm,
    PeopleFilterForm,
    RoleForm,
)
from accounts.http import HtmxHttpRequest
from accounts.invitations import (
    InvitationInvalid,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    invitations_visible_to,
)
from accounts.models import User
from accounts.password_reset import password_reset_complete, password_reset_request
from accounts.people import (
    people_columns,
    people_list,
    person_detail,
    user_deactivate,
    user_reactivate,
    user_role_change,
    user_second_factor_reset,
)
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
from accounts.throttle import Throttled, throttle_hit

# The session key of backup codes waiting to be shown once on the security page.
NEW_BACKUP_CODES = "accounts:new-backup-codes"


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
    # The backup codes made when the authenticator was confirmed, shown this once.
    return _render_security(request, codes=request.session.pop(NEW_BACKUP_CODES, None))


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
            # A first authenticator comes with backup codes, before anything else.
            if not two_factor_status(user=request.user).backup_codes_left:
                request.session[NEW_BACKUP_CODES] = backup_codes_generate(user=request.user)
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


# --- Password reset -------------------------------------------------------------------------


@sensitive_post_parameters("email")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        email = form.cleaned_data["email"]
        try:
            throttle_hit(scope="password-reset", request=request, account=email)
        except Throttled as error:
            form.add_error(None, error.detail)
            status = 429
        else:
            password_reset_request(email=email)
            return redirect("accounts:password-reset-done")
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


@require_GET
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")


class ResetPasswordForm(SetPasswordForm):
    def save(self, commit: bool = True) -> User:
        password_reset_complete(user=self.user, password=self.cleaned_data["new_password1"])
        return self.user


class PasswordResetConfirm(PasswordResetConfirmView):
    """Django's view (the token leaves the address bar before the form shows), with the
    product's password rules and sign-out, for active accounts only, throttled."""

    form_class = ResetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            throttle_hit(scope="password-set", request=request, account=kwargs["uidb64"])
        except Throttled as error:
            context = self.get_context_data(form=self.get_form())
            context["throttled"] = error.detail
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


@require_GET
def password_reset_complete_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")


# --- Invitations ----------------------------------------------------------------------------


def _invitation_invalid(request: HttpRequest, error: InvitationInvalid) -> HttpResponse:
    context = {"reason": error.detail}
    return render(request, "accounts/invitation_invalid.html", context, status=error.status_code)


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token)
    except InvitationInvalid as error:
        return _invitation_invalid(request, error)
    user = invitation.user
    form = SetPasswordForm(user, data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        try:
            throttle_hit(scope="password-set", request=request, account=str(invitation.pk))
        except Throttled as error:
            form.add_error(None, error.detail)
            status = 429
    if form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvitationInvalid as error:
            return _invitation_invalid(request, error)
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Counsel. Your password is set.")
        # Staff set up their authenticator before anything else (verified_login_required).
        return redirect(
            "accounts:security" if user.is_staff_member else settings.LOGIN_REDIRECT_URL
        )
    context = {"form": form, "invited": user}
    return render(request, "accounts/invitation_accept.html", context, status=status)


def _admin_only(request: HtmxHttpRequest) -> None:
    if not request.user.is_firm_admin:
        raise PermissionDenied


def _invitations_page(request: HtmxHttpRequest, form: InvitationForm) -> HttpResponse:
    invitations = invitations_visible_to(request.user)
    context = {
        "form": form,
        "invitation_days": settings.INVITATION_DAYS,
        "pending": invitations.filter(accepted_at__isnull=True)[:200],
        "accepted": invitations.filter(accepted_at__isnull=False)[:50],
    }
    return render(request, "accounts/invitations.html", context)


@require_http_methods(["GET", "POST"])
@verified_login_required
def invitations(request: HtmxHttpRequest) -> HttpResponse:
    _admin_only(request)
    form = InvitationForm(data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            invitation = invitation_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.user.email}.")
            return redirect("accounts:invitations")
    return _invitations_page(request, form)


_INVITATION_ACTIONS = {
    "resend": (invitation_resend, "Invitation sent again to {}."),
    "revoke": (invitation_revoke, "Invitation of {} revoked."),
}


@require_POST
@verified_login_required
def invitation_action(request: HtmxHttpRequest, invitation_id: int, action: str) -> HttpResponse:
    """Resend or revoke; back where it was done from (the case page sends its own `next`)."""
    invitation = get_object_or_404(invitations_visible_to(request.user), pk=invitation_id)
    service, done = _INVITATION_ACTIONS[action]
    try:
        service(actor=request.user, invitation=invitation)
    except InvitationInvalid as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, done.format(invitation.user.email))
    return redirect(_safe_next(request) or "accounts:invitations")


# --- People (admins) ------------------------------------------------------------------------


@require_GET
@verified_login_required
def people(request: HtmxHttpRequest) -> HttpResponse:
    _admin_only(request)
    form = PeopleFilterForm(data=request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    columns = people_columns()
    page = Paginator(people_list(**filters), 25).get_page(request.GET.get("page"))
    rows = [
        (person, [(column.title, column.value(person)) for column in columns]) for person in page
    ]
    template = "accounts/people.html"
    if request.htmx:
        template += "#people-table"
    context = {"form": form, "page": page, "rows": rows, "columns": columns}
    return render(request, template, context)


def _person_page(request: HtmxHttpRequest, person: User, status: int = 200) -> HttpResponse:
    context = {"person": person, "role_form": RoleForm(initial={"role": person.role})}
    context.update(person_detail(user=person))
    return render(request, "accounts/person.html", context, status=status)


@require_GET
@verified_login_required
def person(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    _admin_only(request)
    return _person_page(request, get_object_or_404(User, pk=user_id))


_PERSON_ACTIONS = {
    "deactivate": (user_deactivate, "{name} is deactivated; their sessions and tokens have ended."),
    "reactivate": (user_reactivate, "{name} can log in again."),
    "second-factor-reset": (
        user_second_factor_reset,
        "{name}'s second factor is removed; they set up a new one at their next login.",
    ),
}


@require_POST
@verified_login_required
def person_action(request: HtmxHttpRequest, user_id: int, action: str) -> HttpResponse:
    _admin_only(request)
    person = get_object_or_404(User, pk=user_id)
    if action == "role":
        form = RoleForm(data=request.POST)
        if not form.is_valid():
            return _person_page(request, person, 400)
        service, done = user_role_change, "{name} is now {role}."
        arguments = {"role": form.cleaned_data["role"]}
    else:
        service, done = _PERSON_ACTIONS[action]
        arguments = {}
    try:
        service(actor=request.user, user=person, **arguments)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = person.get_full_name() or person.username
        messages.success(request, done.format(name=name, role=person.get_role_display().lower()))
    return redirect("accounts:person", user_id=person.pk)
