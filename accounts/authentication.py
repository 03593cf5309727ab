from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

# Claim put in every token minted after a passed second factor (see accounts.services).
OTP_CLAIM = "otp"
# Claim naming the login a refresh token descends from (see accounts.services.tokens_for).
FAMILY_CLAIM = "family"
SIGNED_OUT = "This sign-in ended when the account's security settings changed. Log in again."


class VerifiedJWTAuthentication(JWTAuthentication):
    """JWT auth that refuses a staff token minted without a second factor, and a token
    issued before its user was signed out everywhere (User.signed_out_before).

    simplejwt already refuses the tokens of deactivated users.
    """

    def get_user(self, validated_token: Any) -> Any:
        user = super().get_user(validated_token)
        if user.is_staff_member and not validated_token.get(OTP_CLAIM):
            raise AuthenticationFailed("Two-factor verification is required.", code="otp_required")
        if not user.signed_in_since(validated_token.get("iat", 0)):
            raise AuthenticationFailed(SIGNED_OUT, code="signed_out")
        return user


class VerifiedSessionAuthentication(SessionAuthentication):
    """Session auth for the API that counts staff as logged in only once OTP-verified."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = request._request.user
        if user.is_staff_member and not user.is_verified():
            return None
        return result


def request_otp_verified(request: Request) -> bool:
    """Whether the caller of an API request passed a second factor when logging in."""
    if request.auth is not None:  # a JWT: the proof travels in the token
        return bool(request.auth.get(OTP_CLAIM))
    return request._request.user.is_verified()
