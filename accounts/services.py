from __future__ import annotations

import logging
import uuid
from typing import NoReturn

from axes.helpers import get_client_username
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import FAMILY_CLAIM, OTP_CLAIM, SIGNED_OUT
from accounts.lockout import Lockout, api_login_succeeded, login_lockout
from accounts.models import User
from config.errors import DomainError
from config.problems import problem_response

logger = logging.getLogger(__name__)

AUTHENTICATOR_NAME = "Authenticator"
BACKUP_CODES_NAME = "Backup codes"


class LoginFailed(DomainError):
    status_code = 401
    default_detail = "Invalid username or password."
    # The login form field the message belongs to; None means the form as a whole.
    field: str | None = None


class OtpRequired(LoginFailed):
    default_detail = "Enter the code from your authenticator app, or one of your backup codes."
    field = "otp"


class OtpInvalid(LoginFailed):
    default_detail = "That code is not valid. Enter the current code from your authenticator app."
    field = "otp"


class LoginLocked(DomainError):
    status_code = 429
    problem = "login-locked"

    def __init__(self, lockout: Lockout) -> None:
        super().__init__(lockout.message, headers={"Retry-After": str(lockout.retry_after)})


class EnrolmentRequired(DomainError):
    status_code = 403
    default_detail = "Enrol two-factor authentication in Counsel before using the API."


class TokenInvalid(DomainError):
    status_code = 401
    default_detail = "The token is invalid or has expired."


class TokenReused(TokenInvalid):
    default_detail = (
        "This refresh token was already used, so every token of its login has been revoked. "
        "Log in again."
    )


class TwoFactorError(DomainError):
    default_detail = "Two-factor authentication could not be changed."


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """What django-axes answers while a login is locked out (AXES_LOCKOUT_CALLABLE)."""
    # Imported here: the form belongs to the pages, this module only needs it for this answer.
    from accounts.forms import LoginForm

    lockout = login_lockout(request=request, username=get_client_username(request, credentials))
    if request.path.startswith("/api/"):
        response = problem_response(429, lockout.message, problem=LoginLocked.problem)
    else:
        form = LoginForm(data=request.POST or None)
        form.add_error(None, lockout.message)
        context = {"form": form, "next": request.POST.get("next", "")}
        response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(lockout.retry_after)
    return response


def _second_factor_failed(*, request: HttpRequest, username: str, error: LoginFailed) -> NoReturn:
    # Counted by django-axes like a wrong password, so codes cannot be guessed at leisure.
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    if getattr(request, "axes_locked_out", False):
        raise LoginLocked(login_lockout(request=request, username=username))
    raise error


def login_authenticate(
    *, request: HttpRequest, username: str, password: str, otp: str | None = None
) -> tuple[User, Device | None]:
    """Check a password and, when the user has or needs one, a second factor.

    Returns the user and the OTP device that accepted the code. The device is None for a user
    without a confirmed device: a client who never enrolled, or staff who must enrol now (the
    caller decides what they may do). Every failure is counted by django-axes.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LoginLocked(login_lockout(request=request, username=username))
    if user is None:
        logger.info("login failed", extra={"reason": "password"})
        raise LoginFailed()
    if not any(devices_for_user(user, confirmed=True)):
        return user, None
    code = (otp or "").replace(" ", "").strip()
    if not code:
        logger.info("login failed", extra={"reason": "otp_missing", "user_id": user.pk})
        _second_factor_failed(request=request, username=username, error=OtpRequired())
    device = match_token(user, code)
    if device is None:
        logger.info("login failed", extra={"reason": "otp_invalid", "user_id": user.pk})
        _second_factor_failed(request=request, username=username, error=OtpInvalid())
    return user, device


def tokens_obtain(
    *, request: HttpRequest, username: str, password: str, otp: str | None = None
) -> dict[str, str]:
    """The JWT login: the same checks as the page, and staff must already have a device."""
    user, device = login_authenticate(
        request=request, username=username, password=password, otp=otp
    )
    if user.is_staff_member and device is None:
        raise EnrolmentRequired()
    update_last_login(None, user)
    api_login_succeeded(request=request, user=user)
    logger.info("api login", extra={"user_id": user.pk, "otp_verified": device is not None})
    return tokens_for(user=user, otp_verified=device is not None)


def tokens_for(*, user: User, otp_verified: bool) -> dict[str, str]:
    """JWT access and refresh tokens; staff tokens carry proof of the passed second factor."""
    refresh = RefreshToken.for_user(user)
    refresh[OTP_CLAIM] = otp_verified
    refresh["role"] = user.role
    # The refresh tokens of one login are a family, named by the first one's id (every later
    # id starts with it): a reuse, or a logout, revokes the whole family.
    refresh[FAMILY_CLAIM] = refresh[jwt_settings.JTI_CLAIM]
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class _PresentedRefreshToken(RefreshToken):
    """A refresh token as a client presents it: signature, expiry and type are checked here.
    Whether it was used already is settled when it is spent (`token_refresh`), by one INSERT,
    so that two requests racing with the same token cannot both pass."""

    def check_blacklist(self) -> None:
        return None


def _presented(refresh: str) -> _PresentedRefreshToken:
    try:
        token = _PresentedRefreshToken(refresh)
    except TokenError as exc:
        raise TokenInvalid() from exc
    if FAMILY_CLAIM not in token:  # minted before refresh tokens were revocable
        raise TokenInvalid()
    return token


def _token_family_revoke(token: RefreshToken) -> None:
    family = OutstandingToken.objects.filter(
        user_id=token[jwt_settings.USER_ID_CLAIM],
        jti__startswith=token[FAMILY_CLAIM],
        blacklistedtoken__isnull=True,
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=outstanding) for outstanding in family], ignore_conflicts=True
    )


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new access token and a new refresh token for a valid refresh token, which is spent.

    A refresh token presented a second time was copied (or the client lost track of it): the
    whole family of its login is revoked, so a stolen token dies on first reuse whoever used
    it first.
    """
    token = _presented(refresh)
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise TokenInvalid("No active account found for this token.")
    if not user.signed_in_since(token.get("iat", 0)):
        raise TokenInvalid(SIGNED_OUT)
    outstanding = OutstandingToken.objects.filter(jti=token[jwt_settings.JTI_CLAIM]).first()
    if outstanding is None:
        raise TokenInvalid()
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
            token[jwt_settings.JTI_CLAIM] = f"{token[FAMILY_CLAIM]}.{uuid.uuid4().hex}"
            token.set_exp()
            token.set_iat()
            token.outstand()
    except IntegrityError:
        # Spent already. Its successor is in the database by now (it was written with the
        # spending), so the revocation reaches it.
        _token_family_revoke(token)
        logger.warning("refresh token reused", extra={"user_id": user.pk})
        raise TokenReused() from None
    return {"access": str(token.access_token), "refresh": str(token)}


