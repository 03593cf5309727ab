"""The checks of an uploaded file (cases.uploads) on their own: titles, and the time they take
on adversarial files, which must grow with the file's length, never with its square."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.uploads import UploadRefused, document_title, upload_check
from tests.documents import EML
from tests.security.linear_time import MOST_GROWTH, fit, growth


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("lease.pdf", "lease.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\jane\\Desktop\\Lease.docx", "Lease.docx"),
        ("in\u202efdp.txt", "infdp.txt"),
        ("tab\tand\nnewline   runs.md", "tab and newline runs.md"),
        ("  .hidden.txt. ", "hidden.txt"),
        ("Délai de préavis.pdf", "Délai de préavis.pdf"),
    ],
)
def test_a_title_is_the_files_own_name_made_safe(name: str, title: str) -> None:
    assert document_title(name) == title


def test_a_long_title_is_cut_keeping_its_extension() -> None:
    title = document_title("a" * 400 + ".pdf")

    assert len(title) == 255
    assert title.endswith("aaa.pdf")


def test_the_checked_facts_of_an_email() -> None:
    checked = upload_check(SimpleUploadedFile("Letter of 3 March.eml", EML))

    assert (checked.title, checked.format, checked.size) == (
        "Letter of 3 March.eml",
        "eml",
        len(EML),
    )
    assert checked.stored_name == "Letter_of_3_March.eml"


def test_a_name_with_no_word_is_stored_under_a_plain_one() -> None:
    checked = upload_check(SimpleUploadedFile("!!!.txt", b"text"))

    assert (checked.title, checked.stored_name) == ("!!!.txt", "document.txt")


def _checked(name: str, *, tail: bytes = b"") -> Callable[[str], None]:
    """upload_check on a file of `text` (and `tail`), taken or refused alike."""

    def check(text: str) -> None:
        with contextlib.suppress(UploadRefused):
            upload_check(SimpleUploadedFile(name, text.encode() + tail))

    return check


ADVERSARIAL: dict[str, tuple[Callable[[str], None], Callable[[int], str]]] = {
    "title_of_control_characters": (
        lambda text: document_title(text + ".txt"),
        lambda size: fit("\u202e/\\\x07 a", size),
    ),
    "text_of_multibyte_characters": (_checked("notes.txt"), lambda size: fit("é€𝄞", size)),
    "text_broken_at_its_end": (_checked("notes.md", tail=b"\xc3"), lambda size: fit("é", size)),
    "email_of_continuation_lines": (
        _checked("letter.eml"),
        lambda size: "From: a@example.com\r\n" + fit("X-A: b\r\n ", size),
    ),
    "email_of_one_long_header": (_checked("letter.eml"), lambda size: "From: " + fit("a", size)),
    "email_of_colons": (_checked("letter.eml"), lambda size: fit("a:", size)),
    "email_without_colons": (_checked("letter.eml"), lambda size: fit("From ", size)),
}


@pytest.mark.parametrize("case", ADVERSARIAL)
def test_a_file_is_checked_in_time_linear_in_its_length(case: str) -> None:
    function, make = ADVERSARIAL[case]

    assert growth(function, make) < MOST_GROWTH
