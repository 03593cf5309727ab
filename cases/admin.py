from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User
from cases.documents import document_delete, document_upload
from cases.models import Case, Deadline, Document, DocumentAccess
from cases.uploads import ACCEPTED, UploadRefused, upload_check
from config.request_ids import request_id_for


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
    # The case's history page lists its deadlines' changes too (added, changed, completed,
    # reopened, deleted, and by whom), deleted deadlines included.
    object_history_template = "admin/cases/case/object_history.html"

    def render_history_view(
        self, request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any
    ) -> HttpResponse:
        # Also renders one past version (history_form_view), which lists nothing.
        case = context.get("object")
        if isinstance(case, Case):
            context["deadline_history"] = (
                Deadline.history.filter(case_id=case.pk)
                .select_related("history_user")
                .order_by("-history_date", "-history_id")
            )
        return super().render_history_view(request, template, context, **kwargs)

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


class KnowledgeBaseDocumentForm(forms.ModelForm):
    """Adding a document in the admin adds it to the knowledge base, checked as any upload."""

    class Meta:
        model = Document
        fields = ("file",)
        help_texts = {"file": f"{ACCEPTED}, up to {settings.DOCUMENT_MAX_BYTES // 2**20} MB."}

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        try:
            upload_check(file)
        except UploadRefused as exc:
            raise forms.ValidationError(exc.detail) from exc
        return file


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Every document, on cases and in the knowledge base. Admins add knowledge-base
    documents here (through cases.documents.document_upload: checked, stored, queued for
    indexing) and delete documents (document_delete: the file goes too, the trail stays);
    nothing else changes a document by hand."""

    list_display = ("title", "case", "status", "format", "size", "uploaded_by", "created_at")
    list_filter = ("status", "format", ("case", admin.EmptyFieldListFilter))
    search_fields = ("title", "case__reference", "case__title", "sha256")
    list_select_related = ("case", "uploaded_by")
    date_hierarchy = "created_at"
    readonly_fields = (
        "title",
        "case",
        "stored_file",
        "format",
        "content_type",
        "size",
        "sha256",
        "status",
        "failure_reason",
        "page_count",
        "uploaded_by",
        "attempts",
        "embedding_model",
        "created_at",
        "updated_at",
    )

    @admin.display(description="File")
    def stored_file(self, document: Document) -> str:
        # Through the API's download, which checks access and records it: the storage's own
        # URL would be unserved (local) or a presigned link that bypasses both (S3).
        url = reverse("cases-api:document-download", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.file.name)

    def get_form(
        self, request: HttpRequest, obj: Document | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = KnowledgeBaseDocumentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Document | None = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Document | None = None) -> Any:
        return self.readonly_fields if obj is not None else ("file",)

    def has_change_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> Document:
        # Only adding reaches here (nothing is changed by hand); the service stores the row,
        # so save_model has nothing left to do.
        return document_upload(
            user=request.user,
            case=None,
            file=form.cleaned_data["file"],
            request_id=request_id_for(request),
        )

    # document_upload (save_form) saved the document, and it has nothing related to save.
    def save_model(
        self, request: HttpRequest, obj: Document, form: forms.ModelForm, change: bool
    ) -> None:
        pass

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        pass

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        document_delete(user=request.user, document=obj, request_id=request_id_for(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        request_id = request_id_for(request)
        for document in queryset.select_related("case"):
            document_delete(user=request.user, document=document, request_id=request_id)


@admin.register(DocumentAccess)
class DocumentAccessAdmin(admin.ModelAdmin):
    """The documents' trail: who uploaded, viewed, downloaded or deleted what, and when. Kept
    after a document is deleted; nobody adds, changes or deletes a line."""

    list_display = ("at", "user", "action", "document_title", "case", "request_id")
    list_filter = ("action", ("user", admin.RelatedOnlyFieldListFilter), "at")
    search_fields = ("document_title", "user__username", "case__reference", "request_id")
    date_hierarchy = "at"
    list_select_related = ("user", "case")
    fields = ("at", "user", "action", "document", "document_title", "case", "request_id")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: DocumentAccess | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: DocumentAccess | None = None
    ) -> bool:
        return False
