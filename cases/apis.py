"""The cases API (/api/cases), for the client-facing frontend.

One view per route rather than per operation, so that the collection and the item keep their
REST addresses: CaseListCreateApi (GET list, POST create) and CaseRetrieveUpdateApi (GET,
PUT, PATCH). The serializers are shared by both views, so they live at module level where the
two cannot drift apart. Visibility is cases.selectors' one rule: another user's case is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.fields import UserIdField, UserPrimaryKeyField
from accounts.models import User
from cases.deadline_apis import LocalTimeField
from cases.models import Case, Deadline
from cases.selectors import (
    ORDERINGS,
    case_can_create,
    case_can_edit,
    case_get_visible,
    case_list,
)
from cases.services import case_create, case_update
from config.api import StrictSerializer, TypedSerializer
from config.errors import PermissionDenied
from config.pagination import PageNumberPagination


class NextDeadlineSerializer(serializers.Serializer):
    dueDate = serializers.DateField(source="due_date")
    dueTime = LocalTimeField(
        source="due_time", allow_null=True, help_text="null: due by the end of the day."
    )
    kind = serializers.ChoiceField(choices=Deadline.Kind.choices)
    overdue = serializers.BooleanField(source="is_overdue")


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    practiceArea = serializers.ChoiceField(
        source="practice_area", choices=Case.PracticeArea.choices
    )
    status = serializers.ChoiceField(choices=Case.Status.choices)
    description = serializers.CharField()
    clientId = UserIdField(source="client_id")
    lawyerIds = serializers.SerializerMethodField()
    opposingParties = serializers.CharField(
        source="opposing_parties", help_text="One name per line."
    )
    nextDeadline = NextDeadlineSerializer(
        source="next_deadline",
        allow_null=True,
        help_text="The first open deadline (`/api/cases/{caseId}/deadlines`); null: none.",
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(serializers.ListField(child=UserIdField()))
    def get_lawyerIds(self, case: Case) -> list[str]:
        # .all() reads the lawyers the selectors prefetched.
        return [str(lawyer.pk) for lawyer in case.lawyers.all()]


class CaseInputSerializer(StrictSerializer):
    # Shown by the API but never written by a caller: sending one is an error, not a no-op.
    read_only_names = frozenset({"id", "reference", "nextDeadline", "createdAt", "updatedAt"})

    title = serializers.CharField(max_length=200)
    practiceArea = serializers.ChoiceField(
        source="practice_area", choices=Case.PracticeArea.choices
    )
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    clientId = UserPrimaryKeyField(
        source="client",
        queryset=User.objects.filter(role=User.Role.CLIENT),
        error_messages={"does_not_exist": "No client has id {pk_value}."},
    )
    lawyerIds = UserPrimaryKeyField(
        source="lawyers",
        many=True,
        required=False,
        queryset=User.objects.filter(role=User.Role.LAWYER),
        error_messages={"does_not_exist": "No lawyer has id {pk_value}."},
    )
    opposingParties = serializers.CharField(
        source="opposing_parties",
        required=False,
        allow_blank=True,
        max_length=5_000,
        help_text="One name per line.",
    )


class CaseFilterSerializer(TypedSerializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words to find in the title, reference, description or client's name, "
        "or in the text of the case's documents.",
    )
    # Blank, as a filter form sends it, means no filter.
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False, allow_blank=True)
    practiceArea = serializers.ChoiceField(
        source="practice_area",
        choices=Case.PracticeArea.choices,
        required=False,
        allow_blank=True,
    )
    ordering = serializers.ChoiceField(
        choices=ORDERINGS,
        required=False,
        allow_blank=True,
        help_text="updated (the default): most recently changed first; next-deadline: the "
        "soonest next open deadline first, cases without one last.",
    )


class CaseListCreateApi(APIView):
    # Also what tells drf-spectacular that the list is paginated.
    pagination_class = PageNumberPagination

    @extend_schema(parameters=[CaseFilterSerializer], responses=CaseOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The cases the caller may see, 25 a page, most recently changed first (or by
        `ordering`), each with its next open deadline.

        Clients see their own cases, lawyers the cases assigned to them, admins every case;
        the filters narrow that list."""
        filters = CaseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cases = case_list(user=request.user, **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cases, request, view=self)
        return paginator.get_paginated_response(CaseOutputSerializer(page, many=True).data)

    @extend_schema(
        request=CaseInputSerializer,
        responses={
            201: CaseOutputSerializer,
            403: OpenApiResponse(description="Clients cannot open cases."),
        },
    )
    def post(self, request: Request) -> Response:
        """Open a case (lawyers and admins).

        The case gets its reference from the server; the client and the lawyers are named by
        their user ids."""
        if not case_can_create(request.user):
            raise PermissionDenied("Only lawyers and admins open cases.")
        serializer = CaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = case_create(created_by=request.user, **serializer.validated_data)
        return Response(CaseOutputSerializer(case).data, status=status.HTTP_201_CREATED)


_UPDATE_RESPONSES = {
    200: CaseOutputSerializer,
    403: OpenApiResponse(description="The case is visible to you but not yours to change."),
    404: OpenApiResponse(description="No such case, or not one you may see."),
}


class CaseRetrieveUpdateApi(APIView):
    @extend_schema(responses={200: CaseOutputSerializer, 404: _UPDATE_RESPONSES[404]})
    def get(self, request: Request, case_id: int) -> Response:
        """One case the caller may see.

        Another user's case answers 404, as an unknown id does."""
        case = case_get_visible(user=request.user, case_id=case_id)
        return Response(CaseOutputSerializer(case).data)

    @extend_schema(request=CaseInputSerializer, responses=_UPDATE_RESPONSES)
    def put(self, request: Request, case_id: int) -> Response:
        """Change a case's fields, giving at least those a new case needs (its lawyers, admins).

        The optional fields left out keep their values."""
        return self._update(request, case_id, partial=False)

    @extend_schema(request=CaseInputSerializer, responses=_UPDATE_RESPONSES)
    def patch(self, request: Request, case_id: int) -> Response:
        """Change some of a case's fields (its lawyers and admins).

        Only the fields sent change; the others keep their values."""
        return self._update(request, case_id, partial=True)

    def _update(self, request: Request, case_id: int, *, partial: bool) -> Response:
        case = case_get_visible(user=request.user, case_id=case_id)
        # Refused before the body is read, so a client learns nothing from validation errors.
        if not case_can_edit(request.user, case):
            raise PermissionDenied("You may not change this case.")
        serializer = CaseInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        case = case_update(case=case, actor=request.user, **serializer.validated_data)
        return Response(CaseOutputSerializer(case).data)
