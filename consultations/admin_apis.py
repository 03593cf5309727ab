"""`/api/admin/*`: the operator's JSON endpoints, for firm admins who passed a second factor
(a JWT with the otp claim, or an OTP-verified session)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_otp_verified
from config.api import StrictSerializer
from config.parsers import JSONParser
from consultations.cache_admin import cache_invalidate, cache_stats
from consultations.models import Consultation


class IsVerifiedFirmAdmin(BasePermission):
    message = "Only firm admins who passed a second factor may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_firm_admin and request_otp_verified(request)
        )


_NOT_ADMIN = OpenApiResponse(description=IsVerifiedFirmAdmin.message)


class CacheStatsApi(APIView):
    """Hits, misses and hit rate per kind over the last `days` days, and answers cached now."""

    permission_classes = (IsVerifiedFirmAdmin,)

    class InputSerializer(StrictSerializer):
        days = serializers.IntegerField(min_value=1, max_value=366, default=7)

    @extend_schema_serializer(component_name="CacheKindStats")
    class OutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        hits = serializers.IntegerField()
        misses = serializers.IntegerField()
        hitRate = serializers.FloatField(source="hit_rate", allow_null=True)
        keys = serializers.IntegerField(
            allow_null=True, help_text="Answers cached now; null when the cache is unreachable."
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses={
            200: inline_serializer("CacheStats", {"kinds": OutputSerializer(many=True)}),
            403: _NOT_ADMIN,
        },
    )
    def get(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        until = timezone.now()
        since = until - timedelta(days=serializer.validated_data["days"])
        stats = cache_stats(since=since, until=until)
        return Response({"kinds": self.OutputSerializer(stats, many=True).data})


class CacheInvalidateApi(APIView):
    """Delete the cached answers of a kind and/or a prompt version (all without either)."""

    permission_classes = (IsVerifiedFirmAdmin,)
    parser_classes = (JSONParser,)

    @extend_schema_serializer(component_name="CacheInvalidateRequest")
    class InputSerializer(StrictSerializer):
        kind = serializers.ChoiceField(choices=Consultation.Kind.choices, required=False)
        promptVersion = serializers.RegexField(
            r"^[\w.-]{1,20}$", source="prompt_version", required=False
        )

    @extend_schema_serializer(component_name="CacheInvalidateResponse")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        promptVersion = serializers.CharField(source="prompt_version")
        keysDeleted = serializers.IntegerField(source="keys_deleted")
        createdAt = serializers.DateTimeField(source="created_at")

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, 403: _NOT_ADMIN})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = cache_invalidate(user=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(done).data)
