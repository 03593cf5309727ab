"""A document's text is read and cut into passages in time linear in its size, whatever the
file holds: the passages' splitter, HTML e-mail bodies and e-mail headers, each on inputs
made to hit the slow paths (runs of tags never closed, nested comments, sentence ends without
sentences, words longer than a passage)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from cases.extraction import ExtractionFailed, html_text, pages_extract
from cases.passages import passages_split
from tests.security.linear_time import MOST_GROWTH, fit, growth

PAGES: dict[str, Callable[[int], str]] = {
    "sentences": lambda size: fit("The tenant pays rent. ", size),
    "one_long_word": lambda size: "x" * size,
    "full_stops": lambda size: fit(". ", size),
    "abbreviations": lambda size: fit("e.g. ", size),
    "closers": lambda size: fit('.")]\u201d ', size),
    "blank_lines": lambda size: fit("a\n\n", size),
    "whitespace": lambda size: "a" + " " * (size - 2) + "b",
}

MARKUP: dict[str, Callable[[int], str]] = {
    "unclosed_starts": lambda size: fit("<a", size),
    "unclosed_ends": lambda size: fit("</", size),
    "unclosed_comments": lambda size: fit("<!--", size),
    "comment_then_text": lambda size: "<!--" + fit("x ", size),
    "cdata": lambda size: fit("<![CDATA[", size),
    "processing": lambda size: fit("<?", size),
    "open_attribute": lambda size: "<a b='" + fit("x ", size),
    "scripts": lambda size: fit("<script>", size),
    "entities": lambda size: fit("&amp;&#", size),
    "tags": lambda size: fit("<p>x</p><td>y", size),
}


EMAILS: dict[str, Callable[[int], str]] = {
    "content_type_parameters": lambda size: (
        "From: a@example.com\nContent-Type: text/plain" + fit("; a=b", size) + "\n\nbody\n"
    ),
    "nested_comments": lambda size: (
        "From: a@example.com\nContent-Type: text/plain " + fit("(", size) + "\n\nbody\n"
    ),
    "quoted_semicolons": lambda size: (
        'From: a@example.com\nContent-Type: text/plain; a="' + fit(";", size) + "\n\nbody\n"
    ),
    "folded_subject": lambda size: (
        "From: a@example.com\nSubject: a\n" + fit(" =?utf-8?q?a?=\n", size) + "\nbody\n"
    ),
    "many_headers": lambda size: "From: a@example.com\n" + fit("X: y\n", size) + "\nbody\n",
    "many_parts": lambda size: (
        'From: a@example.com\nContent-Type: multipart/mixed; boundary="b"\n\n'
        + fit("--b\n\nx\n", size)
    ),
    "many_attachments": lambda size: (
        'From: a@example.com\nContent-Type: multipart/mixed; boundary="b"\n\n'
        + fit('--b\nContent-Disposition: attachment; filename="a.pdf"\n\nx\n', size)
    ),
    "html_body": lambda size: (
        "From: a@example.com\nContent-Type: text/html\n\n" + fit("<a<!--</", size)
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_page_is_cut_into_passages_in_linear_time(page: str) -> None:
    assert growth(lambda text: passages_split([text]), PAGES[page]) < MOST_GROWTH


@pytest.mark.parametrize("markup", MARKUP)
def test_an_html_body_is_turned_to_text_in_linear_time(markup: str) -> None:
    assert growth(html_text, MARKUP[markup]) < MOST_GROWTH


@pytest.mark.parametrize("message", EMAILS)
def test_an_email_is_read_in_linear_time(message: str) -> None:
    def read(text: str) -> None:
        # Refused quickly is as good as read.
        with contextlib.suppress(ExtractionFailed):
            pages_extract(data=text.encode(), format="eml")

    assert growth(read, EMAILS[message]) < MOST_GROWTH
