"""The text of a stored document, page by page, for each format Counsel reads.

`pages_extract(data=..., format=...)` returns a list of page texts (page 1 first) or raises
`ExtractionFailed` with a short reason a user may read. The work is bounded whatever the file
holds: at most `DOCUMENT_MAX_PAGES` pages and `DOCUMENT_MAX_CHARACTERS` characters (settings),
past which the document fails with the limit it crossed, and every step runs in time linear in
the file's size, so a hostile upload cannot pin a worker.

- PDF: pypdf. pdfminer.six was measured against it on real typeset documents: the same words
  (99% of them in the same order) at half the speed (45 against 80-86 pages a second), with
  two more dependencies; pypdf it is. A PDF whose pages carry no text is a scan.
- DOCX: python-docx opens the package; its body is walked in document order, tables' cells
  included. Pages are Word's own: explicit page breaks and the breaks Word recorded when it
  last laid the document out (`w:lastRenderedPageBreak`); a file with neither is one page.
- E-mail: the standard library's parser, headers (From, To, Cc, Date, Subject), then the
  text/plain body or else the text/html one turned to text, then the attachments' names.
- Text and Markdown: UTF-8 (a byte-order mark dropped); a form feed starts a page.
"""

from __future__ import annotations

import email
import email.policy
import html
import io
import logging
import zipfile
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message

from django.conf import settings

logger = logging.getLogger("counsel.documents")

NO_TEXT_LAYER = "no text layer (scanned?)"
# Characters of a header kept before it is decoded: the standard library's parsers of
# structured headers grow faster than the header (Python 3.11: 25x for 10x the parameters of a
# Content-Type, and a RecursionError on nested comments), and no genuine header is longer.
_HEADER_MAX = 2000
# More multipart boundaries than this and the e-mail is refused: the parser checks each line
# against every enclosing part's boundary, so its cost grows with the nesting times the length.
_EMAIL_MAX_BOUNDARIES = 64
# An e-mail's headers that its text starts with, in this order.
_EMAIL_HEADERS = ("From", "To", "Cc", "Date", "Subject")


class ExtractionFailed(Exception):
    """The document's text cannot be had; `reason` says why, in words for its reader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pages_extract(*, data: bytes, format: str) -> list[str]:
    """The text of each page of a document of `format` (a `Document.Format` value)."""
    extract = _EXTRACTORS.get(format)
    if extract is None:
        raise ExtractionFailed(f"Counsel cannot read .{format} files")
    pages = _Pages()
    extract(data, pages)
    return pages.texts


class _Pages:
    """Pages collected under the settings' limits: adding one past them fails the document."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.characters = 0
        self.max_pages = settings.DOCUMENT_MAX_PAGES
        self.max_characters = settings.DOCUMENT_MAX_CHARACTERS

    def check_count(self, count: int) -> None:
        if count > self.max_pages:
            raise ExtractionFailed(f"too long: more than {self.max_pages:,} pages")

    def add(self, text: str) -> None:
        self.check_count(len(self.texts) + 1)
        self.characters += len(text)
        if self.characters > self.max_characters:
            raise ExtractionFailed(f"too much text: more than {self.max_characters:,} characters")
        self.texts.append(text)


# --- PDF ------------------------------------------------------------------------------------


def _pdf(data: bytes, pages: _Pages) -> None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionFailed("the PDF is encrypted")
        pdf_pages = reader.pages
        pages.check_count(len(pdf_pages))
        for page in pdf_pages:
            pages.add(page.extract_text())
    except ExtractionFailed:
        raise
    except FileNotDecryptedError:
        raise ExtractionFailed("the PDF is encrypted") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        # pypdf reports a damaged file through its own errors and, deep in a broken object,
        # through Python's: each means the same to the reader.
        logger.info("pdf unreadable", extra={"error": type(exc).__name__})
        raise ExtractionFailed("the PDF is damaged or not a PDF") from None
    if not any(text.strip() for text in pages.texts):
        raise ExtractionFailed(NO_TEXT_LAYER)


