"""`/api/admin/*`: the operator's JSON endpoints, for firm admins who passed a second factor
(a JWT with the otp claim, or an OTP-verified session)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
from config.api import RuleBroken, StrictSerializer
from config.parsers import JSONParser
from consultations.cache_admin import cache_invalidate, cache_stats, tool_cache_stats
from consultations.models import CacheInvalidation, Consultation
from consultations.tools import TOOLS


class IsVerifiedFirmAdmin(BasePermission):
    message = "Only firm admins who passed a second factor may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_firm_admin and request_otp_verified(request)
        )


_NOT_ADMIN = OpenApiResponse(description=IsVerifiedFirmAdmin.message)


class CacheStatsApi(APIView):
    """Each cache layer over the last `days` days: hits, misses and hit rate per kind of
    answer and per tool, and how many answers and tool results are cached now."""

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

    @extend_schema_serializer(component_name="CacheToolStats")
    class ToolOutputSerializer(serializers.Serializer):
        tool = serializers.CharField()
        hits = serializers.IntegerField()
        misses = serializers.IntegerField()
        hitRate = serializers.FloatField(source="hit_rate", allow_null=True)
        keys = serializers.IntegerField(
            allow_null=True, help_text="Results cached now; null when the cache is unreachable."
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses={
            200: inline_serializer(
                "CacheStats",
                {
                    "kinds": OutputSerializer(many=True, help_text="The answers' layer."),
                    "tools": ToolOutputSerializer(many=True, help_text="The tools' layer."),
                },
            ),
            403: _NOT_ADMIN,
        },
    )
    def get(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        until = timezone.now()
        since = until - timedelta(days=serializer.validated_data["days"])
        return Response(
            {
                "kinds": self.OutputSerializer(
                    cache_stats(since=since, until=until), many=True
                ).data,
                "tools": self.ToolOutputSerializer(
                    tool_cache_stats(since=since, until=until), many=True
                ).data,
            }
        )


class CacheInvalidateApi(APIView):
    """Empty part of a cache layer: the cached answers (`layer` "answers", the default) of a
    kind and/or a prompt version (all without either), or the cached tool results (`layer`
    "tools") of a tool (all without one)."""

    permission_classes = (IsVerifiedFirmAdmin,)
    parser_classes = (JSONParser,)

    @extend_schema_serializer(component_name="CacheInvalidateRequest")
    class InputSerializer(StrictSerializer):
        layer = serializers.ChoiceField(
            choices=CacheInvalidation.Layer.choices, default=CacheInvalidation.Layer.ANSWERS
        )
        kind = serializers.ChoiceField(choices=Consultation.Kind.choices, required=False)
        promptVersion = serializers.RegexField(
            r"^[\w.-]{1,20}$", source="prompt_version", required=False
        )
        tool = serializers.ChoiceField(choices=sorted(TOOLS), required=False)

    @extend_schema_serializer(component_name="CacheInvalidateResponse")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        layer = serializers.CharField()
        kind = serializers.CharField()
        promptVersion = serializers.CharField(source="prompt_version")
        tool = serializers.CharField()
        keysDeleted = serializers.IntegerField(source="keys_deleted")
        createdAt = serializers.DateTimeField(source="created_at")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            403: _NOT_ADMIN,
            422: OpenApiResponse(
                description="A field of the other layer: `kind` or `promptVersion` with "
                '`layer` "tools", `tool` with "answers".'
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _fields_of_its_layer(data)
        done = cache_invalidate(user=request.user, **data)
        return Response(self.OutputSerializer(done).data)


def _fields_of_its_layer(data: dict[str, Any]) -> None:
    """RuleBroken (422: the schema cannot say which fields go with which layer) for a field
    of the other layer."""
    answers = data["layer"] == CacheInvalidation.Layer.ANSWERS
    stray = ["tool"] if answers else ["kind", "prompt_version"]
    wire = {"tool": "tool", "kind": "kind", "prompt_version": "promptVersion"}
    errors = {wire[name]: f"Not for the {data['layer']} layer." for name in stray if name in data}
    if errors:
        raise RuleBroken(errors)
