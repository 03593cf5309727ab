"""The documents API: a case's documents (/api/cases/{caseId}/documents), the firm's knowledge
base (/api/knowledge-base/documents), and one document (/api/documents/{documentId}, its
download).

Visibility is cases.selectors' rule: who may see a case sees its documents, staff see the
knowledge base, and a document the caller may not see is a 404. Uploading and deleting are
for staff who may change the case, and for admins in the knowledge base (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import parsers, renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.documents import (
    document_access_record,
    document_delete,
    document_upload,
    document_upload_allowed,
)
from cases.downloads import document_download_response
from cases.models import Case, Document, DocumentAccess
from cases.selectors import (
    case_get_visible,
    document_get_visible,
    documents_visible_to,
)
from cases.uploads import ACCEPTED, FORMATS, UploadRefused
from config.api import StrictSerializer
from config.errors import PermissionDenied
from config.pagination import PageNumberPagination
from config.request_ids import request_id_for

MEGABYTES = settings.DOCUMENT_MAX_BYTES // (1024 * 1024)


class DocumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="The file's name as it was uploaded, made safe.")
    format = serializers.ChoiceField(choices=Document.Format.choices)
    contentType = serializers.CharField(source="content_type")
    size = serializers.IntegerField(help_text="Bytes.")
    status = serializers.ChoiceField(
        choices=Document.Status.choices,
        help_text="queued, then extracting, then ready (searchable) or failed.",
    )
    failureReason = serializers.CharField(
        source="failure_reason", help_text="Why extraction failed; empty otherwise."
    )
    pageCount = serializers.IntegerField(
        source="page_count", allow_null=True, help_text="Known once the text is extracted."
    )
    caseId = serializers.IntegerField(
        source="case_id", allow_null=True, help_text="null: a document of the knowledge base."
    )
    sha256 = serializers.CharField(help_text="Of the file's content, hex.")
    createdAt = serializers.DateTimeField(source="created_at")


@extend_schema_field({"type": "string", "format": "binary"})
class UploadedFileField(serializers.FileField):
    """A file part of a multipart body (the schema would otherwise say a URL)."""


class DocumentUploadSerializer(StrictSerializer):
    file = UploadedFileField(
        allow_empty_file=True,  # refused by cases.uploads, in its own words
        help_text=f"{ACCEPTED}, up to {MEGABYTES} MB. The type is judged by the extension "
        "and the content together; an encrypted PDF is refused.",
    )


_UPLOAD_RESPONSES = {
    201: DocumentOutputSerializer,
    400: OpenApiResponse(
        description="The file is refused (`errors.file` says why): empty, too large, of a "
        "type Counsel does not read, content that does not match its extension, an "
        "encrypted PDF."
    ),
    413: OpenApiResponse(description=f"The body is larger than an upload may be ({MEGABYTES} MB)."),
    415: OpenApiResponse(description="The body is not multipart/form-data."),
}


def _upload(request: Request, case: Case | None) -> Response:
    serializer = DocumentUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        document = document_upload(
            user=request.user,
            case=case,
            file=serializer.validated_data["file"],
            request_id=request_id_for(request),
        )
    except UploadRefused as exc:
        raise serializers.ValidationError({exc.field: [exc.detail]}) from exc
    return Response(
        DocumentOutputSerializer(document).data,
        status=status.HTTP_201_CREATED,
        headers={"Location": f"/api/documents/{document.pk}"},
    )


def _page(view: APIView, request: Request, documents: Any) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(documents, request, view=view)
    return paginator.get_paginated_response(DocumentOutputSerializer(page, many=True).data)


class CaseDocumentListUploadApi(APIView):
    pagination_class = PageNumberPagination
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        operation_id="listCaseDocuments",
        responses={200: DocumentOutputSerializer(many=True)},
    )
    def get(self, request: Request, case_id: int) -> Response:
        """The documents of a case the caller may see, 25 a page, newest first.

        Clients see their own cases' documents; another user's case answers 404."""
        case = case_get_visible(user=request.user, case_id=case_id)
        return _page(self, request, documents_visible_to(request.user).filter(case=case))

    @extend_schema(
        operation_id="uploadCaseDocument",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            **_UPLOAD_RESPONSES,
            403: OpenApiResponse(description="Only staff who may change the case upload to it."),
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        """Upload a document to a case (lawyers on the case and admins).

        The answer is the document, `queued`: its text is extracted in the background, and
        `GET /api/documents/{documentId}` tells when it is `ready` (or `failed`, and why)."""
        case = case_get_visible(user=request.user, case_id=case_id)
        document_upload_allowed(user=request.user, case=case)  # before the body is parsed
        return _upload(request, case)


class KnowledgeBaseDocumentListUploadApi(APIView):
    pagination_class = PageNumberPagination
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        operation_id="listKnowledgeBaseDocuments",
        responses={
            200: DocumentOutputSerializer(many=True),
            403: OpenApiResponse(description="Clients never see the knowledge base."),
        },
    )
    def get(self, request: Request) -> Response:
        """The firm's knowledge base (staff), 25 a page, newest first.

        Firm-wide documents (policies, precedents, checklists) that every lawyer's questions
        may draw on."""
        if not request.user.is_staff_member:
            raise PermissionDenied("The knowledge base is for the firm's staff.")
        return _page(self, request, documents_visible_to(request.user).filter(case__isnull=True))

    @extend_schema(
        operation_id="uploadKnowledgeBaseDocument",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            **_UPLOAD_RESPONSES,
            403: OpenApiResponse(description="Only admins add to the knowledge base."),
        },
    )
    def post(self, request: Request) -> Response:
        """Upload a document to the knowledge base (admins).

        Its text is extracted in the background, as for a case's document."""
        document_upload_allowed(user=request.user, case=None)  # before the body is parsed
        return _upload(request, None)


