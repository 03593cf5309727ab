"""The text of each format, page by page, and the reasons a document's text cannot be had."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfWriter
from pytest_django.fixtures import Settings

from cases.extraction import NO_TEXT_LAYER, ExtractionFailed, html_text, pages_extract
from tests.documents import docx_bytes, eml_bytes, pdf_bytes, scanned_pdf_bytes

LEASE = "The Tenant may terminate this Lease by giving three months written notice."
DEPOSIT = "The deposit is returned within ten days after the Lease ends."


def _reason(data: bytes, format: str) -> str:
    with pytest.raises(ExtractionFailed) as failed:
        pages_extract(data=data, format=format)
    return failed.value.reason


# --- PDF ------------------------------------------------------------------------------------


def test_a_pdfs_text_comes_page_by_page() -> None:
    pages = pages_extract(data=pdf_bytes([LEASE, "Schedule of condition.", DEPOSIT]), format="pdf")

    assert [" ".join(page.split()) for page in pages] == [LEASE, "Schedule of condition.", DEPOSIT]


def test_a_scanned_pdf_has_no_text_layer() -> None:
    assert _reason(scanned_pdf_bytes(pages=3), "pdf") == NO_TEXT_LAYER


def test_a_pdf_of_blank_pages_has_no_text_layer() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)

    assert _reason(buffer.getvalue(), "pdf") == NO_TEXT_LAYER


@pytest.mark.parametrize(
    "data",
    [
        b"not a pdf at all",
        pdf_bytes([LEASE])[:200],  # cut short in transfer
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
    ],
    ids=["not_a_pdf", "truncated", "garbage_after_header"],
)
def test_a_damaged_pdf_fails_with_a_clear_reason(data: bytes) -> None:
    assert _reason(data, "pdf") == "the PDF is damaged or not a PDF"


def test_a_pdf_of_more_pages_than_allowed_fails_with_the_limit(settings: Settings) -> None:
    settings.DOCUMENT_MAX_PAGES = 2

    assert _reason(pdf_bytes([LEASE] * 3), "pdf") == "too long: more than 2 pages"


def test_a_document_of_more_text_than_allowed_fails_with_the_limit(settings: Settings) -> None:
    settings.DOCUMENT_MAX_CHARACTERS = 100

    assert _reason(pdf_bytes([LEASE, DEPOSIT]), "pdf") == "too much text: more than 100 characters"


# --- DOCX -----------------------------------------------------------------------------------


def test_a_word_files_explicit_page_breaks_make_its_pages() -> None:
    data = docx_bytes([[LEASE, "Clause 2."], [DEPOSIT]])

    pages = pages_extract(data=data, format="docx")

    assert [" ".join(page.split()) for page in pages] == [f"{LEASE} Clause 2.", DEPOSIT]


def test_the_page_breaks_word_rendered_make_its_pages() -> None:
    data = docx_bytes([[LEASE], ["Clause 2."], [DEPOSIT]], rendered=True)

    pages = pages_extract(data=data, format="docx")

    assert [" ".join(page.split()) for page in pages] == [LEASE, "Clause 2.", DEPOSIT]


def test_a_word_file_without_page_breaks_is_one_page_and_its_paragraphs_stay_apart() -> None:
    pages = pages_extract(data=docx_bytes([[LEASE, DEPOSIT]]), format="docx")

    assert len(pages) == 1
    assert f"{LEASE}\n\n{DEPOSIT}" in pages[0]


def test_a_word_files_tables_are_part_of_its_text() -> None:
    data = docx_bytes([[LEASE]], table=[["Rent", "1,000 a month"], ["Deposit", "2,000"]])

    [page] = pages_extract(data=data, format="docx")

    assert " ".join(page.split()) == f"{LEASE} Rent 1,000 a month Deposit 2,000"
    assert "Rent \t1,000 a month" in page  # a cell per tab, a row per line


def test_a_damaged_word_file_fails_with_a_clear_reason() -> None:
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as package:
        package.writestr("word/document.xml", "<w:document")

    for data in (b"PK\x03\x04 not a zip", broken.getvalue(), docx_bytes([[LEASE]])[:300]):
        assert _reason(data, "docx") == "the Word document is damaged or not a .docx file"


def test_a_word_file_that_unpacks_past_the_limit_is_refused_before_it_is_read(
    settings: Settings,
) -> None:
    settings.DOCUMENT_MAX_UNPACKED_BYTES = 10_000
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/image1.png", b"\0" * 1_000_000)

    assert len(bomb.getvalue()) < 10_000
    assert _reason(bomb.getvalue(), "docx") == "the Word document unpacks to too much data"


# --- E-mail ---------------------------------------------------------------------------------


def test_an_emails_text_is_its_headers_then_its_plain_body_then_its_attachments() -> None:
    data = eml_bytes(
        plain="We demand that the wall be moved by 1 April.",
        html="<p>ignored: the plain body is there</p>",
        attachments=("survey.pdf", "photo 1.jpg"),
    )

    assert pages_extract(data=data, format="eml") == [
        "From: Ray Neighbour <ray@example.com>\n"
        "To: Jane Doe <jane@example.com>\n"
        "Date: Tue, 03 Mar 2026 09:00:00 +0000\n"
        "Subject: The boundary wall\n\n"
        "We demand that the wall be moved by 1 April.\n\n"
        "Attachments: survey.pdf, photo 1.jpg"
    ]


def test_an_html_only_email_is_read_as_the_text_it_shows() -> None:
    data = eml_bytes(
        html="<html><head><title>t</title><style>p {color: red}</style></head><body>"
        "<p>Dear Jane,</p><p>The rent is &pound;1,000 &amp; due<br>on the 1st.</p>"
        "<script>alert('x')</script><table><tr><td>Rent</td><td>1,000</td></tr></table>"
        "<!-- a comment --></body></html>"
    )

    [page] = pages_extract(data=data, format="eml")

    body = page.split("\n\n", 1)[1]
    assert " ".join(body.split()) == "Dear Jane, The rent is £1,000 & due on the 1st. Rent 1,000"
    assert "due\non the 1st." in body
    for hidden in ("color", "alert", "comment"):
        assert hidden not in page


def test_an_emails_encoded_subject_is_decoded() -> None:
    data = eml_bytes(plain="Body.", subject="Réponse à la mise en demeure")

    assert b"=?utf-8?" in data
    assert "Subject: Réponse à la mise en demeure" in pages_extract(data=data, format="eml")[0]


def test_a_file_that_is_no_email_fails_with_a_clear_reason() -> None:
    assert _reason(b"just some words\nand more", "eml") == (
        "the file is not an e-mail (no headers)"
    )


def test_an_email_of_too_many_nested_parts_is_refused() -> None:
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n)
        for n in range(100)
    )

    assert _reason(b"From: a@example.com\r\n" + nested, "eml") == (
        "the e-mail has too many nested parts"
    )


def test_html_text_of_malformed_markup_keeps_the_text_before_the_fault() -> None:
    assert html_text("Dear Jane <b>please</b> pay <a href='x") == "Dear Jane please pay "
    assert html_text("Before<!-- never closed <p>hidden") == "Before"
    assert html_text("x</script>y<SCRIPT>hidden</Script>z") == "xyz"


# --- Text and Markdown ----------------------------------------------------------------------


@pytest.mark.parametrize("format", ["txt", "md"])
def test_a_text_files_form_feeds_make_its_pages_and_its_byte_order_mark_goes(format: str) -> None:
    data = f"\ufeff# Lease\n\n{LEASE}\f{DEPOSIT}\n".encode()

    assert pages_extract(data=data, format=format) == [f"# Lease\n\n{LEASE}", f"{DEPOSIT}\n"]


def test_a_text_file_that_is_not_utf8_fails_with_a_clear_reason() -> None:
    assert _reason("Café".encode("latin-1"), "txt") == "the text is not UTF-8"


def test_an_empty_text_file_fails() -> None:
    assert _reason(b" \n\f \n", "txt") == "the file holds no text"
