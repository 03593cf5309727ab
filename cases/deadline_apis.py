"""The deadlines API: a case's deadlines (/api/cases/{caseId}/deadlines) and one deadline
(/api/deadlines/{deadlineId}).

Visibility is cases.selectors' rule: who may see a case sees its deadlines, and a deadline the
caller may not see is a 404. Adding, changing, completing and deleting are for staff who may
change the case (403 otherwise). A responsible lawyer who is not on the case is a rule the
schema cannot say: 422.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.fields import UserIdField, UserPrimaryKeyField
from accounts.models import User
from cases.deadlines import (
    deadline_complete,
    deadline_create,
    deadline_delete,
    deadline_reopen,
    deadline_update,
)
from cases.models import Deadline
from cases.selectors import case_can_edit, case_get_visible, deadline_get_visible, deadlines_of_case
from config.api import RuleBroken, StrictSerializer, camel_case
from config.errors import PermissionDenied
from config.pagination import PageNumberPagination

# The wire's names of the model's fields where camel_case alone does not give them.
_WIRE_NAMES = {"responsible": "responsibleId"}
NOTES_MAX_LENGTH = Deadline._meta.get_field("notes").max_length


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "14:30",
    }
)
class LocalTimeField(serializers.TimeField):
    """A time of day in the firm's time zone, `HH:MM` (seconds taken, and dropped): the
    schema's `format: time` would ask for an offset, which a deadline's time has none of."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class DeadlineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    caseId = serializers.IntegerField(source="case_id")
    dueDate = serializers.DateField(source="due_date")
    dueTime = LocalTimeField(
        source="due_time", allow_null=True, help_text="null: due by the end of the day."
    )
    kind = serializers.ChoiceField(choices=Deadline.Kind.choices)
    responsibleId = UserIdField(source="responsible_id", help_text="One of the case's lawyers.")
    notes = serializers.CharField()
    done = serializers.BooleanField(source="is_done")
    overdue = serializers.BooleanField(
        source="is_overdue", help_text="Open and past due, in the firm's time zone."
    )
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)
    completedById = UserIdField(source="completed_by_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class DeadlineInputSerializer(StrictSerializer):
    # Shown by the API but never written by a caller: sending one is an error, not a no-op.
    read_only_names = frozenset(
        {"id", "caseId", "overdue", "completedAt", "completedById", "createdAt", "updatedAt"}
    )

    dueDate = serializers.DateField(source="due_date", help_text="YYYY-MM-DD.")
    dueTime = LocalTimeField(
        source="due_time",
        required=False,
        allow_null=True,
        help_text="HH:MM, in the firm's time zone; null or left out: by the end of the day.",
    )
    kind = serializers.ChoiceField(choices=Deadline.Kind.choices)
    responsibleId = UserPrimaryKeyField(
        source="responsible",
        queryset=User.objects.filter(role=User.Role.LAWYER),
        error_messages={"does_not_exist": "No lawyer has id {pk_value}."},
        help_text="One of the case's lawyers.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)
    done = serializers.BooleanField(
        required=False,
        help_text="true completes the deadline (by the caller, now); false reopens it.",
    )


def _rule_broken(exc: ValidationError) -> RuleBroken:
    return RuleBroken(
        {
            _WIRE_NAMES.get(name, camel_case(name)): messages
            for name, messages in exc.message_dict.items()
        }
    )


_NOT_FOUND = OpenApiResponse(description="No such deadline, or not one you may see.")
_RULE_BROKEN = OpenApiResponse(
    description="The responsible lawyer is not on the case (`errors.responsibleId`)."
)


class CaseDeadlineListCreateApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="listCaseDeadlines",
        responses={
            200: DeadlineOutputSerializer(many=True),
            404: OpenApiResponse(description="No such case, or not one you may see."),
        },
    )
    def get(self, request: Request, case_id: int) -> Response:
        """The deadlines of a case the caller may see, 25 a page, soonest first, done ones too.

        Clients see their own cases' deadlines; another user's case answers 404."""
        case = case_get_visible(user=request.user, case_id=case_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            deadlines_of_case(user=request.user, case=case), request, view=self
        )
        return paginator.get_paginated_response(DeadlineOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="createCaseDeadline",
        request=DeadlineInputSerializer,
        responses={
            201: DeadlineOutputSerializer,
            403: OpenApiResponse(description="Only staff who may change the case add to it."),
            404: OpenApiResponse(description="No such case, or not one you may see."),
            422: _RULE_BROKEN,
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        """Add a deadline to a case (lawyers on the case and admins).

        `done: true` adds it already completed."""
        case = case_get_visible(user=request.user, case_id=case_id)
        # Refused before the body is read, so a client learns nothing from validation errors.
        if not case_can_edit(request.user, case):
            raise PermissionDenied("You may not change this case's deadlines.")
        serializer = DeadlineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        done = fields.pop("done", False)
        try:
            with transaction.atomic():
                deadline = deadline_create(actor=request.user, case=case, **fields)
                if done:
                    deadline = deadline_complete(actor=request.user, deadline=deadline)
        except ValidationError as exc:
            raise _rule_broken(exc) from exc
        return Response(
            DeadlineOutputSerializer(deadline).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/deadlines/{deadline.pk}"},
        )


class DeadlineRetrieveUpdateDeleteApi(APIView):
    @extend_schema(
        operation_id="getDeadline", responses={200: DeadlineOutputSerializer, 404: _NOT_FOUND}
    )
    def get(self, request: Request, deadline_id: int) -> Response:
        """One deadline the caller may see."""
        deadline = deadline_get_visible(user=request.user, deadline_id=deadline_id)
        return Response(DeadlineOutputSerializer(deadline).data)

    @extend_schema(
        operation_id="updateDeadline",
        request=DeadlineInputSerializer(partial=True),
        responses={
            200: DeadlineOutputSerializer,
            403: OpenApiResponse(description="Visible to you but not yours to change."),
            404: _NOT_FOUND,
            422: _RULE_BROKEN,
        },
    )
    def patch(self, request: Request, deadline_id: int) -> Response:
        """Change some of a deadline's fields, complete it (`done: true`) or reopen it
        (`done: false`) (lawyers on the case and admins).

        Only the fields sent change; the others keep their values."""
        deadline = deadline_get_visible(user=request.user, deadline_id=deadline_id)
        if not case_can_edit(request.user, deadline.case):
            raise PermissionDenied("You may not change this case's deadlines.")
        serializer = DeadlineInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(serializer.validated_data)
        done = fields.pop("done", None)
        try:
            with transaction.atomic():
                if fields:
                    deadline = deadline_update(actor=request.user, deadline=deadline, **fields)
                if done is True:
                    deadline = deadline_complete(actor=request.user, deadline=deadline)
                elif done is False:
                    deadline = deadline_reopen(actor=request.user, deadline=deadline)
        except ValidationError as exc:
            raise _rule_broken(exc) from exc
        return Response(DeadlineOutputSerializer(deadline).data)

    @extend_schema(
        operation_id="deleteDeadline",
        responses={
            204: None,
            403: OpenApiResponse(description="Visible to you but not yours to delete."),
            404: _NOT_FOUND,
        },
    )
    def delete(self, request: Request, deadline_id: int) -> Response:
        """Delete a deadline (lawyers on the case and admins); its history keeps the deletion."""
        deadline = deadline_get_visible(user=request.user, deadline_id=deadline_id)
        deadline_delete(actor=request.user, deadline=deadline)
        return Response(status=status.HTTP_204_NO_CONTENT)
