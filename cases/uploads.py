"""What an uploaded document must be before it is stored: one of the formats Counsel reads,
by its extension and by its content, not empty, not over DOCUMENT_MAX_BYTES, not an encrypted
PDF. The file is read once, in chunks, for its size, its sha256 and the text checks; only a
PDF's or a DOCX's structure is read again, by its own parser."""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import IO

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.utils.text import get_valid_filename
from pypdf import PdfReader

from cases.models import Document
from config.errors import DomainError

# By extension: the format, and the content type the download answers with (the client's own
# Content-Type is never trusted).
FORMATS: dict[str, tuple[str, str]] = {
    "pdf": (Document.Format.PDF, "application/pdf"),
    "docx": (
        Document.Format.DOCX,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "txt": (Document.Format.TEXT, "text/plain; charset=utf-8"),
    "md": (Document.Format.MARKDOWN, "text/markdown; charset=utf-8"),
    "markdown": (Document.Format.MARKDOWN, "text/markdown; charset=utf-8"),
    "eml": (Document.Format.EMAIL, "message/rfc822"),
}
ACCEPTED = "PDF, Word (.docx), text (.txt), Markdown (.md) and e-mail (.eml) files"
TITLE_MAX_LENGTH = Document._meta.get_field("title").max_length
# A PDF may have bytes before its header; readers look for it in the first kilobyte.
PDF_HEADER_WINDOW = 1024
# An e-mail's header block must end within this many bytes (real ones take a few KiB).
EMAIL_HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024


class UploadRefused(DomainError):
    """The uploaded file is not one Counsel takes; `detail` says why, for the `file` field."""

    status_code = 400
    field = "file"


@dataclass(frozen=True)
class CheckedUpload:
    title: str
    stored_name: str
    format: str
    content_type: str
    size: int
    sha256: str


def upload_check(file: File) -> CheckedUpload:
    """The facts of `file` once it passes every check, or UploadRefused. Leaves the file at
    its start, ready to be stored."""
    max_bytes = settings.DOCUMENT_MAX_BYTES
    title = document_title(file.name or "")
    extension = title.rpartition(".")[2].lower() if "." in title else ""
    if extension not in FORMATS:
        raise UploadRefused(f"Only {ACCEPTED} are accepted.")
    document_format, content_type = FORMATS[extension]
    # Known up front for an upload: a file too large is refused before it is read.
    if file.size is not None and file.size > max_bytes:
        raise UploadRefused(_too_large(max_bytes))

    file.seek(0)
    size, sha256, head = _digest(file, max_bytes=max_bytes, text=document_format in _TEXTS)
    if size == 0:
        raise UploadRefused("The file is empty.")
    file.seek(0)
    check = _CONTENT_CHECKS.get(document_format)  # texts were checked as they were read
    if check is not None:
        check(file, head)
        file.seek(0)
    return CheckedUpload(
        title=title,
        stored_name=_stored_name(title[: -len(extension) - 1], extension),
        format=document_format,
        content_type=content_type,
        size=size,
        sha256=sha256,
    )


def document_title(name: str) -> str:
    """A file's name as a title: its last path part (browsers on Windows send "C:\\...\\x"),
    without control or format characters (a right-to-left override makes a name read
    backwards, hiding its real extension), with runs of spaces made one, at most
    TITLE_MAX_LENGTH characters with its extension kept."""
    name = name.replace("\\", "/").rpartition("/")[2]
    name = unicodedata.normalize("NFC", name)
    kept = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    title = " ".join(kept.split()).strip(". ")
    if len(title) > TITLE_MAX_LENGTH:
        stem, dot, extension = title.rpartition(".")
        if dot and len(extension) < 10:
            title = stem[: TITLE_MAX_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            title = title[:TITLE_MAX_LENGTH]
    return title


def _stored_name(stem: str, extension: str) -> str:
    """The name the storage keeps: the title's letters, digits, "-", "_" and "." (spaces
    become "_"); the title itself stays on the row."""
    try:
        return f"{get_valid_filename(stem)}.{extension}"
    except SuspiciousFileOperation:  # nothing of it is left ("!!!.pdf")
        return f"document.{extension}"


def _too_large(max_bytes: int) -> str:
    return f"The file is larger than {max_bytes // (1024 * 1024)} MB."


_TEXTS = {Document.Format.TEXT, Document.Format.MARKDOWN}


def _digest(file: File, *, max_bytes: int, text: bool) -> tuple[int, str, bytes]:
    """Size, sha256 and the first EMAIL_HEAD_BYTES of `file`, in one pass over its chunks; a
    text file's chunks are decoded as they pass (UTF-8, no NUL)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    size = 0
    head = bytearray()
    for chunk in file.chunks(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise UploadRefused(_too_large(max_bytes))
        digest.update(chunk)
        if len(head) < EMAIL_HEAD_BYTES:
            head += chunk[: EMAIL_HEAD_BYTES - len(head)]
        if text:
            _check_text(decoder, chunk)
    if text:
        _check_text(decoder, b"", final=True)
    return size, digest.hexdigest(), bytes(head)


def _check_text(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool = False) -> None:
    if b"\x00" in chunk:
        raise UploadRefused(_NOT_TEXT)
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        raise UploadRefused(_NOT_TEXT) from None


_NOT_TEXT = "The file is not text (UTF-8, without NUL characters), as its extension says."


def _mismatch(what: str) -> UploadRefused:
    return UploadRefused(f"The file's content is not {what}, as its extension says.")


def _check_pdf(file: IO[bytes], head: bytes) -> None:
    if b"%PDF-" not in head[:PDF_HEADER_WINDOW]:
        raise _mismatch("a PDF")
    try:
        encrypted = PdfReader(file, strict=False).is_encrypted
    # Broad on purpose: pypdf reports a damaged file with many kinds of errors.
    except Exception:
        raise UploadRefused("The PDF is damaged and cannot be read.") from None
    if encrypted:
        raise UploadRefused(
            "The PDF is encrypted (password-protected); upload a copy without a password."
        )


def _check_docx(file: IO[bytes], head: bytes) -> None:
    if not head.startswith(b"PK\x03\x04"):
        raise _mismatch("a Word document (.docx)")
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _mismatch("a Word document (.docx)") from None
    if "word/document.xml" not in names:
        raise _mismatch("a Word document (.docx)")


def _check_email(file: IO[bytes], head: bytes) -> None:
    """An RFC 822 message: header fields from its first line to a blank line, among them
    From. Only the header block is parsed."""
    if b"\x00" in head:
        raise _mismatch("an e-mail message")
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=-1)
    if end < 0 and len(head) == EMAIL_HEAD_BYTES:
        raise _mismatch("an e-mail message")
    block = head if end < 0 else head[:end]
    message = BytesHeaderParser(policy=compat32).parsebytes(block + b"\n\n")
    # Lines the parser could not read as headers end up as the body, or as a defect.
    if message.defects or message.get_payload() or not message["From"]:
        raise _mismatch("an e-mail message")


_CONTENT_CHECKS = {
    Document.Format.PDF: _check_pdf,
    Document.Format.DOCX: _check_docx,
    Document.Format.EMAIL: _check_email,
}
