from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User
from cases.models import Case


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    """Cases for admins, with their change history ("History" on a case: what changed and
    who changed it, recorded by django-simple-history)."""

    list_display = ("reference", "title", "client", "practice_area", "status", "updated_at")
    list_filter = ("status", "practice_area", ("lawyers", admin.RelatedOnlyFieldListFilter))
    search_fields = (
        "reference",
        "title",
        "description",
        "client__username",
        "client__first_name",
        "client__last_name",
    )
    list_select_related = ("client",)
    readonly_fields = ("reference", "created_at", "updated_at")
    filter_horizontal = ("lawyers",)
    history_list_display = ("status", "title")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Cases are opened in Counsel itself, where cases.services.case_create gives them
        # their reference and checks their parties.
        return False

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "client":
            kwargs["queryset"] = User.objects.filter(role=User.Role.CLIENT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "lawyers":
            kwargs["queryset"] = User.objects.filter(role=User.Role.LAWYER)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
