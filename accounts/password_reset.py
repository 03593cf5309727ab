"""Password reset by e-mail, for the page and the API alike.

Asking answers the same whether or not the address belongs to anyone. The link carries
Django's token (default_token_generator): it is signed with the account's password hash and
last login, so it works once, and only for PASSWORD_RESET_TIMEOUT. Setting a new password
ends every other session and API token of the account, and logs nobody in: staff still pass
their second factor at the next login."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import AccountEvent, User
from accounts.services import user_password_set, user_sign_out_everywhere
from notifications.mail import email_queue

logger = logging.getLogger(__name__)

LINK_INVALID = (
    "This password reset link is not valid: it was used already, has expired, or a newer "
    "one was sent. Ask for a new one."
)


def _valid_for() -> str:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours > 1 else ''}"


def password_reset_request(*, email: str) -> None:
    """E-mail a reset link to each active account with this address and a usable password
    (an invited person who has not accepted uses their invitation). Nothing tells the caller
    whether there was one."""
    users = User.objects.filter(email__iexact=email.strip(), is_active=True)
    for user in users:
        if not user.has_usable_password():
            continue
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        email_queue(
            to=user.email,
            subject="Reset your Counsel password",
            template="accounts/email/password_reset.txt",
            context={
                "user": user,
                "valid_for": _valid_for(),
                "link": settings.SITE_URL
                + reverse("accounts:password-reset-confirm", args=[uid, token]),
            },
        )
        logger.info("password reset sent", extra={"user_id": user.pk})


def password_reset_user(*, uid: str, token: str) -> User | None:
    """The active account a reset link's uid and token open, or None."""
    try:
        pk = urlsafe_base64_decode(uid).decode()
        user = User.objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, ValidationError):
        return None
    return user if default_token_generator.check_token(user, token) else None


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> None:
    """Set the password chosen with a reset link (Django's validators: ValidationError with
    a `password` entry) and end every session and token begun before."""
    user_password_set(user=user, password=password)
    user_sign_out_everywhere(user=user)
    AccountEvent.objects.create(user=user, actor=user, kind=AccountEvent.Kind.PASSWORD_RESET)
    logger.info("password reset", extra={"user_id": user.pk})


def password_reset_confirm(*, uid: str, token: str, password: str) -> None:
    """The API's confirm: the link's parts and the new password; ValidationError with a
    `token` entry when the link does not open an account."""
    user = password_reset_user(uid=uid, token=token)
    if user is None:
        raise ValidationError({"token": LINK_INVALID})
    password_reset_complete(user=user, password=password)
