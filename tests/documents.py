"""Documents of each format, made here rather than kept as files: a blank-page PDF (and an
encrypted one), a DOCX with text, an e-mail, and uploads of them."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document as WordDocument
from pypdf import PdfWriter


def pdf_bytes(*, pages: int = 1, password: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(user_password=password, algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_bytes(text: str = "The tenant may terminate on three months' notice.") -> bytes:
    document = WordDocument()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


EML = (
    b"From: Ray Neighbour <ray@example.com>\r\n"
    b"To: Jane Doe <jane@example.com>\r\n"
    b"Subject: The boundary wall\r\n"
    b"Date: Tue, 3 Mar 2026 09:00:00 +0000\r\n"
    b"\r\n"
    b"We demand that the wall be moved by 1 April.\r\n"
)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
