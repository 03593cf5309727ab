"""Files made to hurt the reader: compression and zip bombs, cycles and deep nesting, entities
that would expand or reach outside, charsets with slow decoders. Each ends in a 400 at upload
or a `failed` document with its reason, in bounded time and memory, through the real upload
API and the real extraction job; peak memory is measured in a forked child
(`tests.security.linear_time.peak_memory_mb`), where lxml's and zlib's allocations count."""

from __future__ import annotations

import io
import socket
import time
import zipfile
import zlib

import pytest

from cases.extraction import UNSUPPORTED_PDF, ExtractionFailed, pages_extract
from cases.indexing import document_index
from cases.models import Document
from tests.documents import docx_bytes, upload
from tests.security.linear_time import peak_memory_mb

# Generous: a body of runs kept as a tree took 17 times its XML (117 MB here), and pages made
# of form feeds 8 bytes each (153 MB); read as streams, both take under 5 MB. pypdf inflates a
# stream up to its own limit (75 MB) before it stops; the e-mail parser keeps every line of a
# message (174 MB for 24 MB of base64).
MOST_MEGABYTES = 64
MOST_MEGABYTES_OF = {"pdf_flate_bomb": 128, "eml_24mb_attachment": 256}
MOST_SECONDS = 20.0


def _docx_with_body(inner: str, *, doctype: str = "") -> bytes:
    """A Word file whose body is `inner`, its XML preceded by `doctype`."""
    package = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    xml = package.read("word/document.xml").decode()
    head, _, _ = xml.partition("<w:body>")
    declaration, _, root = head.partition("?>")
    body = f"{declaration}?>{doctype}{root}<w:body>{inner}</w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as made:
        for info in package.infolist():
            part = body.encode() if info.filename == "word/document.xml" else package.read(info)
            made.writestr(info.filename, part)
    return out.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of `objects` (1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


_TEXT = b"BT /F1 12 Tf 72 700 Td (The tenant may terminate on notice.) Tj ET"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>"
)


def _one_page_pdf(
    content: bytes, *, kids: bytes = b"[3 0 R]", count: int = 1, filter: bytes = b"/FlateDecode"
) -> bytes:
    squeezed = zlib.compress(content, 9)
    stream = b"<< /Length %d /Filter %s >>\nstream\n%s\nendstream" % (
        len(squeezed),
        filter,
        squeezed,
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids %s /Count %d >>" % (kids, count),
            _PAGE,
            stream,
            _FONT,
        ]
    )


def _deep_page_tree(depth: int) -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects += [b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (n + 3) for n in range(depth)]
    objects.append(
        _PAGE.replace(b"4 0 R", b"%d 0 R" % (depth + 3)).replace(b"5 0", b"%d 0" % (depth + 4))
    )
    squeezed = zlib.compress(_TEXT)
    objects.append(
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(squeezed), squeezed)
    )
    objects.append(_FONT)
    return _pdf(objects)


