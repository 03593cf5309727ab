"""`POST /api/ai/generate-document` of the `/api/ai` contract, the status of a draft job, and
the document types a caller can draft.

A draft is made in the request (200 with the contract's keys) or, with `Prefer:
respond-async` or `"async": true`, by a worker (202 with a status URL to poll). Either way the
draft's URL is in the `Location` header, since the contract's body has no room for its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from cases.selectors import case_get_visible
from config.api import RegistryNameField, RuleBroken, StrictSerializer, camel_case
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
from drafting.doctypes import (
    DOCUMENT_TYPES,
    MAX_INPUTS_CHARS,
    NON_FIELD_ERRORS,
    DocumentType,
    UnknownDocumentType,
    get_document_type,
)
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
    heading = serializers.CharField()
    body = serializers.CharField(allow_blank=True)


@extend_schema_field(
    serializers.DictField(
        child=_SectionSerializer(),
        help_text=(
            'The numbered sections by number ("1", "2", ...), in the order of the document: '
            "each with its heading and body."
        ),
    )
)
class _SectionsField(serializers.Field):
    """A draft's sections (stored as a list) as the contract's object, by section number;
    JSON keeps its keys in the document's order."""

    def to_representation(self, sections: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        return {str(section["number"]): _SectionSerializer(section).data for section in sections}


@extend_schema_serializer(component_name="GenerateDocumentResponse")
class _DraftResultSerializer(serializers.Serializer):
    draftText = serializers.CharField(source="text")
    # Always sent; optional in the contract (`sections?`, `qualityScore?`, `warnings?`).
    sections = _SectionsField(required=False)
    qualityScore = serializers.FloatField(
        source="quality_score",
        required=False,
        allow_null=True,
        help_text="From 0 (much to fix) to 1 (nothing found); null when not scored.",
    )
    warnings = serializers.ListField(child=serializers.CharField(), required=False)


@extend_schema_serializer(component_name="GenerateDocumentContext")
class _ContextSerializer(StrictSerializer):
    caseId = serializers.IntegerField(source="case_id", min_value=1, required=False)


_INPUTS_HELP = (
    "The type's fields by name (GET /api/ai/document-types lists them), at most "
    f"{MAX_INPUTS_CHARS} characters of JSON in all."
)


class _DocumentInputsField(serializers.DictField):
    """A document type's inputs: an object of its fields by wire name. The request serializer
    reads it; the schema describes it per type (`_DocumentInputsScheme`)."""

    # The type's id, not the type: DRF copies a serializer's fields with their arguments.
    def __init__(self, *, type_id: str = "", **kwargs: Any) -> None:
        self.type_id = type_id
        super().__init__(**kwargs)


class _DocumentInputsScheme(OpenApiSerializerFieldExtension):
    """One component per document type, `<Type>Inputs`, from its fields' JSON schemas."""

    target_class = _DocumentInputsField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if not self.target.type_id:
            return {"type": "object", "additionalProperties": True}
        doc = DOCUMENT_TYPES[self.target.type_id]
        component = ResolvedComponent(
            name=f"{_pascal_case(doc.id)}Inputs",
            type=ResolvedComponent.SCHEMA,
            object=doc.id,
            schema={
                "type": "object",
                "description": f"The inputs of a {doc.title.lower()}.",
                "properties": {camel_case(f.name): f.json_schema() for f in doc.fields},
                "required": [camel_case(f.name) for f in doc.fields if f.required],
                "additionalProperties": False,
                "example": inputs_on_the_wire(doc.example_inputs),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class _GenerateDocumentRequestSerializer(StrictSerializer):
    type = RegistryNameField(names=tuple(DOCUMENT_TYPES))
    inputs = _DocumentInputsField(help_text=_INPUTS_HELP)
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

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            doc = get_document_type(attrs["type"])
        except UnknownDocumentType:
            return attrs  # the service answers that, before reading any input
        inputs, broken_rules = _inputs_from_the_wire(doc, attrs["inputs"])
        return {**attrs, "inputs": inputs, "broken_rules": broken_rules}


def _pascal_case(identifier: str) -> str:
    return "".join(word.capitalize() for word in identifier.split("-"))


def _request_of_type(doc: DocumentType) -> type[serializers.Serializer]:
    """The request for one document type, for the schema: its `type`, its own inputs."""
    name = f"GenerateDocumentRequest{_pascal_case(doc.id)}"
    serializer = type(
        name,
        (_GenerateDocumentRequestSerializer,),
        {
            "type": RegistryNameField(names=(doc.id,)),
            "inputs": _DocumentInputsField(type_id=doc.id, help_text=_INPUTS_HELP),
        },
    )
    return extend_schema_serializer(component_name=name)(serializer)


# The request as the schema has it: one shape per document type, told apart by `type`.
_GENERATE_DOCUMENT_REQUEST = PolymorphicProxySerializer(
    component_name="GenerateDocumentRequest",
    serializers={doc.id: _request_of_type(doc) for doc in DOCUMENT_TYPES.values()},
    resource_type_field_name="type",
)


class DraftGenerateApi(AsyncAPIView):
    """Draft a document of one of the firm's types from its inputs.

    Drafted in the request (200 with the draft), or as a job with `"async": true` or the header
    `Prefer: respond-async` (202 with a `statusUrl` to poll). Either way the draft's status URL
    is in the `Location` header. Each type takes its own inputs: `GET /api/ai/document-types`
    lists them."""

    parser_classes = (JSONParser,)
    throttle_classes = (AIRateThrottle,)
    rate_scope = "generate-document"

    InputSerializer = _GenerateDocumentRequestSerializer
    OutputSerializer = _DraftResultSerializer

    @extend_schema_serializer(component_name="DraftAccepted")
    class AcceptedSerializer(serializers.Serializer):
        draftId = serializers.IntegerField(source="id")
        status = serializers.ChoiceField(choices=Draft.Status.choices)
        statusUrl = serializers.CharField(source="status_url")

    @extend_schema(
        request=_GENERATE_DOCUMENT_REQUEST,
        responses={
            200: OutputSerializer,
            202: AcceptedSerializer,
            404: OpenApiResponse(description="context.caseId names a case the caller may not see."),
            422: OpenApiResponse(
                description="The inputs break a rule the schema cannot express: a date that "
                "must follow another, an e-mail address that cannot receive mail."
            ),
            409: REPEATED_RESPONSE,
            502: MISCONFIGURED_RESPONSE,
            503: BUSY_RESPONSE,
        },
        parameters=[IDEMPOTENCY_HEADER, _PREFER_HEADER, _LOCATION_HEADER],
        examples=[
            OpenApiExample(
                f"{doc.title} ({name})",
                value={
                    "type": name,
                    "inputs": {camel_case(k): v for k, v in doc.example_inputs.items()},
                    "tone": "neutral",
                },
                request_only=True,
            )
            for name, doc in DOCUMENT_TYPES.items()
        ],
    )
    async def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("broken_rules"):
            raise RuleBroken({"inputs": data["broken_rules"]})
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
            raise serializers.ValidationError(_errors_on_the_wire(exc.errors)) from exc
        if not draft.has_result:
            # A request with the same Idempotency-Key is drafting it right now.
            raise IdempotencyInProgress()
        return Response(self.OutputSerializer(draft).data, headers=headers)


def inputs_on_the_wire(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs by the type's Python names (`party_a_name`) as a JSON body names them
    (`partyAName`)."""
    return {camel_case(name): value for name, value in inputs.items()}


def _inputs_from_the_wire(
    doc: DocumentType, inputs: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A JSON body's inputs by the type's Python names, and the rules they break that the
    schema cannot express (by wire name): the order of dates, an address that cannot receive
    mail. What the schema says (a key that is none of the type's fields, its Python name
    included; a value not of its field's JSON form; a missing field) is a ValidationError, by
    wire name under "inputs"."""
    fields = {camel_case(field.name): field for field in doc.fields}
    named: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in inputs.items():
        field = fields.get(key)
        problem = "Unknown field." if field is None else field.json_problem(value)
        if problem:
            errors[key] = [problem]
        else:
            named[field.name] = value
    cleaned, found = doc.validate_fields(named)
    by_name = doc.fields_by_name
    beyond = {name for name in found if name in by_name and by_name[name].checked_beyond_schema}
    # A value of the wrong form was left out of `named`: its own message, not "required".
    others = {name: m for name, m in found.items() if name not in beyond}
    errors = {**_names_on_the_wire(others), **errors}
    if errors:
        raise serializers.ValidationError({"inputs": errors})
    broken = {name: found[name] for name in beyond}
    for name, messages in doc.rule_errors(cleaned).items():
        broken.setdefault(name, []).extend(messages)
    return named, _names_on_the_wire(broken)


def _errors_on_the_wire(errors: dict[str, Any]) -> dict[str, Any]:
    """The service's errors with the inputs' by their wire names."""
    inputs = errors.get("inputs")
    if not isinstance(inputs, dict):
        return errors
    return {**errors, "inputs": _names_on_the_wire(inputs)}


def _names_on_the_wire(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name if name == NON_FIELD_ERRORS else camel_case(name): m for name, m in errors.items()}


def _draft_requested(*, case_id: int | None, author: User, **request: Any) -> tuple[Draft, bool]:
    """`draft_request_once` on the case `case_id` names, when the author may see it."""
    case = None if case_id is None else case_get_visible(user=author, case_id=case_id)
    return draft_request_once(author=author, case=case, **request)


def _prefers_async(request: Request) -> bool:
    # RFC 7240: "Prefer: respond-async, wait=10"; each preference may carry ";" parameters.
    preferences = request.headers.get("Prefer", "").split(",")
    return any(p.split(";")[0].strip().lower() == "respond-async" for p in preferences)


class DraftStatusApi(APIView):
    """A draft job's status, and its result once drafted.

    Readable by staff on its case now, and by its author when it is on no case or while they
    may see its case (`drafts_visible_to`). The `statusUrl` of generate-document's 202 and its
    `Location` header point here."""

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
    """The document types that can be drafted, with the inputs each one takes.

    Each field of a type says its name (the key in generate-document's `inputs`), whether it
    is required, its type and its bounds."""

    @extend_schema_serializer(component_name="DocumentType")
    class OutputSerializer(serializers.Serializer):
        type = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        policy = serializers.CharField(allow_blank=True, help_text='"" when none applies.')
        fields = _FieldSchemaSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        schemas = [
            {**schema, "fields": [{**f, "name": camel_case(f["name"])} for f in schema["fields"]]}
            for schema in (doc.as_schema() for doc in DOCUMENT_TYPES.values())
        ]
        return Response(self.OutputSerializer(schemas, many=True).data)
