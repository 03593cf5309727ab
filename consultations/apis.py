"""The `/api/ai/*` contract: camelCase on the wire, exactly the keys DESIGN.md lists.

The APIs validate, authorize and call one service; the scrubbing, caching, provider call and
recording all happen in `consultations.services`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
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
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.fields import UserIdField
from cases.models import Case
from cases.selectors import case_get_visible
from config.api import (
    EventDataField,
    EventNameField,
    RegistryNameField,
    RuleBroken,
    StrictSerializer,
    TypedSerializer,
)
from config.async_api import AsyncAPIView
from config.dbpool import db
from config.errors import PermissionDenied
from config.parsers import JSONParser
from config.request_ids import request_id_for
from consultations.models import Consultation, Conversation
from consultations.policies import POLICIES, SEVERITIES, UnknownPolicy, get_policy
from consultations.ratelimit import AIRateThrottle
from consultations.selectors import (
    consultation_answered_for_key,
    consultation_get_visible,
    consultations_of,
    conversation_get_owned,
    conversation_get_visible,
    conversation_turns,
    conversations_visible_to,
)
from consultations.services import (
    ChatStream,
    StreamDelta,
    StreamDone,
    StreamFailed,
    chat_answer,
    chat_stream,
    consultation_view_record,
    contract_analyze,
    idempotent_response,
    request_fingerprint,
)

MAX_MESSAGE_CHARS = 8_000
MAX_CONTRACT_CHARS = 100_000
_MAX_IDEMPOTENCY_KEY = 255


def idempotency_key_of(request: Request) -> str:
    """The request's Idempotency-Key header ("" without one); 400 when it is too long.

    Shared with drafting's generate-document, which keeps its replays on the Draft."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > _MAX_IDEMPOTENCY_KEY:
        raise serializers.ValidationError(
            {"Idempotency-Key": [f"At most {_MAX_IDEMPOTENCY_KEY} characters."]}
        )
    return key


async def _respond_once(
    request: Request,
    request_id: str,
    produce: Callable[[str], Awaitable[tuple[dict, Consultation]]],
) -> Response:
    """Run `produce(idempotency_key)` once per Idempotency-Key, replaying its stored body."""
    key = idempotency_key_of(request)
    body, replayed = await idempotent_response(
        user=request.user,
        idempotency_key=key,
        fingerprint=request_fingerprint(endpoint=request.path, body=request.data),
        produce=lambda: produce(key),
    )
    headers = {"X-Request-ID": request_id}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, headers=headers)


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Replays the stored answer for the same body (header Idempotent-Replayed: true); "
        "409 for a different body or while the first request is still running."
    ),
)
CONVERSATION_HEADER = OpenApiParameter(
    "X-Conversation-Id",
    location=OpenApiParameter.HEADER,
    response=[200],
    type=int,
    description="The conversation this question joined (context.conversationId, or a new one).",
)
BUSY_RESPONSE = OpenApiResponse(description="The AI is busy; retry after the Retry-After seconds.")
MISCONFIGURED_RESPONSE = OpenApiResponse(
    description="The AI provider refuses the requests (its key, its model): an admin must act."
)
REPEATED_RESPONSE = OpenApiResponse(
    description="The Idempotency-Key was used for another body, or its request still runs."
)


MAX_EXTRA_CONTEXT_CHARS = 2_000
MAX_EXTRA_CONTEXT_DEPTH = 4  # the context object itself is the first level


