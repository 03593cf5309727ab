from __future__ import annotations

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
from accounts.services import token_refresh, tokens_obtain, tokens_revoke
from config.api import StrictSerializer


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
