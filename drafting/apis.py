"""`POST /api/ai/generate-document` of the `/api/ai` contract, the status of a draft job, and
the document types a caller can draft.

A draft is made in the request (200 with the contract's keys) or, with `Prefer:
respond-async` or `"async": true`, by a worker (202 with a status URL to poll). Either way the
draft's URL is in the `Location` header, since the contract's body has no room for its id.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from cases.selectors import case_get_visible
from config.api import RegistryNameField, StrictSerializer
from config.async_api import AsyncAPIView
from config.dbpool import db
from config.parsers import JSONParser
from consultations.apis import (
    BUSY_RESPONSE,
    IDEMPOTENCY_HEADER,
    MISCONFIGURED_RESPONSE,
    REPEATED_RESPONSE,
    idempotency_key_of,
    request_id_for,
)
from consultations.policies import POLICIES
from consultations.ratelimit import AIRateThrottle
from consultations.services import IdempotencyInProgress, request_fingerprint
from drafting.doctypes import DOCUMENT_TYPES, MAX_INPUTS_CHARS
from drafting.doctypes.schema import FIELD_TYPES
from drafting.models import LOCALE_PATTERN, TONE_PATTERN, Draft
from drafting.selectors import draft_get_visible
from drafting.services import DraftInvalid, draft_generate, draft_request_once, draft_schedule

_PREFER_HEADER = OpenApiParameter(
    "Prefer",
    location=OpenApiParameter.HEADER,
    required=False,
    description='"respond-async" runs the draft as a job: 202 and a status URL to poll.',
)
_LOCATION_HEADER = OpenApiParameter(
    "Location",
    location=OpenApiParameter.HEADER,
    response=[200, 202],
    required=True,
    description="The draft's status URL (GET it to poll), relative to the API's origin.",
)


@extend_schema_serializer(component_name="DraftSection")
class _SectionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    heading = serializers.CharField()
    body = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="GenerateDocumentResponse")
class _DraftResultSerializer(serializers.Serializer):
    draftText = serializers.CharField(source="text")
    sections = _SectionSerializer(many=True)
    qualityScore = serializers.FloatField(
        source="quality_score", help_text="From 0 (much to fix) to 1 (nothing found)."
    )
    warnings = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="GenerateDocumentContext")
class _ContextSerializer(StrictSerializer):
    caseId = serializers.IntegerField(source="case_id", min_value=1, required=False)


class DraftGenerateApi(AsyncAPIView):
    """Draft a document of one of the firm's types from its inputs."""

    parser_classes = (JSONParser,)
    throttle_classes = (AIRateThrottle,)
    rate_scope = "generate-document"

    @extend_schema_serializer(component_name="GenerateDocumentRequest")
    class InputSerializer(StrictSerializer):
        type = RegistryNameField(names=tuple(DOCUMENT_TYPES))
        inputs = serializers.DictField(
            help_text=(
                "The type's fields by name (GET /api/ai/document-types lists them), at most "
                f"{MAX_INPUTS_CHARS} characters of JSON in all."
            )
        )
        tone = serializers.RegexField(TONE_PATTERN, max_length=40, default="neutral")
        locale = serializers.RegexField(LOCALE_PATTERN, max_length=12, default="en")
        policy = RegistryNameField(
            names=tuple(POLICIES),
            required=False,
            allow_blank=True,
            help_text=(
                'The policy the draft is checked against, "" for none. '
                "Default: the document type's own."
            ),
        )
        context = _ContextSerializer(required=False)

        def get_fields(self) -> dict[str, serializers.Field]:
            fields = super().get_fields()
            # A Python keyword, so it cannot be declared as a class attribute.
            fields["async"] = serializers.BooleanField(
                source="run_async",
                default=False,
                help_text="Run as a job, like the header Prefer: respond-async.",
            )
            return fields

    OutputSerializer = _DraftResultSerializer

    @extend_schema_serializer(component_name="DraftAccepted")
    class AcceptedSerializer(serializers.Serializer):
        draftId = serializers.IntegerField(source="id")
        status = serializers.ChoiceField(choices=Draft.Status.choices)
        statusUrl = serializers.CharField(source="status_url")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            202: AcceptedSerializer,
            404: OpenApiResponse(description="context.caseId names a case the caller may not see."),
            409: REPEATED_RESPONSE,
            502: MISCONFIGURED_RESPONSE,
            503: BUSY_RESPONSE,
        },
        parameters=[IDEMPOTENCY_HEADER, _PREFER_HEADER, _LOCATION_HEADER],
    )
    async def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case_id = data.get("context", {}).get("case_id")
        request_id = request_id_for(request)
        try:
            draft, replayed = await db(
                _draft_requested,
                case_id=case_id,
                author=request.user,
                idempotency_key=idempotency_key_of(request),
                fingerprint=request_fingerprint(endpoint=request.path, body=request.data),
                type_id=data["type"],
                inputs=data["inputs"],
                tone=data["tone"],
                locale=data["locale"],
                policy=data.get("policy"),
            )
            status_url = reverse("drafting-api:draft", args=[draft.pk])
            headers = {"Location": status_url, "X-Request-ID": request_id}
            if replayed:
                headers["Idempotent-Replayed"] = "true"
            if data["run_async"] or _prefers_async(request):
                draft = await db(draft_schedule, draft_id=draft.pk, request_id=request_id)
                accepted = {"id": draft.pk, "status": draft.status, "status_url": status_url}
                headers["Preference-Applied"] = "respond-async"
                return Response(self.AcceptedSerializer(accepted).data, status=202, headers=headers)
            draft = await draft_generate(draft_id=draft.pk, request_id=request_id)
        except DraftInvalid as exc:
            raise serializers.ValidationError(exc.errors) from exc
        if not draft.has_result:
            # A request with the same Idempotency-Key is drafting it right now.
            raise IdempotencyInProgress()
        return Response(self.OutputSerializer(draft).data, headers=headers)