@extend_schema_serializer(component_name="ChatContext")
class _ContextSerializer(TypedSerializer):
    # Not strict: keys beyond these two are the caller's extra context (`extra` once valid).
    extra_keys = (
        "Any other key is context from the app the question is asked in (the page, a "
        "selection): sent to the model with the question, scrubbed like it, and part of the "
        f"cache key; at most {MAX_EXTRA_CONTEXT_CHARS} characters of JSON and "
        f"{MAX_EXTRA_CONTEXT_DEPTH} levels deep, this object included."
    )
    caseId = serializers.IntegerField(source="case_id", min_value=1, required=False)
    conversationId = serializers.IntegerField(
        source="conversation_id",
        min_value=1,
        required=False,
        help_text=(
            "Continue this conversation of yours (404 if it is not yours, 409 if caseId names "
            "another case); without it a new conversation starts. Either way its id comes "
            "back in the X-Conversation-Id response header."
        ),
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        extra = {key: item for key, item in data.items() if key not in self.fields}
        if extra:
            value["extra"] = extra  # bounded by the view: a rule the schema cannot express
        return value


def _extra_context_problem(extra: dict[str, Any]) -> str:
    """Why the extra context cannot be sent to the model ("" when it can): nested deeper than
    MAX_EXTRA_CONTEXT_DEPTH, holding a NUL, or longer than MAX_EXTRA_CONTEXT_CHARS as JSON.
    One walk over the parsed body, without recursion."""
    pending: list[tuple[Any, int]] = [(extra, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_EXTRA_CONTEXT_DEPTH:
                return f"context nests at most {MAX_EXTRA_CONTEXT_DEPTH} levels deep."
            if isinstance(item, dict):
                pending += [(key, depth) for key in item]
                item = item.values()
            pending += [(child, depth + 1) for child in item]
        elif isinstance(item, str) and "\x00" in item:
            return "context may not contain NUL characters."
    if len(json.dumps(extra, ensure_ascii=False)) > MAX_EXTRA_CONTEXT_CHARS:
        return f"Extra context is at most {MAX_EXTRA_CONTEXT_CHARS} characters of JSON."
    return ""


@extend_schema_serializer(component_name="CaseReference")
class _CaseReferenceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["case"])
    id = serializers.IntegerField(help_text="The case's id (`context.caseId`).")
    reference = serializers.CharField()
    title = serializers.CharField()


@extend_schema_serializer(component_name="DocumentReference")
class _DocumentReferenceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["document"])
    documentId = serializers.IntegerField(help_text="`GET /api/documents/{id}`.")
    title = serializers.CharField()
    page = serializers.IntegerField(help_text="From 1.")
    quote = serializers.CharField(help_text="The passage cited, shortened to 300 characters.")


_REFERENCE_SERIALIZERS = {
    "case": _CaseReferenceSerializer,
    "document": _DocumentReferenceSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="ChatReference",
        serializers=_REFERENCE_SERIALIZERS,
        resource_type_field_name="type",
    )
)
class _ReferenceField(serializers.Field):
    """What an answer refers to: the case it is about, and each passage of a document it
    cited."""

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return _REFERENCE_SERIALIZERS[value["type"]](value).data


def _references() -> serializers.ListField:
    return serializers.ListField(child=_ReferenceField(), required=False)


@extend_schema_serializer(component_name="AnalysisFinding")
class _FindingSerializer(serializers.Serializer):
    rule = serializers.CharField(allow_blank=True)
    clause = serializers.CharField(allow_blank=True)
    severity = serializers.ChoiceField(choices=SEVERITIES)
    evidence = serializers.CharField(allow_blank=True, help_text="Empty for a missing clause.")
    message = serializers.CharField(allow_blank=True)
    suggestion = serializers.CharField(allow_blank=True)


# The server-sent events of a streamed chat answer (`_sse_events`), for the schema: each
# event's name, and its data (JSON text) by the component it holds.
@extend_schema_serializer(component_name="ChatStreamDelta")
class _StreamDeltaSerializer(serializers.Serializer):
    delta = serializers.CharField(help_text="The next piece of the answer, to append.")


@extend_schema_serializer(component_name="ChatStreamDone")
class _StreamDoneSerializer(serializers.Serializer):
    tokensUsed = serializers.IntegerField(source="tokens_used")
    cached = serializers.BooleanField()
    references = _references()


@extend_schema_serializer(component_name="ChatStreamError")
class _StreamErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the answer stopped; the deltas before it stand.")


@extend_schema_serializer(component_name="ChatStreamDeltaEvent")
class _DeltaEventSerializer(serializers.Serializer):
    event = EventNameField("message", help_text="No `event:` line: a plain message.")
    data = EventDataField(_StreamDeltaSerializer)


@extend_schema_serializer(component_name="ChatStreamDoneEvent")
class _DoneEventSerializer(serializers.Serializer):
    event = EventNameField("done")
    data = EventDataField(_StreamDoneSerializer)


@extend_schema_serializer(component_name="ChatStreamErrorEvent")
class _ErrorEventSerializer(serializers.Serializer):
    event = EventNameField("error")
    data = EventDataField(_StreamErrorSerializer)


STREAM_EVENTS = PolymorphicProxySerializer(
    component_name="ChatStreamEvent",
    serializers=[_DeltaEventSerializer, _DoneEventSerializer, _ErrorEventSerializer],
    resource_type_field_name=None,
)