def tokens_revoke(*, refresh: str) -> None:
    """The API logout: every refresh token of the login `refresh` belongs to stops working.
    Access tokens already handed out run out by themselves (JWT_EXPIRES_IN)."""
    token = _presented(refresh)
    _token_family_revoke(token)
    logger.info("api logout", extra={"user_id": token.get(jwt_settings.USER_ID_CLAIM)})


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    # Admins are Django superusers so that the (2FA-guarded) admin site lets them in.
    is_admin = role == User.Role.ADMIN
    user = User(
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    # None: no password works until one is chosen (an invitation's).
    user.set_password(password)
    user.full_clean()
    user.save()
    logger.info("user created", extra={"user_id": user.pk, "role": role})
    return user


def user_password_set(*, user: User, password: str) -> None:
    """A password the person chose (an invitation, a reset link), after Django's validators:
    ValidationError with a `password` entry."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])


def totp_device_create(*, user: User, key: str | None = None, confirmed: bool = True) -> TOTPDevice:
    """An authenticator-app device; `key` (hex) lets a seed hand out a known secret."""
    device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, confirmed=confirmed)
    if key is not None:
        device.key = key
    device.full_clean()
    device.save()
    return device


@transaction.atomic
def backup_codes_generate(*, user: User, count: int = 10) -> list[str]:
    """New single-use backup codes; the previous ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_CODES_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device the user scans; the same one until they confirm it.

    Refused once any confirmed device exists: a session that has not passed that device must
    not be able to add a factor of its own choosing.
    """
    if any(devices_for_user(user, confirmed=True)):
        raise TwoFactorError("Two-factor authentication is already set up.")
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return pending or totp_device_create(user=user, confirmed=False)


@transaction.atomic
def totp_enrolment_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code it produced."""
    if any(devices_for_user(user, confirmed=True)):
        raise TwoFactorError("Two-factor authentication is already set up.")
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise TwoFactorError("Start setting up an authenticator app first.")
    if not device.verify_token(token.replace(" ", "").strip()):
        raise TwoFactorError(
            "That code is not valid. Enter the current code your authenticator app shows."
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    # Whoever was already signed in, perhaps the very person this protects against, must now
    # pass the second factor too.
    user_sign_out_everywhere(user=user)
    logger.info("totp device confirmed", extra={"user_id": user.pk})
    return device


def user_sign_out_everywhere(*, user: User) -> None:
    """End every page session and API token of `user` begun before this second: for when
    their credentials change (two-factor turned on, a new password set by an admin). The
    caller keeps its own session with update_session_auth_hash."""
    user.signed_out_before = timezone.now().replace(microsecond=0)
    user.save(update_fields=["signed_out_before"])
    logger.info("user signed out everywhere", extra={"user_id": user.pk})
