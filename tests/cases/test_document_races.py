"""Documents changed under each other: deleted twice at once (a double click), deleted while
a view or a download records itself, deleted while the worker reads it, the same file uploaded
twice. Committed transactions, as the requests and the worker run them (the trail's foreign
key is checked when a write commits on SQLite, at once on MariaDB)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from cases import indexing
from cases.documents import document_delete
from cases.downloads import document_download_response
from cases.indexing import document_index
from cases.models import Document, DocumentAccess, Passage
from config.errors import NotFound
from tests.documents import NOTICE, pdf_bytes, stored_document, upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_document_deleted_twice_at_once_is_deleted_once_and_the_second_is_told_it_is_gone(
    firm,
) -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    document.case = firm.case_a
    document.save()
    # Both requests loaded the document before either deleted it.
    first, second = Document.objects.get(pk=document.pk), Document.objects.get(pk=document.pk)

    document_delete(user=firm.lawyer_a, document=first, request_id="r-1")
    with pytest.raises(NotFound):
        document_delete(user=firm.lawyer_a, document=second, request_id="r-2")

    assert not Document.objects.filter(pk=document.pk).exists()
    assert list(DocumentAccess.objects.values_list("action", flat=True)) == ["delete"]


def test_a_download_of_a_document_deleted_since_it_was_looked_up_is_a_404(firm) -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    document.case = firm.case_a
    document.save()
    looked_up = Document.objects.get(pk=document.pk)
    document_delete(user=firm.lawyer_a, document=document, request_id="r-1")

    with pytest.raises(NotFound):
        document_download_response(user=firm.client_a, document=looked_up, request_id="r-2")

    assert list(DocumentAccess.objects.values_list("action", flat=True)) == ["delete"]


def test_a_document_deleted_while_the_worker_reads_it_ends_the_job_and_leaves_no_passages(
    firm, monkeypatch
) -> None:
    document = stored_document(pdf_bytes([NOTICE, NOTICE]), format="pdf")
    split = indexing.passages_split

    def deleted_meanwhile(pages: list[str]) -> list:
        gone = Document.objects.get(pk=document.pk)
        document_delete(user=firm.admin_a, document=gone, request_id="r-delete")
        return split(pages)

    monkeypatch.setattr(indexing, "passages_split", deleted_meanwhile)

    assert document_index(document_id=document.pk, task_id="t-1", request_id="r-1") is None
    assert not Passage.objects.exists()
    assert not Document.objects.exists()


def test_a_document_whose_file_is_removed_before_the_worker_reads_it_ends_the_job(firm) -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    document_delete(
        user=firm.admin_a, document=Document.objects.get(pk=document.pk), request_id="r"
    )

    assert document_index(document_id=document.pk, task_id="t-1", request_id="r-1") is None
    assert not Passage.objects.exists()


def test_the_same_file_uploaded_twice_is_two_documents_each_with_its_own_file(
    firm, api_client_for
) -> None:
    api = api_client_for(firm.lawyer_a)
    content = pdf_bytes([NOTICE])
    ids = [
        api.post(
            f"/api/cases/{firm.case_a.pk}/documents",
            {"file": upload("Lease.pdf", content)},
            format="multipart",
        ).json()["id"]
        for _ in range(2)
    ]
    for pk in ids:
        document = Document.objects.get(pk=pk)
        document_index(document_id=pk, task_id=document.task_id, request_id="r")
    first, second = Document.objects.filter(pk__in=ids).order_by("pk")

    assert (first.status, second.status) == ("ready", "ready")
    assert first.file.name != second.file.name
    assert api.delete(f"/api/documents/{first.pk}").status_code == 204
    assert api.delete(f"/api/documents/{first.pk}").status_code == 404
    assert (Path(settings.MEDIA_ROOT) / second.file.name).read_bytes() == content
    assert Passage.objects.filter(document=second).exists()
    assert api.get(f"/api/documents/{second.pk}/download").status_code == 200
