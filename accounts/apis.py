from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_otp_verified
from accounts.fields import UserIdField
from accounts.invitations import InvitationInvalid, invitation_accept
from accounts.password_reset import password_reset_confirm, password_reset_request
from accounts.services import token_refresh, tokens_obtain, tokens_revoke
from accounts.throttle import throttle_hit
from config.api import RuleBroken, StrictSerializer


class TokenObtainApi(APIView):
    """Log in for a JWT access token and refresh token.

    Send the password, plus the OTP code for staff (and for clients who enrolled a device).
    Give the access token as `Authorization: Bearer <access>`; trade the refresh token for new
    tokens at `/api/auth/refresh`."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="LoginRequest")
    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        otp = serializers.CharField(max_length=16, default=None, allow_null=True, allow_blank=True)

    @extend_schema_serializer(component_name="LoginResponse")
    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            401: OpenApiResponse(description="Wrong username, password or OTP code."),
            403: OpenApiResponse(description="Staff who have not enrolled two-factor yet."),
            429: OpenApiResponse(description="Too many failed logins; see Retry-After."),
        },
        auth=[],
        examples=[
            # The demo firm's (`make run`, cases/management/commands/seed_demo.py), so that
            # trying it on a demo answers; its password is the published demo default.
            OpenApiExample(
                "A client of the demo firm",
                value={"username": "helen.marsh", "password": "counsel-demo-2026"},
                request_only=True,
            ),
            OpenApiExample(
                "A lawyer of the demo firm, with the code of their authenticator app",
                value={
                    "username": "amara.okafor",
                    "password": "counsel-demo-2026",
                    "otp": "123456",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, which django-axes marks when it locks a login out.
        tokens = tokens_obtain(request=request._request, **serializer.validated_data)
        return Response(self.OutputSerializer(tokens).data)


class TokenRefreshApi(APIView):
    """Trade a refresh token for a new access token and a new refresh token.

    The refresh token presented is spent. Presenting a spent refresh token revokes every
    refresh token of its login."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="RefreshRequest")
    class InputSerializer(StrictSerializer):
        refresh = serializers.CharField()

    @extend_schema_serializer(component_name="RefreshResponse")
    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            401: OpenApiResponse(
                description="The refresh token is invalid, has expired, or was already used."
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = token_refresh(refresh=serializer.validated_data["refresh"])
        return Response(self.OutputSerializer(tokens).data)


class TokenRevokeApi(APIView):
    """Log out.

    Every refresh token of the login the given one belongs to stops working."""

    # Holding the refresh token is what entitles a caller to end it.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="LogoutRequest")
    class InputSerializer(StrictSerializer):
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="The login's refresh tokens are revoked."),
            401: OpenApiResponse(description="The refresh token is invalid or has expired."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens_revoke(refresh=serializer.validated_data["refresh"])
        return Response(status=204)


class UserMeApi(APIView):
    """The caller: their id (the `userId` of the AI requests), name, role and second factor.

    `otpVerified` is true when the token or session passed a second factor."""

    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        id = UserIdField()
        username = serializers.CharField()
        role = serializers.CharField()
        firstName = serializers.CharField(source="first_name")
        lastName = serializers.CharField(source="last_name")
        # An account need not have an address (Django's User.email is blank=True): "" then,
        # which the schema's format "email" would refuse.
        email = serializers.CharField(
            allow_blank=True, help_text='Their email address, "" when none is on file.'
        )
        otpVerified = serializers.BooleanField(source="otp_verified")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "username": user.username,
            "role": user.role,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "otp_verified": request_otp_verified(request),
        }
        return Response(self.OutputSerializer(data).data)


def _password_set(
    request: Request,
    serializer_class: type[serializers.Serializer],
    *,
    link: str,
    service: Callable[..., Any],
) -> Any:
    """A password chosen with an e-mailed link (its `link` field), throttled per address and
    link. What the link or the password breaks (rules no schema can say) is a 422 with the
    fields' errors by their wire names."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    throttle_hit(scope="password-set", request=request._request, account=data[link])
    try:
        return service(**data)
    except InvitationInvalid as error:
        raise RuleBroken({"token": [error.detail]}) from None
    except DjangoValidationError as error:
        raise RuleBroken(error.message_dict) from None


_THROTTLED = OpenApiResponse(
    description="Too many requests from this address, or for this account; see Retry-After."
)


RESET_SENT = "If an account has this address, a link to reset its password is on its way."


class PasswordResetApi(APIView):
    """Ask for a password reset link by e-mail.

    The answer is the same whether or not an account has this address. The link opens
    Counsel's page to choose a new password; its `uid` and `token` (the last two parts of its
    path) also work with `/api/auth/password-reset/confirm`. It works once, for
    PASSWORD_RESET_TIMEOUT (an hour by default)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="PasswordResetRequest")
    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema_serializer(component_name="PasswordResetAccepted")
    class OutputSerializer(serializers.Serializer):
        detail = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer, 429: _THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        throttle_hit(scope="password-reset", request=request._request, account=email)
        password_reset_request(email=email)
        return Response(self.OutputSerializer({"detail": RESET_SENT}).data, status=202)


class PasswordResetConfirmApi(APIView):
    """Set a new password with the `uid` and `token` of a reset link.

    Every other session and API token of the account ends; nobody is logged in: log in at
    `/api/auth/login` (staff with their second factor)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="PasswordResetConfirmRequest")
    class InputSerializer(StrictSerializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="The password is set."),
            422: OpenApiResponse(
                description="The link is not valid (`errors.token`: used, expired or "
                "replaced), or the password is refused (`errors.password`)."
            ),
            429: _THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        _password_set(request, self.InputSerializer, link="uid", service=password_reset_confirm)
        return Response(status=204)


class InvitationAcceptApi(APIView):
    """Accept an invitation: choose the password of the invited account.

    `token` is the last part of the invitation link's path. The answer names the username to
    log in with at `/api/auth/login`. Lawyers and admins must first set up their
    authenticator on Counsel's pages (the login answers 403 until they do)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema_serializer(component_name="InvitationAcceptRequest")
    class InputSerializer(StrictSerializer):
        token = serializers.CharField(max_length=128)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema_serializer(component_name="InvitationAccepted")
    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        role = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            422: OpenApiResponse(
                description="The link is not valid (`errors.token`: unknown, accepted, "
                "revoked or expired), or the password is refused (`errors.password`)."
            ),
            429: _THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        user = _password_set(request, self.InputSerializer, link="token", service=invitation_accept)
        return Response(self.OutputSerializer(user).data)