# What each hostile file comes to: failed with this reason, or read (None).
HOSTILE: dict[str, tuple[str, bytes, str | None]] = {
    # 200 MB of spaces in a 200 KB stream: pypdf stops inflating at its own limit.
    "pdf_flate_bomb": (
        "pdf",
        _one_page_pdf(b" " * 200_000_000 + _TEXT),
        "the PDF is damaged or not a PDF",
    ),
    "pdf_pages_that_hold_their_parent": (
        "pdf",
        _one_page_pdf(_TEXT, kids=b"[2 0 R 3 0 R]"),
        "the PDF is damaged or not a PDF",
    ),
    # Found by mutating PDFs: pypdf raises NotImplementedError for a filter it does not have.
    "pdf_unknown_filter": ("pdf", _one_page_pdf(_TEXT, filter=b"/FlateDec"), UNSUPPORTED_PDF),
    "pdf_a_billion_pages_declared": ("pdf", _one_page_pdf(_TEXT, count=10**9), None),
    "pdf_page_tree_5000_deep": ("pdf", _deep_page_tree(5000), "the PDF is damaged or not a PDF"),
    "pdf_100k_pages_of_one_page": (
        "pdf",
        _one_page_pdf(_TEXT, kids=b"[" + b"3 0 R " * 100_000 + b"]", count=100_000),
        "too long: more than 2,000 pages",
    ),
    # 300,000 runs in one paragraph: 7 MB of XML from a 30 KB upload.
    "docx_300k_runs": (
        "docx",
        _docx_with_body("<w:p>" + "<w:r><w:t>a</w:t></w:r>" * 300_000 + "</w:p>"),
        None,
    ),
    "docx_billion_laughs": (
        "docx",
        _docx_with_body(
            "<w:p><w:r><w:t>&j;</w:t></w:r></w:p>",
            doctype="<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'>"
            + "".join(f"<!ENTITY {chr(98 + n)} '{f'&{chr(97 + n)};' * 10}'>" for n in range(9))
            + "]>",
        ),
        "the Word document is damaged or not a .docx file",
    ),
    "docx_nested_100k_deep": (
        "docx",
        _docx_with_body("<w:p>" * 100_000 + "</w:p>" * 100_000),
        "the Word document is damaged or not a .docx file",
    ),
    "txt_of_form_feeds": ("txt", b"a" + b"\f" * 20_000_000, "too long: more than 2,000 pages"),
    "eml_nested_messages": (
        "eml",
        b"From: a@example.com\nContent-Type: message/rfc822\n\n"
        + b"From: b@example.com\nContent-Type: message/rfc822\n\n" * 20_000
        + b"From: c@example.com\n\nhello\n",
        "the e-mail is damaged",
    ),
    # The parser keeps each line as an object: 960 MB for these 24 MB.
    "eml_of_millions_of_lines": (
        "eml",
        b"From: a@example.com\n\n" + b"a\n" * 12_000_000,
        "the e-mail has too many lines",
    ),
    # As mail clients send a 24 MB attachment: base64 in lines of 76 characters, read.
    "eml_24mb_attachment": (
        "eml",
        b'From: a@example.com\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n\nSee the '
        b'lease.\n--b\nContent-Disposition: attachment; filename="Lease.pdf"\n'
        b"Content-Transfer-Encoding: base64\n\n" + (b"A" * 76 + b"\r\n") * 310_000 + b"--b--\n",
        None,
    ),
    # Python's punycode decoder is quadratic: this body ran for minutes.
    "eml_punycode_body": (
        "eml",
        b"From: a@example.com\nContent-Type: text/plain; charset=punycode\n\n"
        + b"a" * 1_000_000
        + b"-"
        + b"9" * 1_000_000
        + b"\n",
        None,
    ),
}


def _outcome(data: bytes, format: str) -> str | None:
    try:
        pages_extract(data=data, format=format)
    except ExtractionFailed as failed:
        return failed.reason
    return None


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_read_or_refused_in_bounded_time_and_memory(name: str) -> None:
    format, data, expected = HOSTILE[name]

    started = time.process_time()
    outcome = _outcome(data, format)
    seconds = time.process_time() - started
    megabytes = peak_memory_mb(lambda: _outcome(data, format))

    assert outcome == expected
    assert seconds < MOST_SECONDS
    assert megabytes < MOST_MEGABYTES_OF.get(name, MOST_MEGABYTES)


def test_a_word_body_with_more_text_than_allowed_fails_before_it_is_read_to_its_end(
    settings,
) -> None:
    settings.DOCUMENT_MAX_CHARACTERS = 1000
    data = _docx_with_body("<w:p>" + "<w:r><w:t>a</w:t></w:r>" * 200_000 + "</w:p>")

    started = time.process_time()
    outcome = _outcome(data, "docx")

    assert outcome == "too much text: more than 1,000 characters"
    assert time.process_time() - started < 0.5  # the whole body takes some seconds


def test_a_word_files_entities_are_never_resolved_nor_fetched() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    data = _docx_with_body(
        "<w:p><w:r><w:t>Lease &file; &remote;</w:t></w:r></w:p>",
        doctype=f"<!DOCTYPE d SYSTEM 'http://127.0.0.1:{port}/d.dtd' ["
        "<!ENTITY file SYSTEM 'file:///etc/hostname'>"
        f"<!ENTITY remote SYSTEM 'http://127.0.0.1:{port}/entity'>]>",
    )

    with listener:
        [page] = pages_extract(data=data, format="docx")
        with pytest.raises(BlockingIOError):
            listener.accept()

    assert page.strip() == "Lease"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["docx_300k_runs", "docx_billion_laughs", "eml_punycode_body"])
def test_a_hostile_upload_is_taken_and_its_job_ends_read_or_failed(firm, api_client_for, name):
    format, data, expected = HOSTILE[name]
    api = api_client_for(firm.lawyer_a)
    created = api.post(
        f"/api/cases/{firm.case_a.pk}/documents",
        {"file": upload(f"hostile.{format}", data)},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    document = Document.objects.get(pk=created.json()["id"])

    document_index(document_id=document.pk, task_id=document.task_id, request_id="hostile")

    shown = api.get(f"/api/documents/{document.pk}").json()
    assert (shown["status"], shown["failureReason"]) == (
        ("failed", expected) if expected else ("ready", "")
    )
