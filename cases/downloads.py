"""A document's file as a download: the one answer the pages and the API both give."""

from __future__ import annotations

from django.http import FileResponse

from accounts.models import User
from cases.documents import document_access_record
from cases.models import Document, DocumentAccess


def document_download_response(*, user: User, document: Document, request_id: str) -> FileResponse:
    """Record the download in the document's trail and stream its file from storage, as an
    attachment named by its title. Always `nosniff`: a browser saves it and never renders it
    in Counsel's origin; and never kept by a cache (`private, no-store`)."""
    document_access_record(
        user=user, document=document, action=DocumentAccess.Action.DOWNLOAD, request_id=request_id
    )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.title,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