def event_stream_response(stream: ChatStream, headers: dict[str, str]) -> StreamingHttpResponse:
    """A chat stream as server-sent events: `data: {"delta": ...}` as the answer grows, then
    `event: done` with `{"tokensUsed", "cached", "references"?}` or `event: error` with
    `{"detail"}`.
    Shared with the staff chat page."""
    response = StreamingHttpResponse(_sse_events(stream), content_type="text/event-stream")
    # No proxy or browser may hold the events back or replay them.
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    for name, value in headers.items():
        response[name] = value
    return response


async def _sse_events(stream: ChatStream) -> AsyncIterator[str]:
    # Closed when the server stops reading (the client went away): closing the service's
    # events stops reading the provider and records the exchange as cancelled.
    async with aclosing(stream.events) as events:
        async for event in events:
            match event:
                case StreamDelta(text=text):
                    yield _sse({"delta": text})
                case StreamDone(result=result):
                    done = {"tokensUsed": result.tokens_used, "cached": result.cached}
                    if result.references:
                        done["references"] = result.references
                    yield _sse(done, event="done")
                case StreamFailed(error=error):
                    yield _sse({"detail": str(error.detail)}, event="error")


def _sse(data: dict[str, Any], *, event: str = "") -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


class _EventStreamRenderer(BaseRenderer):
    """Declares the streamed answer to the schema; post() writes the stream itself."""

    media_type = "text/event-stream"
    format = "event-stream"


def _wants_stream(request: HttpRequest | Request) -> bool:
    # DRF's format override (?format=event-stream, in the schema) asks for the stream too.
    return (
        "text/event-stream" in request.headers.get("Accept", "")
        or request.GET.get("format") == _EventStreamRenderer.format
    )


class ChatApi(AsyncAPIView):
    """Ask the assistant a question, optionally about one of the caller's cases.

    `userId` must be the caller's own id (`GET /api/auth/me`). The answer is one JSON body,
    or a stream of server-sent events (below). The conversation the question joined is in the
    X-Conversation-Id header; send it back as `context.conversationId` to continue it.

    **Streaming.** With `Accept: text/event-stream` (or `?format=event-stream`) the answer comes
    as server-sent events, each one or two lines and a blank line:

    - `data: {"delta": "..."}`: the next piece of the answer (`ChatStreamDelta`), any number;
    - then one of `event: done` and `data: {"tokensUsed": 42, "cached": false}`
      (`ChatStreamDone`, with the answer's `references` when it has any), or `event: error`
      and `data: {"detail": "..."}` (`ChatStreamError`)
      when the answer broke off: the deltas sent before it stand.

    The schema of the `text/event-stream` response is that of one event (`ChatStreamEvent`):
    its name, and its data, JSON text of the component named above. Errors found
    before the stream starts (400, 403, 404, 429) are JSON bodies, as documented. A streamed
    request ignores Idempotency-Key: a stream cannot be replayed.
    """

    parser_classes = (JSONParser,)
    throttle_classes = (AIRateThrottle,)
    rate_scope = "chat"
    renderer_classes = (JSONRenderer, _EventStreamRenderer)

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # Everything answered before a stream starts (400, 403, 404, 429) is JSON.
        if _wants_stream(request):
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema_serializer(component_name="ChatRequest")
    class InputSerializer(StrictSerializer):
        userId = UserIdField(source="user_id")
        message = serializers.CharField(max_length=MAX_MESSAGE_CHARS)
        context = _ContextSerializer(required=False)
        locale = serializers.RegexField(
            r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$", max_length=12, default="en"
        )

    @extend_schema_serializer(component_name="ChatResponse")
    class OutputSerializer(serializers.Serializer):
        answer = serializers.CharField()
        references = _references()
        # Always sent, optional in the contract (`tokensUsed?`, `cached?`).
        tokensUsed = serializers.IntegerField(source="tokens_used", required=False)
        cached = serializers.BooleanField(required=False)

        def to_representation(self, instance: Any) -> dict[str, Any]:
            data = super().to_representation(instance)
            # The contract's `references?`: the key is left out when there are none.
            if not data.get("references"):
                data.pop("references", None)
            return data

    @extend_schema(
        request=InputSerializer,
        responses={
            (200, "application/json"): OpenApiResponse(OutputSerializer, "The answer."),
            (200, "text/event-stream"): OpenApiResponse(
                STREAM_EVENTS, "The answer as server-sent events: deltas, then done or error."
            ),
            403: OpenApiResponse(description="userId is not the caller's id."),
            404: OpenApiResponse(description="context names a case or conversation not yours."),
            409: OpenApiResponse(
                description="context.conversationId is about another case than context.caseId; "
                "or the Idempotency-Key was used for another body, or its request still runs."
            ),
            422: OpenApiResponse(
                description="context's own keys are too large, too deep or hold a NUL."
            ),
            502: MISCONFIGURED_RESPONSE,
            503: BUSY_RESPONSE,
        },
        parameters=[IDEMPOTENCY_HEADER, CONVERSATION_HEADER],
        examples=[
            OpenApiExample(
                "A question",
                # Swagger UI (static/js/swagger-ui-caller.js) puts the caller's own id here.
                value={"userId": "1", "message": "What should a mutual NDA cover?", "locale": "en"},
                request_only=True,
            ),
        ],
    )
    async def post(self, request: Request) -> Response | StreamingHttpResponse:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["user_id"] != request.user.pk:
            raise PermissionDenied("userId must be the id of the authenticated user.")
        context = data.get("context", {})
        extra_context = context.get("extra")
        if extra_context and (problem := _extra_context_problem(extra_context)):
            raise RuleBroken({"context": {"non_field_errors": [problem]}})
        case, conversation = None, None
        if "case_id" in context or "conversation_id" in context:
            case, conversation = await db(
                _chat_context,
                request,
                case_id=context.get("case_id"),
                conversation_id=context.get("conversation_id"),
            )
        request_id = request_id_for(request)
        if _wants_stream(request):
            stream = await chat_stream(
                user=request.user,
                message=data["message"],
                case=case,
                conversation=conversation,
                locale=data["locale"],
                request_id=request_id,
                endpoint=request.path,
                extra_context=extra_context,
            )
            return event_stream_response(
                stream,
                {"X-Request-ID": request_id, "X-Conversation-Id": str(stream.conversation.pk)},
            )
        joined: list[int] = []

        async def produce(idempotency_key: str) -> tuple[dict, Consultation]:
            result = await chat_answer(
                user=request.user,
                message=data["message"],
                case=case,
                conversation=conversation,
                locale=data["locale"],
                request_id=request_id,
                idempotency_key=idempotency_key,
                endpoint=request.path,
                extra_context=extra_context,
            )
            joined.append(result.consultation.conversation_id)
            return self.OutputSerializer(result).data, result.consultation

        response = await _respond_once(request, request_id, produce)
        if not joined:  # a replay: the conversation of the stored answer
            answered = await db(
                consultation_answered_for_key,
                user=request.user,
                idempotency_key=idempotency_key_of(request),
            )
            joined.append(answered.conversation_id if answered else None)
        if joined[0] is not None:
            response["X-Conversation-Id"] = str(joined[0])
        return response