# --- DOCX -----------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PAGE_BREAK = object()


def _docx(data: bytes, pages: _Pages) -> None:
    from docx import Document as WordDocument

    _docx_check_package(data)
    try:
        body = WordDocument(io.BytesIO(data)).element.body
    except Exception as exc:
        # Broad on purpose: python-docx lets through the zip's, the XML parser's and its own
        # errors alike for a damaged package.
        logger.info("docx unreadable", extra={"error": type(exc).__name__})
        raise ExtractionFailed("the Word document is damaged or not a .docx file") from None
    page: list[str] = []
    for piece in _docx_pieces(body):
        if piece is _PAGE_BREAK:
            # Word records a rendered break right after an explicit one: a break on a page
            # with no text yet starts no new page.
            if "".join(page).strip():
                pages.add("".join(page))
                page = []
        else:
            page.append(piece)
    if "".join(page).strip() or not pages.texts:
        pages.add("".join(page))


def _docx_check_package(data: bytes) -> None:
    """Refuse a package that would unpack past the limit (python-docx reads every part into
    memory) before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ExtractionFailed("the Word document is damaged or not a .docx file") from None
    if unpacked > settings.DOCUMENT_MAX_UNPACKED_BYTES:
        raise ExtractionFailed("the Word document unpacks to too much data")


def _docx_pieces(body: object) -> Iterator[object]:
    """The body's text in document order, and `_PAGE_BREAK` where a page ends. One pass over
    the XML tree; an alternative's fallback copy (a text box drawn twice) is skipped."""
    from lxml import etree

    walker = etree.iterwalk(body, events=("start", "end"))
    in_table = 0
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if tag == _MC_FALLBACK:
                walker.skip_subtree()
            elif tag == f"{_W}t":
                yield element.text or ""
            elif tag == f"{_W}tab":
                yield "\t"
            elif tag == f"{_W}br":
                yield _PAGE_BREAK if element.get(f"{_W}type") == "page" else "\n"
            elif tag == f"{_W}cr":
                yield "\n"
            elif tag == f"{_W}lastRenderedPageBreak":
                yield _PAGE_BREAK
            elif tag == f"{_W}tbl":
                in_table += 1
        elif tag == f"{_W}p":
            # A paragraph of the body ends with a blank line (a paragraph to the splitter); one
            # in a table's cell with a space, the cell with a tab and the row with a newline.
            yield " " if in_table else "\n\n"
        elif tag == f"{_W}tc":
            yield "\t"
        elif tag == f"{_W}tr":
            yield "\n"
        elif tag == f"{_W}tbl":
            in_table -= 1
            yield "\n\n"


# --- E-mail ---------------------------------------------------------------------------------


class _CappedHeaders(email.policy.Compat32):
    """The legacy policy (headers are strings, never parsed into structures), keeping at most
    `_HEADER_MAX` characters of each header: every later look at a header costs a bounded
    amount, whatever a hostile message holds."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        return name, value[:_HEADER_MAX]


_EMAIL_POLICY = _CappedHeaders()


def _eml(data: bytes, pages: _Pages) -> None:
    if data.lower().count(b"boundary=") > _EMAIL_MAX_BOUNDARIES:
        raise ExtractionFailed("the e-mail has too many nested parts")
    try:
        message = email.message_from_bytes(data, policy=_EMAIL_POLICY)
        text = _email_text(message)
    except ExtractionFailed:
        raise
    except (ValueError, LookupError, TypeError, IndexError, RecursionError) as exc:
        logger.info("eml unreadable", extra={"error": type(exc).__name__})
        raise ExtractionFailed("the e-mail is damaged") from None
    if not text.strip():
        raise ExtractionFailed("the e-mail holds no text")
    pages.add(text)


def _email_text(message: Message) -> str:
    if not message.keys():
        raise ExtractionFailed("the file is not an e-mail (no headers)")
    lines = [
        f"{name}: {_header_text(message[name])}"
        for name in _EMAIL_HEADERS
        if message.get(name) is not None
    ]
    plain: str | None = None
    rich: str | None = None
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            attachments.append(_header_text(filename) if filename else "(unnamed)")
        elif part.get_content_type() == "text/plain" and plain is None:
            plain = _part_text(part)
        elif part.get_content_type() == "text/html" and rich is None:
            rich = _part_text(part)
    body = plain if plain is not None else html_text(rich or "")
    text = "\n".join(lines) + "\n\n" + body.strip()
    if attachments:
        text += "\n\nAttachments: " + ", ".join(attachments)
    return text


def _header_text(value: object) -> str:
    """A header's words, RFC 2047 encoded words decoded; an undecodable one as it stands."""
    raw = str(value)
    try:
        return str(make_header(decode_header(raw)))
    except (ValueError, LookupError, UnicodeError):
        return raw


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


