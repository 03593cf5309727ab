"""The documents API on the local storage: uploads and their refusals, who may list, see,
download and delete, and the trail each access leaves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings

from cases.models import Document, DocumentAccess
from tests.documents import EML, docx_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db

OUTPUT_KEYS = {
    "id",
    "title",
    "format",
    "contentType",
    "size",
    "status",
    "failureReason",
    "pageCount",
    "caseId",
    "sha256",
    "createdAt",
}


def documents_url(case) -> str:
    return f"/api/cases/{case.pk}/documents"


def post_file(api, url: str, name: str, content: bytes):
    return api.post(url, {"file": upload(name, content)}, format="multipart")


def stored_path(document: Document) -> Path:
    return Path(settings.MEDIA_ROOT) / document.file.name


def stored_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


# --- upload ---------------------------------------------------------------------------------


def test_a_lawyer_on_the_case_uploads_a_pdf_and_gets_it_back_queued(
    firm, api_client_for, django_capture_on_commit_callbacks
):
    content = pdf_bytes(["", ""])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_file(
            api_client_for(firm.lawyer_a), documents_url(firm.case_a), "Lease.pdf", content
        )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == OUTPUT_KEYS
    document = Document.objects.get()
    assert body["id"] == document.pk
    assert (body["title"], body["format"], body["contentType"]) == (
        "Lease.pdf",
        "pdf",
        "application/pdf",
    )
    assert (body["size"], body["status"], body["caseId"]) == (
        len(content),
        "queued",
        firm.case_a.pk,
    )
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["pageCount"] is None
    assert response.headers["Location"] == f"/api/documents/{document.pk}"
    assert stored_path(document).read_bytes() == content
    # The indexing task, published when the upload commits (the tool cache's versions move on
    # then too).
    published = [c for c in queued if "publish_on_commit" in c.__qualname__]
    assert len(published) == 1
    access = DocumentAccess.objects.get()
    assert (access.user, access.action, access.document, access.case) == (
        firm.lawyer_a,
        "upload",
        document,
        firm.case_a,
    )


def test_the_indexing_task_is_published_with_the_documents_id_after_the_commit(
    firm, api_client_for, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(
        "cases.tasks.document_process_task.apply_async",
        lambda args, task_id: published.append((args, task_id)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(
            api_client_for(firm.lawyer_a), documents_url(firm.case_a), "notes.md", b"# Notes\n"
        )

    document = Document.objects.get(pk=response.json()["id"])
    assert published == [((document.pk, published[0][0][1]), document.task_id)]


@pytest.mark.parametrize(
    ("name", "content", "format_", "content_type"),
    [
        (
            "Side letter.docx",
            docx_bytes(),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Délai de préavis: 3 mois\n".encode(), "txt", "text/plain; charset=utf-8"),
        ("README.markdown", b"# Checklist\n- sign\n", "md", "text/markdown; charset=utf-8"),
        ("letter.eml", EML, "eml", "message/rfc822"),
    ],
)
def test_each_accepted_format_is_taken(firm, api_client_for, name, content, format_, content_type):
    response = post_file(api_client_for(firm.admin_a), documents_url(firm.case_b), name, content)

    assert response.status_code == 201, response.json()
    assert (response.json()["format"], response.json()["contentType"]) == (format_, content_type)


def test_the_title_keeps_the_files_name_without_its_path_or_control_characters(
    firm, api_client_for
):
    response = post_file(
        api_client_for(firm.lawyer_a),
        documents_url(firm.case_a),
        "C:\\fakepath\\Lease\u202e\x07 final.txt",
        b"text",
    )

    assert response.status_code == 201
    document = Document.objects.get()
    assert document.title == "Lease final.txt"
    assert document.file.name.endswith("/Lease_final.txt")


UNKNOWN_TYPE = (
    "Only PDF, Word (.docx), text (.txt), Markdown (.md) and e-mail (.eml) files are accepted."
)
ENCRYPTED = "The PDF is encrypted (password-protected); upload a copy without a password."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "The file is empty."),
        (
            "tool.exe",
            b"MZ\x90\x00",
            UNKNOWN_TYPE,
        ),
        (
            "no-extension",
            b"text",
            UNKNOWN_TYPE,
        ),
        (
            "lease.pdf",
            b"just words, not a PDF",
            "The file's content is not a PDF, as its extension says.",
        ),
        ("lease.pdf", b"%PDF-1.7\nbroken", "The PDF is damaged and cannot be read."),
        ("lease.pdf", pdf_bytes(password="secret"), ENCRYPTED),
        (
            "letter.docx",
            pdf_bytes(),
            "The file's content is not a Word document (.docx), as its extension says.",
        ),
        (
            "archive.docx",
            b"PK\x03\x04 not really a zip",
            "The file's content is not a Word document (.docx), as its extension says.",
        ),
        (
            "notes.txt",
            pdf_bytes(),
            "The file is not text (UTF-8, without NUL characters), as its extension says.",
        ),
        (
            "notes.md",
            "caf\xe9".encode("latin-1"),
            "The file is not text (UTF-8, without NUL characters), as its extension says.",
        ),
        (
            "notes.txt",
            b"nul\x00inside",
            "The file is not text (UTF-8, without NUL characters), as its extension says.",
        ),
        (
            "letter.eml",
            b"Dear Sir,\r\n\r\nWe demand.\r\n",
            "The file's content is not an e-mail message, as its extension says.",
        ),
        (
            "letter.eml",
            b"Subject: no sender\r\n\r\nbody\r\n",
            "The file's content is not an e-mail message, as its extension says.",
        ),
    ],
    ids=[
        "empty",
        "unknown-type",
        "no-extension",
        "not-a-pdf",
        "damaged-pdf",
        "encrypted-pdf",
        "pdf-named-docx",
        "not-a-zip",
        "pdf-named-txt",
        "latin-1-markdown",
        "nul-in-text",
        "eml-without-headers",
        "eml-without-from",
    ],
)
def test_a_refused_file_is_a_400_with_its_reason_on_the_file_field(
    firm, api_client_for, name, content, message
):
    before = stored_files()

    response = post_file(api_client_for(firm.lawyer_a), documents_url(firm.case_a), name, content)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"file": [message]}
    assert not Document.objects.exists()
    assert not DocumentAccess.objects.exists()
    assert stored_files() == before


def test_a_25_mb_upload_is_taken_and_26_mb_is_refused(firm, api_client_for):
    api = api_client_for(firm.lawyer_a)
    limit = settings.DOCUMENT_MAX_BYTES
    assert limit == 25 * 1024 * 1024

    taken = post_file(api, documents_url(firm.case_a), "big.txt", b"a" * limit)
    refused = post_file(api, documents_url(firm.case_a), "bigger.txt", b"a" * (26 * 1024 * 1024))

    assert taken.status_code == 201
    assert taken.json()["size"] == limit
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"file": ["The file is larger than 25 MB."]}


def test_the_upload_body_must_be_multipart_with_one_file_field(firm, api_client_for):
    api = api_client_for(firm.lawyer_a)
    url = documents_url(firm.case_a)

    as_json = api.post(url, {"file": "x"}, format="json")
    missing = api.post(url, {}, format="multipart")
    extra = api.post(url, {"file": upload("a.txt", b"a"), "caseId": "2"}, format="multipart")

    assert as_json.status_code == 415
    assert missing.json()["errors"] == {"file": ["No file was submitted."]}
    assert extra.json()["errors"] == {"caseId": ["Unknown field."]}


# --- who may do what ------------------------------------------------------------------------


def uploaded(api_client_for, user, case, name="lease.txt", content=b"Lease terms.") -> Document:
    response = post_file(api_client_for(user), documents_url(case), name, content)
    assert response.status_code == 201, response.json()
    return Document.objects.get(pk=response.json()["id"])


def test_a_client_lists_views_and_downloads_their_own_cases_documents(firm, api_client_for):
    document = uploaded(api_client_for, firm.lawyer_a, firm.case_a, "Lease v2.txt", b"Terms.")
    api = api_client_for(firm.client_a)

    listing = api.get(documents_url(firm.case_a))
    detail = api.get(f"/api/documents/{document.pk}")
    download = api.get(f"/api/documents/{document.pk}/download")

    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["results"]] == [document.pk]
    assert detail.status_code == 200
    assert set(detail.json()) == OUTPUT_KEYS
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Terms."
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="Lease v2.txt"'
    assert download["X-Content-Type-Options"] == "nosniff"
    actions = list(
        DocumentAccess.objects.filter(user=firm.client_a)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["view", "download"]


def test_a_client_may_not_upload_to_or_delete_from_their_own_case(firm, api_client_for):
    document = uploaded(api_client_for, firm.lawyer_a, firm.case_a)
    api = api_client_for(firm.client_a)

    upload_response = post_file(api, documents_url(firm.case_a), "mine.txt", b"mine")
    delete_response = api.delete(f"/api/documents/{document.pk}")

    assert (upload_response.status_code, delete_response.status_code) == (403, 403)
    assert list(Document.objects.values_list("pk", flat=True)) == [document.pk]


def test_another_clients_case_and_its_documents_do_not_exist_for_a_client(firm, api_client_for):
    document = uploaded(api_client_for, firm.lawyer_b, firm.case_b)
    api = api_client_for(firm.client_a)

    for response in (
        api.get(documents_url(firm.case_b)),
        post_file(api, documents_url(firm.case_b), "x.txt", b"x"),
        api.get(f"/api/documents/{document.pk}"),
        api.get(f"/api/documents/{document.pk}/download"),
        api.delete(f"/api/documents/{document.pk}"),
    ):
        assert response.status_code == 404
    assert not DocumentAccess.objects.filter(user=firm.client_a).exists()


def test_a_lawyer_not_on_the_case_gets_404_for_it_and_its_documents(firm, api_client_for):
    document = uploaded(api_client_for, firm.lawyer_a, firm.case_a)
    api = api_client_for(firm.lawyer_b)

    assert api.get(documents_url(firm.case_a)).status_code == 404
    assert post_file(api, documents_url(firm.case_a), "x.txt", b"x").status_code == 404
    assert api.get(f"/api/documents/{document.pk}/download").status_code == 404
    assert api.delete(f"/api/documents/{document.pk}").status_code == 404


def test_a_lawyer_on_the_case_deletes_a_document_its_file_goes_and_the_trail_stays(
    firm, api_client_for, django_capture_on_commit_callbacks
):
    document = uploaded(api_client_for, firm.lawyer_a, firm.case_a, "Old lease.txt")
    path = stored_path(document)
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(firm.lawyer_a).delete(f"/api/documents/{document.pk}")

    assert response.status_code == 204
    assert not Document.objects.exists()
    assert not path.exists()
    trail = list(
        DocumentAccess.objects.order_by("id").values_list(
            "action", "document", "document_title", "case"
        )
    )
    assert trail == [
        ("upload", None, "Old lease.txt", firm.case_a.pk),
        ("delete", None, "Old lease.txt", firm.case_a.pk),
    ]
    assert api_client_for(firm.lawyer_a).get(f"/api/documents/{document.pk}").status_code == 404


# --- the knowledge base ---------------------------------------------------------------------

KB = "/api/knowledge-base/documents"


def test_an_admin_uploads_to_the_knowledge_base_and_staff_see_it_but_clients_do_not(
    firm, api_client_for
):
    response = post_file(api_client_for(firm.admin_a), KB, "Leave policy.md", b"# Leave\n")
    assert response.status_code == 201
    assert response.json()["caseId"] is None
    document_id = response.json()["id"]

    lawyer = api_client_for(firm.lawyer_a)
    client = api_client_for(firm.client_a)
    assert [item["id"] for item in lawyer.get(KB).json()["results"]] == [document_id]
    assert lawyer.get(f"/api/documents/{document_id}").json()["caseId"] is None
    assert client.get(KB).status_code == 403
    assert client.get(f"/api/documents/{document_id}").status_code == 404
    assert client.get(f"/api/documents/{document_id}/download").status_code == 404


def test_only_admins_add_to_or_delete_from_the_knowledge_base(firm, api_client_for):
    document_id = post_file(api_client_for(firm.admin_a), KB, "Policy.txt", b"p").json()["id"]

    assert post_file(api_client_for(firm.lawyer_a), KB, "Mine.txt", b"m").status_code == 403
    assert post_file(api_client_for(firm.client_a), KB, "Mine.txt", b"m").status_code == 403
    assert api_client_for(firm.lawyer_a).delete(f"/api/documents/{document_id}").status_code == 403
    assert api_client_for(firm.admin_b).delete(f"/api/documents/{document_id}").status_code == 204


def test_a_case_lists_only_its_own_documents_newest_first(firm, api_client_for):
    first = uploaded(api_client_for, firm.admin_a, firm.case_a, "first.txt")
    second = uploaded(api_client_for, firm.admin_a, firm.case_a, "second.txt")
    uploaded(api_client_for, firm.admin_a, firm.case_b, "elsewhere.txt")
    post_file(api_client_for(firm.admin_a), KB, "policy.txt", b"p")

    body = api_client_for(firm.lawyer_a).get(documents_url(firm.case_a)).json()

    assert [item["id"] for item in body["results"]] == [second.pk, first.pk]
    assert body["count"] == 2


def test_a_broker_that_is_down_leaves_the_document_queued_for_the_recovery(
    firm, api_client_for, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr("cases.tasks.document_process_task.apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(
            api_client_for(firm.lawyer_a), documents_url(firm.case_a), "a.txt", b"text"
        )

    assert response.status_code == 201
    document = Document.objects.get()
    assert (document.status, document.task_id) == (Document.Status.QUEUED, "")


def test_an_upload_whose_row_cannot_be_written_leaves_no_file_behind(
    firm, api_client_for, monkeypatch
):
    def database_fails(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("cases.documents.document_access_record", database_fails)
    before = stored_files()
    api = api_client_for(firm.lawyer_a)
    api.raise_request_exception = False

    response = post_file(api, documents_url(firm.case_a), "a.txt", b"text")

    assert response.status_code == 500
    assert not Document.objects.exists()
    assert stored_files() == before
