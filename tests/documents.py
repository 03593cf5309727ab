"""Documents of each format, made by the tests rather than kept as files: PDFs with a text
layer (fpdf2), encrypted ones and scanned ones (an image, no text), Word files with explicit
and rendered page breaks and tables, e-mails (the standard library), and uploads of them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from email.message import EmailMessage

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document as WordDocument
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from cases.models import Document
from tests.factories import DocumentFactory

NOTICE = "The tenant may terminate on three months' notice."


def pdf_bytes(pages: Sequence[str] = ("",), *, password: str = "") -> bytes:
    """A PDF whose page N holds `pages[N - 1]` as its text layer (none when empty),
    encrypted with `password` when one is given."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 5, text)
    data = bytes(pdf.output())
    if not password:
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF of pages that are pictures of text, as a scanner makes: no text layer."""
    picture = io.BytesIO()
    Image.new("L", (200, 100), color=200).save(picture, format="PNG")
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(picture.getvalue()), x=10, y=10, w=180)
    return bytes(pdf.output())


def docx_bytes(
    pages: Sequence[Sequence[str]] = ((NOTICE,),),
    *,
    rendered: bool = False,
    table: list[list[str]] | None = None,
) -> bytes:
    """A Word file of `pages`, each a list of paragraphs, broken by explicit page breaks or,
    with `rendered`, by the marks Word leaves where it last laid out a page; `table`'s rows
    follow the first page's paragraphs."""
    document = WordDocument()
    for number, paragraphs in enumerate(pages):
        for index, text in enumerate(paragraphs):
            paragraph = document.add_paragraph()
            run = paragraph.add_run()
            if number and index == 0 and rendered:
                run._r.append(OxmlElement("w:lastRenderedPageBreak"))
            run.add_text(text)
        if number == 0 and table:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for row, cells in zip(grid.rows, table, strict=True):
                for cell, text in zip(row.cells, cells, strict=True):
                    cell.text = text
        if number < len(pages) - 1 and not rendered:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def eml_bytes(
    *,
    plain: str | None = None,
    html: str | None = None,
    subject: str = "The boundary wall",
    attachments: tuple[str, ...] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = "Ray Neighbour <ray@example.com>"
    message["To"] = "Jane Doe <jane@example.com>"
    message["Date"] = "Tue, 03 Mar 2026 09:00:00 +0000"
    message["Subject"] = subject
    if plain is not None:
        message.set_content(plain)
    if html is not None:
        if plain is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name in attachments:
        message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


EML = eml_bytes(plain="We demand that the wall be moved by 1 April.")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_document(data: bytes, *, format: str) -> Document:
    """A queued document whose file, `data`, is in storage (the tests' MEDIA_ROOT)."""
    return DocumentFactory(
        title=f"made.{format}",
        file=ContentFile(data, name=f"made.{format}"),
        format=format,
        size=len(data),
        status=Document.Status.QUEUED,
        page_count=None,
    )
