"""Uploading documents on the case page in Chromium: files chosen and dropped go up one by one
with their own progress bar, a refused file shows its reason and the others are listed; a file
over the limit is not sent; deleting asks first; the document pages fit a phone's screen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect
from pytest_django.fixtures import Settings

from accounts.models import User
from cases.models import Document
from tests.browser.watch import PHONE, fits_a_phone, script_problems
from tests.factories import CaseFactory, DocumentFactory, PassageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Drops a file on the upload form's drop zone, as a file dragged from the desktop would be.
DROP = """([name, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, {type: "application/octet-stream"}));
  const zone = document.querySelector(".drop-zone");
  for (const type of ["dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
  }
}"""


def test_chosen_and_dropped_files_upload_with_progress_and_a_refused_one_shows_why(
    browser_page: Page, login_as_staff: Callable[[User], None], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    login_as_staff(lawyer)
    problems = script_problems(browser_page)
    browser_page.goto(f"/cases/{case.pk}/")
    # With the script, files go up as soon as they are chosen: no Upload button.
    expect(browser_page.get_by_role("button", name="Upload")).to_be_hidden()

    browser_page.set_input_files(
        "#upload-files",
        files=[
            {"name": "notice.txt", "mimeType": "text/plain", "buffer": b"Notice to quit.\n"},
            {"name": "reply.md", "mimeType": "text/markdown", "buffer": b"# Our reply\n"},
        ],
    )
    browser_page.evaluate(DROP, ["setup.exe", "MZ not a document"])

    items = browser_page.locator(".upload-item")
    expect(items).to_have_count(3)
    for name in ("notice.txt", "reply.md"):
        item = items.filter(has_text=name)
        expect(item.locator(".outcome")).to_have_text("Uploaded")
        expect(item.locator("progress")).to_have_js_property("value", 100)
    refused = items.filter(has_text="setup.exe")
    expect(refused.locator(".outcome")).to_contain_text("Refused")
    assert refused.locator(".reason").inner_text().strip()
    # The table is fetched again after the uploads: both are listed, the refused one is not.
    table = browser_page.locator("#documents")
    expect(table.get_by_role("link", name="notice.txt")).to_be_visible()
    expect(table.get_by_role("link", name="reply.md")).to_be_visible()
    expect(table).not_to_contain_text("setup.exe")
    assert sorted(Document.objects.values_list("title", flat=True)) == ["notice.txt", "reply.md"]
    assert problems == [], problems


def test_document_blocks_fit_a_phone_screen(
    browser_page: Page, login_as_staff: Callable[[User], None], admin_user: User
) -> None:
    case = CaseFactory(lawyers=[admin_user])
    long_name = "Agreement-for-lease-" + "x" * 80 + ".pdf"
    document = DocumentFactory(
        case=case,
        title=long_name,
        status=Document.Status.FAILED,
        failure_reason="no text layer (scanned?)",
    )
    PassageFactory(document=document, text="See https://example.com/" + "a" * 150 + " for terms.")
    DocumentFactory(case=None, title=long_name)
    login_as_staff(admin_user)
    browser_page.set_viewport_size(PHONE)

    browser_page.goto(f"/cases/{case.pk}/?q=terms")
    browser_page.set_input_files(
        "#upload-files",
        files=[
            {"name": long_name.replace(".pdf", ".txt"), "mimeType": "text/plain", "buffer": b"x"}
        ],
    )
    expect(browser_page.locator(".upload-item .outcome")).to_have_text("Uploaded")
    for path in (None, f"/cases/documents/{document.pk}/", "/cases/knowledge-base/"):
        if path:
            browser_page.goto(path)
        fits_a_phone(browser_page)


def test_a_file_over_the_largest_upload_is_not_sent_and_says_why(
    browser_page: Page,
    login_as_staff: Callable[[User], None],
    lawyer: User,
    settings: Settings,
) -> None:
    settings.DOCUMENT_MAX_BYTES = 20
    case = CaseFactory(lawyers=[lawyer])
    login_as_staff(lawyer)
    browser_page.goto(f"/cases/{case.pk}/")
    posts: list[str] = []
    browser_page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )

    browser_page.set_input_files(
        "#upload-files",
        files=[
            {"name": "long.txt", "mimeType": "text/plain", "buffer": b"x" * 21},
            {"name": "short.txt", "mimeType": "text/plain", "buffer": b"Notice.\n"},
        ],
    )

    items = browser_page.locator(".upload-item")
    expect(items.filter(has_text="short.txt").locator(".outcome")).to_have_text("Uploaded")
    expect(items.filter(has_text="long.txt").locator(".outcome")).to_have_text(
        "The file is larger than 20\xa0bytes."
    )
    assert len(posts) == 1
    assert list(Document.objects.values_list("title", flat=True)) == ["short.txt"]


def test_delete_asks_in_a_dialog_and_takes_the_row_away(
    browser_page: Page, login_as_staff: Callable[[User], None], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    DocumentFactory(case=case, title="kept.pdf")
    DocumentFactory(case=case, title="old draft.pdf")
    login_as_staff(lawyer)
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    browser_page.on("dialog", answer)
    browser_page.goto(f"/cases/{case.pk}/")
    table = browser_page.locator("#documents")
    table.get_by_role("row", name="old draft.pdf").get_by_role("link", name="Delete").click()

    expect(table).not_to_contain_text("old draft.pdf")
    expect(table).to_contain_text("kept.pdf")
    assert asked == ["Delete old draft.pdf? The assistant will no longer draw on it."]
    assert list(Document.objects.values_list("title", flat=True)) == ["kept.pdf"]
