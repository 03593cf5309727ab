"""Documents in the Django admin: the knowledge base added through the upload service, the
trail read-only."""

from __future__ import annotations

import asyncio

import pytest
from django.urls import reverse

from cases.models import Document, DocumentAccess
from tests.asgi import asgi_get
from tests.documents import pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_knowledge_base_document_checked_stored_and_queued(
    page_client_for, admin_user, django_capture_on_commit_callbacks
):
    page = page_client_for(admin_user)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = page.post(
            reverse("admin:cases_document_add"), {"file": upload("Precedent.pdf", pdf_bytes())}
        )

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.case, document.title, document.status, document.uploaded_by) == (
        None,
        "Precedent.pdf",
        Document.Status.QUEUED,
        admin_user,
    )
    # The indexing task (the tool cache's versions move on at the same commit).
    assert len([c for c in queued if "publish_on_commit" in c.__qualname__]) == 1
    assert DocumentAccess.objects.get().action == DocumentAccess.Action.UPLOAD


def test_the_admin_refuses_an_encrypted_pdf_on_the_form(page_client_for, admin_user):
    response = page_client_for(admin_user).post(
        reverse("admin:cases_document_add"),
        {"file": upload("Locked.pdf", pdf_bytes(password="x"))},
    )

    assert response.status_code == 200
    assert "The PDF is encrypted" in response.content.decode()
    assert not Document.objects.exists()


def test_the_admin_lists_documents_and_deleting_one_keeps_the_trail(
    page_client_for, admin_user, django_capture_on_commit_callbacks
):
    page = page_client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        page.post(reverse("admin:cases_document_add"), {"file": upload("Checklist.md", b"# x")})
    document = Document.objects.get()

    listing = page.get(reverse("admin:cases_document_changelist"))
    change = page.get(reverse("admin:cases_document_change", args=[document.pk]))
    deleted = page.post(reverse("admin:cases_document_delete", args=[document.pk]), {"post": "yes"})

    assert "Checklist.md" in listing.content.decode()
    assert f'href="/api/documents/{document.pk}/download"' in change.content.decode()
    assert deleted.status_code == 302
    assert not Document.objects.exists()
    assert list(DocumentAccess.objects.order_by("id").values_list("action", flat=True)) == [
        "upload",
        "delete",
    ]


def test_the_document_trail_is_read_only(page_client_for, admin_user):
    page = page_client_for(admin_user)
    page.post(reverse("admin:cases_document_add"), {"file": upload("Note.txt", b"n")})
    access = DocumentAccess.objects.get()

    assert page.get(reverse("admin:cases_documentaccess_changelist")).status_code == 200
    assert page.get(reverse("admin:cases_documentaccess_add")).status_code == 403
    change = page.post(
        reverse("admin:cases_documentaccess_change", args=[access.pk]), {"action": "view"}
    )
    assert change.status_code == 403
    assert DocumentAccess.objects.get().action == "upload"


def test_the_server_refuses_a_body_larger_than_an_upload_before_reading_it(settings):
    too_large = str(settings.UPLOAD_MAX_BODY_BYTES + 1).encode()

    status, headers, body = asyncio.run(
        asgi_get("/api/cases/1/documents", [(b"content-length", too_large)])
    )

    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert b"The request body is too large." in body
