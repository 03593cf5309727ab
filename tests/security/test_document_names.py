"""Hostile file names through the real upload API: paths, control and bidi characters, quotes
and line breaks meant to break the download's Content-Disposition, HTML meant to run in the
pages and the admin, names too long or made of dots. Each is refused with a 400 or stored
under a safe name, downloads under one well-formed header that reads back as its title, and
shows as text wherever its title is shown."""

from __future__ import annotations

import re
from email.message import Message

import pytest
from django.urls import reverse

from cases.documents import document_upload
from cases.models import Case, Document
from tests.documents import upload
from tests.factories import AdminFactory, CaseFactory, LawyerFactory, TOTPDeviceFactory
from tests.security.conftest import page_client

pytestmark = pytest.mark.django_db

SCRIPT = "<img src=x onerror=alert(1)>"
NAMES = {
    "traversal": "../../../etc/passwd.txt",
    "absolute": "/etc/shadow.txt",
    "windows_path": "C:\\Windows\\system32\\drivers.txt",
    "windows_reserved": "CON.txt",
    "html": f"{SCRIPT}.txt",
    "bidi_override": "invoice\u202etxt.exe.txt",
    "nul": "nul\x00byte.txt",
    "very_long": "x" * 1000 + ".txt",
    "unicode": "Délai \u2014 préavis \U0001f4c4.txt",
}
# Names a test client cannot put in a multipart header, but RFC 2231's `filename*` can.
ENCODED_NAMES = {
    "quotes_to_add_a_parameter": "a\"; filename*=UTF-8''evil.exe; x=\".txt",
    "crlf_to_add_a_header": "note\r\nSet-Cookie: session=stolen.txt",
    "backslashes_and_quotes": 'say \\"hi\\".txt',
}
REFUSED = {"only_dots": "....txt", "dot_dot": "...", "nothing_but_an_extension": ".txt"}


@pytest.fixture
def lawyer() -> object:
    return LawyerFactory()


@pytest.fixture
def case(lawyer) -> Case:
    return CaseFactory(lawyers=[lawyer])


def _upload(api, case: Case | None, name: str):
    url = f"/api/cases/{case.pk}/documents" if case else "/api/knowledge-base/documents"
    return api.post(
        url,
        {"file": upload(name, b"The tenant may terminate on notice.")},
        format="multipart",
    )


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_hostile_file_name_is_stored_safely_and_downloads_under_its_title(
    lawyer, case, api_client_for, name
) -> None:
    api = api_client_for(lawyer)

    created = _upload(api, case, name)

    assert created.status_code == 201, created.content
    _assert_stored_safely_and_downloaded_under_its_title(
        api, Document.objects.get(pk=created.json()["id"])
    )


@pytest.mark.parametrize("name", ENCODED_NAMES.values(), ids=ENCODED_NAMES.keys())
def test_a_name_with_quotes_or_line_breaks_cannot_break_the_downloads_header(
    lawyer, case, api_client_for, name
) -> None:
    document = document_upload(
        user=lawyer, case=case, file=upload(name, b"The tenant may terminate."), request_id="r"
    )

    _assert_stored_safely_and_downloaded_under_its_title(api_client_for(lawyer), document)


def _assert_stored_safely_and_downloaded_under_its_title(api, document: Document) -> None:
    title = document.title
    assert title.endswith(".txt")
    assert 0 < len(title) <= 255
    assert not any(ord(char) < 32 or 0x202A <= ord(char) <= 0x202E for char in title)
    folder, _, stored = document.file.name.rpartition("/")
    assert re.fullmatch(rf"documents/case-{document.case_id}/[0-9a-f]{{32}}", folder)
    assert re.fullmatch(r"[\w.-]+\.txt", stored)

    response = api.get(f"/api/documents/{document.pk}/download")

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "Set-Cookie" not in response
    # Read as a client that follows RFC 6266 reads it: one file name, the title.
    header = Message()
    header["Content-Disposition"] = disposition
    assert header.get_content_disposition() == "attachment"
    assert header.get_filename() == title


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_a_file_name_with_nothing_but_dots_and_an_extension_is_refused(
    lawyer, case, api_client_for, name
) -> None:
    response = _upload(api_client_for(lawyer), case, name)

    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not Document.objects.exists()


def test_a_title_of_html_is_shown_as_text_on_every_page_and_in_the_admin(
    case, api_client_for
) -> None:
    admin = AdminFactory()
    TOTPDeviceFactory(user=admin)
    document_id = _upload(api_client_for(admin), case, f"{SCRIPT}.txt").json()["id"]
    kb_id = _upload(api_client_for(admin), None, f"{SCRIPT}.md").json()["id"]
    pages = page_client(admin)
    urls = [
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:documents", args=[case.pk]),
        reverse("cases:document", args=[document_id]),
        reverse("cases:document-delete", args=[document_id]),
        reverse("cases:knowledge-base"),
        reverse("cases:document", args=[kb_id]),
        reverse("admin:cases_document_changelist"),
        reverse("admin:cases_document_change", args=[document_id]),
        reverse("admin:cases_documentaccess_changelist"),
    ]

    for url in urls:
        response = pages.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in body, url
        assert SCRIPT not in body, url