class DocumentRetrieveDeleteApi(APIView):
    @extend_schema(
        operation_id="getDocument",
        responses={
            200: DocumentOutputSerializer,
            404: OpenApiResponse(description="No such document, or not one you may see."),
        },
    )
    def get(self, request: Request, document_id: int) -> Response:
        """One document the caller may see, with its extraction status; the view is recorded.

        Poll it after an upload until `status` is `ready` or `failed`."""
        document = document_get_visible(user=request.user, document_id=document_id)
        document_access_record(
            user=request.user,
            document=document,
            action=DocumentAccess.Action.VIEW,
            request_id=request_id_for(request),
        )
        return Response(DocumentOutputSerializer(document).data)

    @extend_schema(
        operation_id="deleteDocument",
        responses={
            204: None,
            403: OpenApiResponse(description="Visible to you but not yours to delete."),
            404: OpenApiResponse(description="No such document, or not one you may see."),
        },
    )
    def delete(self, request: Request, document_id: int) -> Response:
        """Delete a document, its file and its passages (staff who may change its case; admins
        in the knowledge base).

        The trail of who uploaded, viewed and downloaded it stays, with its title."""
        document = document_get_visible(user=request.user, document_id=document_id)
        document_delete(user=request.user, document=document, request_id=request_id_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnyMediaRenderer(renderers.BaseRenderer):
    """Lets a download answer whatever its caller accepts (`Accept: application/pdf`): the
    view returns the file itself, never data to render."""

    media_type = "*/*"
    format = "download"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> Any:
        return data


# Each format's content type, without its parameters (a charset), as the schema names media.
DOWNLOAD_MEDIA_TYPES = sorted({content_type.split(";")[0] for _, content_type in FORMATS.values()})


class DocumentDownloadApi(APIView):
    # Its errors are problems (config.api), rendered without a renderer.
    renderer_classes = [AnyMediaRenderer]

    @extend_schema(
        operation_id="downloadDocument",
        responses={
            **{
                (200, media_type): OpenApiResponse(
                    response=OpenApiTypes.BINARY,
                    description="The file as it was uploaded, as an attachment named by its "
                    "title; its Content-Type is the document's `contentType`.",
                )
                for media_type in DOWNLOAD_MEDIA_TYPES
            },
            404: OpenApiResponse(description="No such document, or not one you may see."),
        },
    )
    def get(self, request: Request, document_id: int) -> FileResponse:
        """Download a document's file; the download is recorded.

        Always an attachment with `X-Content-Type-Options: nosniff`: a browser saves it and
        never renders it in Counsel's origin."""
        document = document_get_visible(user=request.user, document_id=document_id)
        return document_download_response(
            user=request.user, document=document, request_id=request_id_for(request)
        )