def _draft_requested(*, case_id: int | None, author: User, **request: Any) -> tuple[Draft, bool]:
    """`draft_request_once` on the case `case_id` names, when the author may see it."""
    case = None if case_id is None else case_get_visible(user=author, case_id=case_id)
    return draft_request_once(author=author, case=case, **request)


def _prefers_async(request: Request) -> bool:
    # RFC 7240: "Prefer: respond-async, wait=10"; each preference may carry ";" parameters.
    preferences = request.headers.get("Prefer", "").split(",")
    return any(p.split(";")[0].strip().lower() == "respond-async" for p in preferences)


class DraftStatusApi(APIView):
    """A draft job's status, and its result once drafted, for those `drafts_visible_to`
    lets read it: staff on its case now, its author on no case or while on the case."""

    @extend_schema_serializer(component_name="DraftStatus")
    class OutputSerializer(serializers.Serializer):
        draftId = serializers.IntegerField(source="id")
        type = serializers.CharField(source="document_type")
        status = serializers.ChoiceField(choices=Draft.Status.choices)
        progress = serializers.IntegerField(min_value=0, max_value=100)
        createdAt = serializers.DateTimeField(source="created_at")
        updatedAt = serializers.DateTimeField(source="updated_at")
        failureReason = serializers.CharField(
            source="failure_reason",
            required=False,
            help_text="Why it failed, or why it is waiting to try again.",
        )
        result = _DraftResultSerializer(
            source="*", required=False, help_text="Once the status is drafted or approved."
        )

        def to_representation(self, instance: Any) -> dict[str, Any]:
            data = super().to_representation(instance)
            if not instance.failure_reason:
                data.pop("failureReason")
            if not instance.has_result:
                data.pop("result")
            return data

    @extend_schema(
        responses={200: OutputSerializer, 404: OpenApiResponse(description="No such draft.")}
    )
    def get(self, request: Request, draft_id: int) -> Response:
        draft = draft_get_visible(user=request.user, draft_id=draft_id)
        return Response(self.OutputSerializer(draft).data)


@extend_schema_serializer(component_name="DocumentTypeField")
class _FieldSchemaSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=sorted(FIELD_TYPES))
    required = serializers.BooleanField()
    helpText = serializers.CharField(allow_blank=True)
    maxLength = serializers.IntegerField(required=False)
    minValue = serializers.IntegerField(required=False)
    maxValue = serializers.IntegerField(required=False)
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class DocumentTypeListApi(APIView):
    """The document types that can be drafted, with the inputs each one takes."""

    @extend_schema_serializer(component_name="DocumentType")
    class OutputSerializer(serializers.Serializer):
        type = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        policy = serializers.CharField(allow_blank=True, help_text='"" when none applies.')
        fields = _FieldSchemaSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        schemas = [doc.as_schema() for doc in DOCUMENT_TYPES.values()]
        return Response(self.OutputSerializer(schemas, many=True).data)