# Elements whose content is not text a reader sees.
_HTML_HIDDEN = ("script", "style", "head", "title", "template")
# Elements that start a line, and those that start a paragraph (a blank line).
_HTML_LINE = frozenset({"br", "li", "tr", "dt", "dd", "div", "section", "article", "header"})
_HTML_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"}
)


def html_text(markup: str) -> str:
    """The text an HTML e-mail shows, with line and paragraph breaks where its blocks are.

    One forward pass with `str.find`, each search starting where the last one ended, so time
    linear in the markup whatever it holds. Not `html.parser`: on this project's Python (3.11)
    it grows with the square of some malformed inputs (measured 89x for 10x the size on a
    run of "<a", 93x on unclosed comments). A tag never closed ends the text; a comment or a
    script never closed hides the rest.
    """
    # ASCII lower case only: Unicode's can change a string's length, and positions in the
    # lowered copy must be positions in `markup`.
    lowered = markup.translate(_ASCII_LOWER)
    out: list[str] = []
    at, size = 0, len(markup)
    while at < size:
        opens = markup.find("<", at)
        if opens < 0:
            out.append(html.unescape(markup[at:]))
            break
        out.append(html.unescape(markup[at:opens]))
        if markup.startswith("<!--", opens):
            closes = markup.find("-->", opens + 4)
            at = size if closes < 0 else closes + 3
            continue
        closes = markup.find(">", opens + 1)
        if closes < 0:
            break
        at = closes + 1
        closing = lowered.startswith("/", opens + 1)
        name = _tag_name(lowered, opens + 2 if closing else opens + 1, closes)
        if name in _HTML_HIDDEN and not closing and lowered[closes - 1] != "/":
            ends = lowered.find(f"</{name}", at)
            ends_tag = lowered.find(">", ends) if ends >= 0 else -1
            at = size if ends_tag < 0 else ends_tag + 1
        elif name in _HTML_PARAGRAPH:
            out.append("\n\n")
        elif name in _HTML_LINE:
            out.append("\n")
        elif name in ("td", "th") and not closing:
            out.append("\t")
    return "".join(out)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _tag_name(lowered: str, start: int, end: int) -> str:
    """The element's name of a tag whose name starts at `start` and which ends at `end`."""
    stop = start
    # A name is short: looking at most 12 characters keeps each tag's cost bounded.
    limit = min(end, start + 12)
    while stop < limit and lowered[stop].isalnum():
        stop += 1
    return lowered[start:stop]


# --- Text and Markdown ----------------------------------------------------------------------


def _plain(data: bytes, pages: _Pages) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExtractionFailed("the text is not UTF-8") from None
    if "\x00" in text:
        raise ExtractionFailed("the file is not text")
    if not text.strip():
        raise ExtractionFailed("the file holds no text")
    chunks = text.split("\f")
    pages.check_count(len(chunks))
    for chunk in chunks:
        pages.add(chunk)


_EXTRACTORS = {
    "pdf": _pdf,
    "docx": _docx,
    "eml": _eml,
    "txt": _plain,
    "md": _plain,
}
