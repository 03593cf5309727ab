from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import StrictSerializer
from notifications.models import Topic
from notifications.services import preferences_get, preferences_update


@extend_schema_serializer(component_name="NotificationPreferences")
class PreferencesSerializer(StrictSerializer):
    drafts = serializers.BooleanField(help_text=Topic.DRAFTS.label + ".")
    deadlines = serializers.BooleanField(help_text=Topic.DEADLINES.label + ".")
    budgets = serializers.BooleanField(help_text=Topic.BUDGETS.label + ".")
    documents = serializers.BooleanField(help_text=Topic.DOCUMENTS.label + ".")


class NotificationPreferencesApi(APIView):
    """The e-mails the caller gets, one switch per topic (every one on until changed)."""

    @extend_schema(operation_id="getNotificationPreferences", responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        """The caller's e-mail notifications, each topic on or off."""
        return Response(PreferencesSerializer(preferences_get(request.user)).data)

    @extend_schema(
        operation_id="replaceNotificationPreferences",
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
    )
    def put(self, request: Request) -> Response:
        """Turn topics on or off; every topic must be given."""
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preferences = preferences_update(user=request.user, **serializer.validated_data)
        return Response(PreferencesSerializer(preferences).data)