class AnalyzeApi(AsyncAPIView):
    """Check contract text against one of the firm's policies.

    Answers the policy's findings (each with its clause, severity, evidence and suggestion),
    the overall risk level and suggestions. The `policy` enum lists the firm's policies."""

    parser_classes = (JSONParser,)
    throttle_classes = (AIRateThrottle,)
    rate_scope = "analyze"

    @extend_schema_serializer(component_name="AnalyzeRequest")
    class InputSerializer(StrictSerializer):
        text = serializers.CharField(max_length=MAX_CONTRACT_CHARS)
        policy = RegistryNameField(names=tuple(POLICIES))

        def validate_policy(self, value: str) -> str:
            try:
                return get_policy(value).name
            except UnknownPolicy as exc:
                raise serializers.ValidationError(str(exc)) from exc

    @extend_schema_serializer(component_name="AnalyzeResponse")
    class OutputSerializer(serializers.Serializer):
        findings = _FindingSerializer(many=True)
        riskLevel = serializers.ChoiceField(source="risk_level", choices=SEVERITIES)
        suggestions = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            409: REPEATED_RESPONSE,
            502: MISCONFIGURED_RESPONSE,
            503: BUSY_RESPONSE,
        },
        parameters=[IDEMPOTENCY_HEADER],
        examples=[
            OpenApiExample(
                "An NDA missing clauses",
                value={
                    "text": (
                        "1. The Recipient shall keep the Discloser's information secret in "
                        "perpetuity. 2. The Recipient's liability under this agreement is "
                        "unlimited."
                    ),
                    "policy": "nda",
                },
                request_only=True,
            )
        ],
    )
    async def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        request_id = request_id_for(request)

        async def produce(idempotency_key: str) -> tuple[dict, Consultation]:
            result = await contract_analyze(
                user=request.user,
                text=data["text"],
                policy=data["policy"],
                request_id=request_id,
                idempotency_key=idempotency_key,
                endpoint=request.path,
            )
            return self.OutputSerializer(result).data, result.consultation

        return await _respond_once(request, request_id, produce)


