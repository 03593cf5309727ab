"""The document pages: a case's documents on its page (list, upload, delete, search), the
knowledge base, a document's text page by page, its download, and who may do which."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Document, DocumentAccess
from tests.factories import (
    AdminFactory,
    CaseFactory,
    ClientFactory,
    DocumentFactory,
    LawyerFactory,
    PassageFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _text_file(name: str, text: str = "Notice to quit served on 3 March.\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def _refused_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("setup.exe", b"MZ\x90\x00 not a document", "application/octet-stream")


def _stored_document(**fields) -> Document:
    """A document whose file is in storage (the factory's is only named)."""
    return DocumentFactory(file=ContentFile(b"%PDF-1.7 a lease", name="lease.pdf"), **fields)


def _accesses(document: Document) -> list[str]:
    return list(
        DocumentAccess.objects.filter(document_title=document.title)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the case page's documents --------------------------------------------------------------


def test_case_page_lists_its_documents_with_status_uploader_and_links(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    uploader = LawyerFactory(first_name="Amara", last_name="Okafor")
    ready = DocumentFactory(
        case=case, title="Lease 2024.pdf", format="pdf", size=2048, uploaded_by=uploader
    )
    failed = DocumentFactory(
        case=case,
        title="scan.pdf",
        status=Document.Status.FAILED,
        failure_reason="no text layer (scanned?)",
    )
    DocumentFactory(title="Other case's letter.txt")
    DocumentFactory(case=None, title="Firm policy.md")

    body = page_client_for(lawyer).get(reverse("cases:detail", args=[case.pk])).content.decode()

    for text in ("Lease 2024.pdf", "PDF", "2.0\xa0KB", "Ready", "Amara Okafor", "scan.pdf"):
        assert text in body, text
    assert 'Failed</span> <span class="reason">no text layer (scanned?)' in body
    assert reverse("cases:document", args=[ready.pk]) in body
    assert reverse("cases:document-download", args=[failed.pk]) in body
    assert "Other case&#x27;s letter.txt" not in body
    assert "Firm policy.md" not in body


def test_document_table_polls_while_a_document_is_being_read_and_stops_after(
    page_client_for, lawyer
):
    case = CaseFactory(lawyers=[lawyer])
    document = DocumentFactory(case=case, status=Document.Status.EXTRACTING)
    page = page_client_for(lawyer)
    url = reverse("cases:documents", args=[case.pk])

    extracting = page.get(url, headers=HTMX).content.decode()
    assert 'hx-trigger="documents-changed from:body, every 3s"' in extracting
    assert "Extracting" in extracting

    Document.objects.filter(pk=document.pk).update(status=Document.Status.READY)
    ready = page.get(url, headers=HTMX).content.decode()
    assert "every 3s" not in ready
    assert "Ready" in ready


@pytest.mark.parametrize(
    ("who", "may_change"), [("assigned", True), ("admin", True), ("client", False)]
)
def test_upload_form_and_delete_links_are_only_for_those_who_may_change_the_case(
    page_client_for, who, may_change
):
    lawyer, client = LawyerFactory(), ClientFactory()
    case = CaseFactory(client=client, lawyers=[lawyer])
    document = DocumentFactory(case=case)
    user = {"assigned": lawyer, "admin": AdminFactory(), "client": client}[who]

    body = page_client_for(user).get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert document.title in body
    assert ('type="file" name="file" multiple' in body) is may_change
    assert (reverse("cases:document-delete", args=[document.pk]) in body) is may_change
    assert ("js/document-upload.js" in body) is may_change


def test_lawyer_uploads_several_files_and_a_refused_one_does_not_stop_the_others(
    page_client_for, lawyer
):
    case = CaseFactory(lawyers=[lawyer])
    page = page_client_for(lawyer)

    response = page.post(
        reverse("cases:documents-upload", args=[case.pk]),
        {"file": [_text_file("notice.txt"), _refused_file(), _text_file("reply.md", "# Reply\n")]},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("cases:detail", args=[case.pk]), 302)]
    body = response.content.decode()
    assert "notice.txt uploaded." in body
    assert "reply.md uploaded." in body
    assert "setup.exe was not uploaded: " in body
    uploaded = Document.objects.filter(case=case)
    assert sorted(uploaded.values_list("title", flat=True)) == ["notice.txt", "reply.md"]
    assert all(document.uploaded_by == lawyer for document in uploaded)
    # Both are in the case's table on the page the upload came back to.
    table = body.split('id="documents"')[1]
    assert "notice.txt" in table
    assert "reply.md" in table
    assert "setup.exe" not in table


def test_script_upload_answers_each_file_with_its_outcome(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    page = page_client_for(lawyer)
    url = reverse("cases:documents-upload", args=[case.pk])

    uploaded = page.post(url, {"file": _text_file("notice.txt")}, headers=HTMX)
    refused = page.post(url, {"file": _refused_file()}, headers=HTMX)
    nothing = page.post(url, {}, headers=HTMX)

    assert uploaded.status_code == 201
    assert "Uploaded" in uploaded.content.decode()
    assert refused.status_code == 400
    assert 'Refused</span> <span class="reason">' in refused.content.decode()
    assert nothing.status_code == 400
    assert "Choose one or more files to upload." in nothing.content.decode()
    assert list(Document.objects.values_list("title", flat=True)) == ["notice.txt"]


def test_client_cannot_upload_to_their_case_and_a_lawyer_off_the_case_finds_no_case(
    page_client_for,
):
    client = ClientFactory()
    case = CaseFactory(client=client, lawyers=[LawyerFactory()])
    url = reverse("cases:documents-upload", args=[case.pk])

    assert page_client_for(client).post(url, {"file": _text_file("a.txt")}).status_code == 403
    assert (
        page_client_for(LawyerFactory()).post(url, {"file": _text_file("b.txt")}).status_code == 404
    )
    assert not Document.objects.exists()


def test_upload_without_files_says_to_choose_some(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])

    response = page_client_for(lawyer).post(
        reverse("cases:documents-upload", args=[case.pk]), {}, follow=True
    )

    assert "Choose one or more files to upload." in response.content.decode()


# --- the document page and its download -----------------------------------------------------


def test_document_page_shows_the_text_page_by_page_with_anchors_and_records_the_view(
    page_client_for, lawyer
):
    case = CaseFactory(lawyers=[lawyer])
    document = DocumentFactory(case=case, title="Lease.pdf", page_count=3)
    PassageFactory(document=document, position=0, page=1, text="Parties: the landlord.")
    PassageFactory(document=document, position=1, page=1, text="Rent is due monthly.")
    PassageFactory(document=document, position=2, page=3, text="Termination on notice.")

    response = page_client_for(lawyer).get(reverse("cases:document", args=[document.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="document-title">Lease.pdf</h1>' in body
    assert "<dt>Pages</dt><dd>3</dd>" in body
    assert reverse("cases:document-download", args=[document.pk]) in body
    page_1 = body.index('id="page-1"')
    page_3 = body.index('id="page-3"')
    assert 'id="page-2"' not in body  # a page without text has no section
    assert page_1 < body.index('id="passage-1">Rent is due monthly.') < page_3
    assert page_3 < body.index('id="passage-2">Termination on notice.')
    assert '<a href="#page-3">3</a>' in body
    assert _accesses(document) == [DocumentAccess.Action.VIEW]
    access = DocumentAccess.objects.get()
    assert (access.user, access.case, access.document) == (lawyer, case, document)


def test_document_page_polls_while_the_text_is_read_and_polling_is_not_a_view(
    page_client_for, lawyer
):
    document = DocumentFactory(
        case=CaseFactory(lawyers=[lawyer]), status=Document.Status.QUEUED, page_count=None
    )
    page = page_client_for(lawyer)
    url = reverse("cases:document", args=[document.pk])

    full = page.get(url).content.decode()
    polled = page.get(url, headers=HTMX).content.decode()

    assert 'hx-trigger="every 3s"' in full
    assert "The text is being read" in full
    assert polled.lstrip().startswith('<div id="document-body"')
    assert "<h1" not in polled
    assert _accesses(document) == [DocumentAccess.Action.VIEW]


def test_download_streams_the_file_as_an_attachment_and_records_it(page_client_for, lawyer):
    text = b"The tenant may terminate on three months' notice.\n"
    document = DocumentFactory(
        case=CaseFactory(lawyers=[lawyer]),
        title="Lease 2024.txt",
        file=ContentFile(text, name="Lease 2024.txt"),  # stored in MEDIA_ROOT when saved
        content_type="text/plain",
        size=len(text),
    )

    response = page_client_for(lawyer).get(reverse("cases:document-download", args=[document.pk]))

    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == text
    assert response["Content-Disposition"] == 'attachment; filename="Lease 2024.txt"'
    assert response["Content-Type"] == "text/plain"
    assert _accesses(document) == [DocumentAccess.Action.DOWNLOAD]


@pytest.mark.parametrize(
    ("who", "own_case", "other_case", "knowledge_base"),
    [
        ("client", 200, 404, 404),
        ("lawyer", 200, 404, 200),
        ("admin", 200, 200, 200),
    ],
)
def test_who_may_open_and_download_which_document(
    page_client_for, who, own_case, other_case, knowledge_base
):
    client, lawyer = ClientFactory(), LawyerFactory()
    user = {"client": client, "lawyer": lawyer, "admin": AdminFactory()}[who]
    expected = [
        (_stored_document(case=CaseFactory(client=client, lawyers=[lawyer])), own_case),
        (_stored_document(), other_case),
        (_stored_document(case=None), knowledge_base),
    ]
    page = page_client_for(user)

    for document, status in expected:
        assert page.get(reverse("cases:document", args=[document.pk])).status_code == status
        download = page.get(reverse("cases:document-download", args=[document.pk]))
        assert download.status_code == status
    seen = DocumentAccess.objects.values_list("document_id", "action")
    assert sorted(seen) == sorted(
        (document.pk, action)
        for document, status in expected
        if status == 200
        for action in (DocumentAccess.Action.VIEW, DocumentAccess.Action.DOWNLOAD)
    )


# --- deleting -------------------------------------------------------------------------------


def test_delete_asks_to_confirm_then_removes_the_document_and_records_it(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    document = DocumentFactory(case=case, title="Draft reply.txt")
    page = page_client_for(lawyer)
    url = reverse("cases:document-delete", args=[document.pk])

    confirm = page.get(url)
    assert "Delete Draft reply.txt?" in confirm.content.decode()
    assert Document.objects.filter(pk=document.pk).exists()

    response = page.post(url, follow=True)
    assert response.redirect_chain == [(reverse("cases:detail", args=[case.pk]), 302)]
    assert "Draft reply.txt deleted." in response.content.decode()
    assert not Document.objects.filter(pk=document.pk).exists()
    assert _accesses(document) == [DocumentAccess.Action.DELETE]


def test_htmx_delete_answers_the_table_without_the_document(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    kept = DocumentFactory(case=case, title="kept.txt")
    gone = DocumentFactory(case=case, title="gone.txt")

    response = page_client_for(lawyer).post(
        reverse("cases:document-delete", args=[gone.pk]), headers=HTMX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="documents"' in body
    assert kept.title in body
    assert gone.title not in body


def test_client_and_lawyer_may_not_delete_what_they_may_not_change(page_client_for):
    client, lawyer = ClientFactory(), LawyerFactory()
    on_case = DocumentFactory(case=CaseFactory(client=client, lawyers=[lawyer]))
    firm_document = DocumentFactory(case=None)

    assert (
        page_client_for(client)
        .post(reverse("cases:document-delete", args=[on_case.pk]))
        .status_code
        == 403
    )
    assert (
        page_client_for(lawyer)
        .post(reverse("cases:document-delete", args=[firm_document.pk]))
        .status_code
        == 403
    )
    assert (
        page_client_for(client)
        .post(reverse("cases:document-delete", args=[firm_document.pk]))
        .status_code
        == 404
    )
    assert Document.objects.count() == 2
    assert not DocumentAccess.objects.exists()


# --- the knowledge base ---------------------------------------------------------------------


def test_knowledge_base_lists_the_firm_documents_for_staff_only(page_client_for):
    DocumentFactory(case=None, title="Leave policy.md", status=Document.Status.QUEUED)
    DocumentFactory(title="A case's lease.txt")
    url = reverse("cases:knowledge-base")

    for staff in (LawyerFactory(), AdminFactory()):
        body = page_client_for(staff).get(url).content.decode()
        assert "Leave policy.md" in body
        assert "Queued" in body
        assert "lease.txt" not in body
        assert f'href="{url}">Knowledge base</a>' in body  # in the navigation
    client = page_client_for(ClientFactory())
    assert client.get(url).status_code == 404
    assert "Knowledge base" not in client.get(reverse("cases:list")).content.decode()


def test_admins_upload_to_the_knowledge_base_and_lawyers_only_read_it(page_client_for):
    admin, lawyer = AdminFactory(), LawyerFactory()
    url = reverse("cases:kb-upload")

    lawyer_page = page_client_for(lawyer).get(reverse("cases:knowledge-base")).content.decode()
    assert 'type="file"' not in lawyer_page
    assert "Admins add and remove them." in lawyer_page
    assert page_client_for(lawyer).post(url, {"file": _text_file("x.txt")}).status_code == 403
    assert (
        page_client_for(ClientFactory()).post(url, {"file": _text_file("y.txt")}).status_code == 404
    )

    response = page_client_for(admin).post(
        url, {"file": [_text_file("policy.txt"), _refused_file()]}, follow=True
    )

    assert response.redirect_chain == [(reverse("cases:knowledge-base"), 302)]
    assert "setup.exe was not uploaded" in response.content.decode()
    document = Document.objects.get()
    assert (document.title, document.case) == ("policy.txt", None)


# --- searching ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # MariaDB's FULLTEXT index sees committed rows only
def test_case_list_search_finds_cases_by_the_text_of_their_documents(page_client_for):
    lawyer = LawyerFactory()
    lease = CaseFactory(lawyers=[lawyer], title="Shop premises")
    other = CaseFactory(lawyers=[lawyer], title="Supplier dispute")
    unseen = CaseFactory(title="Warehouse")
    PassageFactory(
        document=DocumentFactory(case=lease), text="The indemnity clause survives termination."
    )
    PassageFactory(document=DocumentFactory(case=other), text="Goods delivered late.")
    PassageFactory(document=DocumentFactory(case=unseen), text="An indemnity for the warehouse.")

    body = (
        page_client_for(lawyer).get(reverse("cases:list"), {"search": "indemnity"}).content.decode()
    )

    assert lease.reference in body
    assert other.reference not in body
    assert unseen.reference not in body


@pytest.mark.django_db(transaction=True)
def test_case_list_search_costs_the_same_queries_however_many_cases_match(page_client_for):
    lawyer = LawyerFactory()
    page = page_client_for(lawyer)

    def queries_when_found(cases: int) -> int:
        for _ in range(cases):
            case = CaseFactory(lawyers=[lawyer])
            PassageFactory(document=DocumentFactory(case=case), text="Arbitration in Geneva.")
        with CaptureQueriesContext(connection) as queries:
            response = page.get(reverse("cases:list"), {"search": "arbitration"})
        assert f'<p class="help">{Document.objects.count()} case' in response.content.decode()
        return len(queries)

    assert queries_when_found(1) == queries_when_found(4)


@pytest.mark.django_db(transaction=True)
def test_case_page_search_shows_matching_passages_with_links_to_their_page(page_client_for):
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    lease = DocumentFactory(case=case, title="Lease.pdf")
    PassageFactory(document=lease, position=0, page=1, text="Rent is payable quarterly.")
    PassageFactory(document=lease, position=7, page=4, text="Either party may terminate early.")
    PassageFactory(document=DocumentFactory(), text="Another case may terminate too.")
    page = page_client_for(lawyer)
    url = reverse("cases:detail", args=[case.pk])

    full = page.get(url, {"q": "terminate"}).content.decode()
    partial = page.get(url, {"q": "terminate"}, headers=HTMX).content.decode()
    nothing = page.get(url, {"q": "zeppelin"}, headers=HTMX).content.decode()

    link = f'href="{reverse("cases:document", args=[lease.pk])}#passage-7">Lease.pdf, page 4</a>'
    for body in (full, partial):
        assert link in body
        assert "Either party may terminate early." in body
        assert "Another case" not in body
        assert "Rent is payable" not in body
    assert "<h1>" not in partial
    assert "matches “zeppelin”" in nothing
