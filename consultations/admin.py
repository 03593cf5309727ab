"""The audit of AI exchanges: every Consultation, read-only, and a record of who looked at one.

Nothing here can add, change or delete a row: the audit trail is written only by the services
that made the calls. Admins may read and export it; opening one writes a ConsultationView, and
exporting writes a ConsultationExport and a ConsultationView per exported consultation.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from consultations.admin_views import cache_view, dashboard_csv_view, dashboard_view
from consultations.exports import consultation_export_start, consultations_exported
from consultations.models import (
    Budget,
    CacheInvalidation,
    Consultation,
    ConsultationExport,
    ConsultationView,
    ToolCall,
)
from consultations.services import consultation_view_record

# The answer is left out on purpose: it is what the user saw, with the identities the scrubber
# replaced restored, so it is the one stored field that carries raw personal data.
CSV_COLUMNS = (
    "id",
    "created_at",
    "request_id",
    "user",
    "case",
    "kind",
    "outcome",
    "error_code",
    "provider",
    "model",
    "prompt_name",
    "prompt_version",
    "policy",
    "policy_version",
    "cache_hit",
    "prompt_tokens",
    "completion_tokens",
    "cost_estimate",
    "latency_ms",
    "attempts",
    "redactions",
    "sent_text",
)

# A spreadsheet runs a cell that starts with one of these as a formula; user text must not.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str | int | Decimal:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv_row(consultation: Consultation) -> list[str | int | Decimal]:
    values = {
        "created_at": consultation.created_at.isoformat(),
        "user": consultation.user.username,
        "case": consultation.case.reference if consultation.case else "",
    }
    return [_csv_cell(values.get(name, getattr(consultation, name, ""))) for name in CSV_COLUMNS]


class _Echo:
    """A file-like object whose write hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(consultations: Iterable[Consultation]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for consultation in consultations:
        yield writer.writerow(_csv_row(consultation))


def _csv_response(
    request: HttpRequest, consultations: QuerySet[Consultation], scope: ConsultationExport.Scope
) -> StreamingHttpResponse:
    export = consultation_export_start(
        exporter=request.user, scope=scope, query=request.GET.urlencode()
    )
    rows = consultations_exported(
        export=export, consultations=consultations.select_related("user", "case")
    )
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    filename = f"consultations-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReadOnlyAdminMixin:
    """Admins may look; nobody may add, change or delete, not even a superuser."""

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_active and request.user.is_firm_admin

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ConsultationViewInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConsultationView
    fields = ("viewed_at", "viewer", "export")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "view"
    verbose_name_plural = "Viewed by"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsultationView]:
        return super().get_queryset(request).select_related("viewer", "export__exporter")


_TOOL_CALL_FIELDS = (
    "created_at",
    "tool",
    "arguments",
    "case",
    "result_size",
    "elapsed_ms",
    "cached",
    "error_code",
    "error_message",
)


class ToolCallInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The tools the model called to answer (consultations.tools): what it asked, not what
    it was told (results are never stored)."""

    model = ToolCall
    fields = _TOOL_CALL_FIELDS
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "tool call"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ToolCall]:
        return super().get_queryset(request).select_related("case")


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "case",
        "kind",
        "outcome",
        "model",
        "cache_hit",
        "tokens",
        "latency_ms",
        "cost",
    )
    list_filter = (
        "kind",
        "outcome",
        "model",
        "cache_hit",
        "created_at",
        ("user", admin.RelatedOnlyFieldListFilter),
        ("case", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("request_id", "user__username", "case__reference", "error_code")
    date_hierarchy = "created_at"
    list_select_related = ("user", "case")
    # The audit table only grows; an exact count of every row on each page load is not worth it.
    show_full_result_count = False
    actions = ("export_csv",)
    inlines = (ToolCallInline, ConsultationViewInline)
    fieldsets = (
        (None, {"fields": ("created_at", "user", "case", "kind", "outcome", "error_code")}),
        (
            "Provider",
            {
                "fields": (
                    "provider",
                    "model",
                    "prompt_name",
                    "prompt_version",
                    "policy",
                    "policy_version",
                )
            },
        ),
        (
            "Exchange",
            {
                "fields": (
                    "conversation",
                    "question",
                    "sent_text",
                    "answer",
                    "redactions",
                    "unrestored_placeholders",
                    "citations_dropped",
                )
            },
        ),
        (
            "Cost and timing",
            {
                "fields": (
                    "cache_hit",
                    "prompt_tokens",
                    "completion_tokens",
                    "cost_estimate",
                    "latency_ms",
                    "attempts",
                )
            },
        ),
        (
            "Request",
            {
                "classes": ("collapse",),
                "fields": (
                    "request_id",
                    "idempotency_key",
                    "request_fingerprint",
                    "response_body",
                    "updated_at",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [field.name for field in Consultation._meta.fields]

    @admin.display(description="Tokens")
    def tokens(self, consultation: Consultation) -> int:
        return consultation.tokens_used

    @admin.display(description="Cost (USD)", ordering="cost_estimate")
    def cost(self, consultation: Consultation) -> str:
        return f"{consultation.cost_estimate:.4f}"

    @admin.action(description="Export selected consultations as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Consultation]
    ) -> StreamingHttpResponse:
        return _csv_response(request, queryset, ConsultationExport.Scope.SELECTED)

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="consultations_consultation_export",
        )
        operator_pages = [
            path(
                "dashboard/",
                self.admin_site.admin_view(partial(dashboard_view, model_admin=self)),
                name="consultations_consultation_dashboard",
            ),
            path(
                "dashboard/<slug:chart>.csv",
                self.admin_site.admin_view(dashboard_csv_view),
                name="consultations_consultation_dashboard_csv",
            ),
            path(
                "cache/",
                self.admin_site.admin_view(partial(cache_view, model_admin=self)),
                name="consultations_consultation_cache",
            ),
        ]
        return [export, *operator_pages, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Every row the changelist shows for the same query string, on all its pages."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter.")
        return _csv_response(
            request, changelist.get_queryset(request), ConsultationExport.Scope.FILTERED
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        # Only a page that actually showed the consultation counts as a view (not a redirect
        # for a missing id, not a refused POST).
        if request.method == "GET" and isinstance(response, TemplateResponse):
            consultation = response.context_data.get("original")
            if consultation is not None:
                consultation_view_record(consultation=consultation, viewer=request.user)
        return response


@admin.register(ConsultationView)
class ConsultationViewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("viewed_at", "viewer", "consultation_link", "consultation_user", "export")
    list_filter = (
        ("viewer", admin.RelatedOnlyFieldListFilter),
        ("export", admin.EmptyFieldListFilter),
        "viewed_at",
    )
    search_fields = ("viewer__username", "consultation__request_id", "consultation__user__username")
    date_hierarchy = "viewed_at"
    list_select_related = (
        "viewer",
        "consultation",
        "consultation__user",
        "export",
        "export__exporter",
    )
    fields = ("viewed_at", "viewer", "consultation", "export")
    readonly_fields = fields

    @admin.display(description="Consultation", ordering="consultation")
    def consultation_link(self, view: ConsultationView) -> str:
        url = reverse("admin:consultations_consultation_change", args=[view.consultation_id])
        return format_html('<a href="{}">{}</a>', url, view.consultation)

    @admin.display(description="Whose consultation", ordering="consultation__user__username")
    def consultation_user(self, view: ConsultationView) -> str:
        return view.consultation.user.username


@admin.register(ConsultationExport)
class ConsultationExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who downloaded which consultations as CSV; each one's rows are its ConsultationViews."""

    list_display = ("exported_at", "exporter", "scope", "query", "rows", "consultations_link")
    list_filter = (("exporter", admin.RelatedOnlyFieldListFilter), "scope", "exported_at")
    search_fields = ("exporter__username", "query")
    date_hierarchy = "exported_at"
    list_select_related = ("exporter",)
    fields = ("exported_at", "exporter", "scope", "query", "rows")
    readonly_fields = fields

    @admin.display(description="Consultations")
    def consultations_link(self, export: ConsultationExport) -> str:
        url = reverse("admin:consultations_consultationview_changelist")
        return format_html('<a href="{}?export__id__exact={}">the rows</a>', url, export.pk)


@admin.register(ToolCall)
class ToolCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every tool call, by a model in a chat or by an MCP client."""

    list_display = (
        "created_at",
        "user",
        "channel",
        "tool",
        "case",
        "consultation",
        "cached",
        "result_size",
        "elapsed_ms",
        "error_code",
    )
    list_filter = (
        "tool",
        "channel",
        "cached",
        "error_code",
        "created_at",
        ("user", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("request_id", "user__username", "case__reference", "tool")
    date_hierarchy = "created_at"
    list_select_related = ("user", "case", "consultation")
    show_full_result_count = False
    fields = ("user", "channel", "consultation", "request_id", *_TOOL_CALL_FIELDS)
    readonly_fields = fields


@admin.register(CacheInvalidation)
class CacheInvalidationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who emptied which part of a cache layer (done from the cache page, never here)."""

    list_display = ("created_at", "user", "layer", "kind", "prompt_version", "tool", "keys_deleted")
    list_filter = ("layer", "kind", "created_at")
    list_select_related = ("user",)
    fields = list_display
    readonly_fields = fields


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """Monthly AI budgets; what each has spent is on the AI dashboard."""

    list_display = ("__str__", "scope", "monthly_tokens", "monthly_cost_usd", "updated_at")
    list_filter = ("scope",)
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    fields = ("scope", "user", "monthly_tokens", "monthly_cost_usd")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_firm_admin

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_active and request.user.is_firm_admin

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_firm_admin

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_active and request.user.is_firm_admin

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_active and request.user.is_firm_admin