class _ConsultationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Consultation.Kind.choices)
    caseId = serializers.IntegerField(source="case_id", allow_null=True)
    model = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Consultation.Outcome.choices)
    cached = serializers.BooleanField(source="cache_hit")
    tokensUsed = serializers.IntegerField(source="tokens_used")
    latencyMs = serializers.IntegerField(source="latency_ms")
    createdAt = serializers.DateTimeField(source="created_at")
    promptVersion = serializers.CharField(source="prompt_version")


class ConsultationListApi(ListAPIView):
    """The caller's own AI exchanges, newest first.

    25 a page; an exchange on a case only while the caller may still see the case."""

    @extend_schema_serializer(component_name="Consultation")
    class OutputSerializer(_ConsultationSerializer):
        pass

    serializer_class = OutputSerializer

    def get_queryset(self) -> QuerySet[Consultation]:
        return consultations_of(self.request.user)


class ConsultationDetailApi(APIView):
    """One AI exchange with its question and answer.

    The caller's own, for staff any on a case they may see now, for an admin any. Each opening
    is recorded as a view, as in the audit."""

    @extend_schema_serializer(component_name="ConsultationDetail")
    class OutputSerializer(_ConsultationSerializer):
        userId = UserIdField(source="user_id")
        conversationId = serializers.IntegerField(source="conversation_id", allow_null=True)
        question = serializers.CharField(
            allow_blank=True,
            help_text="A chat's question as asked, secrets masked; empty for analyze and draft, "
            "whose input is not kept.",
        )
        answer = serializers.CharField(
            allow_blank=True, help_text="What the user was shown (empty if the call failed)."
        )

    @extend_schema(
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="No such exchange, or not one the caller may see."),
        }
    )
    def get(self, request: Request, consultation_id: int) -> Response:
        consultation = consultation_get_visible(user=request.user, consultation_id=consultation_id)
        consultation_view_record(consultation=consultation, viewer=request.user)
        return Response(self.OutputSerializer(consultation).data)


class _ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    userId = UserIdField(source="user_id")
    caseId = serializers.IntegerField(source="case_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


@extend_schema_serializer(component_name="ConversationTurn")
class _TurnSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField(help_text="What the user was shown (part of it, if it broke).")
    createdAt = serializers.DateTimeField(source="created_at")
    cached = serializers.BooleanField(source="cache_hit")
    outcome = serializers.ChoiceField(choices=Consultation.Outcome.choices)


class ConversationListApi(ListAPIView):
    """The caller's conversations with the assistant, most recently active first.

    For staff also those on the cases they may see now; 25 a page."""

    @extend_schema_serializer(component_name="Conversation")
    class OutputSerializer(_ConversationSerializer):
        pass

    serializer_class = OutputSerializer

    def get_queryset(self) -> QuerySet[Conversation]:
        return conversations_visible_to(self.request.user)


class ConversationDetailApi(APIView):
    """One conversation with its turns, oldest first.

    A conversation the caller may not read answers 404, as an unknown id does."""

    @extend_schema_serializer(component_name="ConversationDetail")
    class OutputSerializer(_ConversationSerializer):
        turns = serializers.SerializerMethodField()

        @extend_schema_field(_TurnSerializer(many=True))
        def get_turns(self, conversation: Conversation) -> list[dict[str, Any]]:
            return _TurnSerializer(conversation_turns(conversation), many=True).data

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get_visible(user=request.user, conversation_id=conversation_id)
        return Response(self.OutputSerializer(conversation).data)


def _chat_context(
    request: Request, *, case_id: int | None, conversation_id: int | None
) -> tuple[Case | None, Conversation | None]:
    """The case and the conversation a question names, each only when the caller may use it
    (404 otherwise)."""
    user = request.user
    case = None if case_id is None else case_get_visible(user=user, case_id=case_id)
    conversation = (
        None
        if conversation_id is None
        else conversation_get_owned(user=user, conversation_id=conversation_id)
    )
    if case is None and conversation is not None and conversation.case_id is not None:
        # Continued without caseId: still only while the caller may see the case.
        case = case_get_visible(user=user, case_id=conversation.case_id)
    return case, conversation
