"""Drafts and batches in the admin, read-only: they are written by the drafting services only
(the job, a lawyer's review), so an admin may look and filter, never add, change or delete."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from consultations.admin import ReadOnlyAdminMixin
from drafting.models import Draft, DraftBatch


def _all_fields(model: type[Model]) -> list[str]:
    return [field.name for field in model._meta.fields]


@admin.register(Draft)
class DraftAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "document_type",
        "version",
        "status",
        "author",
        "case",
        "batch",
        "quality_score",
        "approved_by",
        "created_at",
    )
    list_filter = (
        "document_type",
        "status",
        ("author", admin.RelatedOnlyFieldListFilter),
        ("case", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("=id", "author__username", "case__reference", "failure_reason")
    date_hierarchy = "created_at"
    list_select_related = ("author", "case", "batch", "approved_by")
    # The claim's token is the job's secret lease, of no use to a reader.
    exclude = ("claim_token",)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [name for name in _all_fields(Draft) if name != "claim_token"]


@admin.register(DraftBatch)
class DraftBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "document_type",
        "status",
        "author",
        "case",
        "total",
        "done",
        "failed",
        "created_at",
        "drafts_link",
    )
    list_filter = (
        "document_type",
        "status",
        ("author", admin.RelatedOnlyFieldListFilter),
        ("case", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("=id", "author__username", "case__reference")
    date_hierarchy = "created_at"
    list_select_related = ("author", "case")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [*_all_fields(DraftBatch), "drafts_link"]

    @admin.display(description="Drafts")
    def drafts_link(self, batch: DraftBatch) -> str:
        url = reverse("admin:drafting_draft_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{} rows</a>', url, batch.total)
