"""The main pages walked in Chromium under the Content-Security-Policy: each arrives with the
strict policy, the browser reports no violation (nothing refused: no inline script or style,
no eval) and no script error, and the page still works (htmx swaps, the chat stream, the QR
code, the admin's charts and widgets, Swagger UI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from accounts.models import User
from drafting.batches import batch_create_from_csv
from drafting.models import Draft
from drafting.services import draft_generate, draft_request
from tests.factories import CaseFactory, ConsultationFactory, FirmBudgetFactory, LawyerFactory
from tests.fake_llm import FakeLLM, Reply
from tests.security.conftest import NDA, nda_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs: each violation the document reports.
LISTEN = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


class Watch:
    """A tab whose CSP violations and script errors are collected across its navigations: the
    console and page errors as they come, each document's violation events when asked."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(message.text)

    def goto(self, path: str) -> None:
        self.check()
        response = self.page.goto(path)
        assert response is not None, path
        assert response.ok, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (path, policy)
        assert "style-src 'self'" in policy, (path, policy)
        assert "unsafe" not in policy, policy

    def seen(self) -> list[str]:
        """The problems of the current document and of the earlier ones."""
        if self.page.url.startswith("http"):
            self.problems += self.page.evaluate("window.cspViolations || []")
            self.page.evaluate("window.cspViolations = []")
        return self.problems

    def check(self) -> None:
        assert not self.seen(), self.problems


@pytest.fixture
def watch(browser_context: BrowserContext, browser_page: Page) -> Iterator[Watch]:
    browser_context.add_init_script(LISTEN)
    watched = Watch(browser_page)
    yield watched
    watched.check()


def test_the_watch_sees_an_inline_style_and_an_inline_script(watch: Watch) -> None:
    # The listeners are what every other test relies on: a refusal must not go unseen.
    watch.goto("/accounts/login/")
    watch.page.evaluate(
        """() => {
        document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
        const script = document.createElement("script");
        script.textContent = "window.ran = true";
        document.body.append(script);
    }"""
    )

    seen = " ".join(watch.seen())
    assert "style-src-attr blocked inline" in seen
    assert "script-src-elem blocked inline" in seen
    assert watch.page.evaluate("window.ran") is None
    watch.problems.clear()


def test_login_cases_and_a_case_page_work_without_violations(
    watch: Watch, login_as_staff: Callable[[User], None], lawyer: User
) -> None:
    watch.goto("/accounts/login/")
    assert watch.page.locator("input[name=password]").is_visible()
    mine = CaseFactory(lawyers=[lawyer], title="Harbour lease renewal")
    CaseFactory(lawyers=[lawyer], title="Boundary dispute")
    login_as_staff(lawyer)

    watch.goto("/cases/")
    watch.page.fill("input[name=search]", "Harbour")
    # htmx replaces the table as one types (a swap, no page load).
    watch.page.locator("#case-table", has_text="1 case").wait_for()
    assert "Boundary" not in watch.page.locator("#case-table").inner_text()

    watch.goto(f"/cases/{mine.pk}/")
    # The panels load themselves with htmx: their "Show …" links are replaced.
    watch.page.locator("section.card a", has_text="Show").first.wait_for(state="detached")
    watch.goto("/cases/new/")
    watch.check()


def test_the_chat_streams_its_answer_without_violations(
    watch: Watch, login_as_staff: Callable[[User], None], fake_llm: FakeLLM, settings: Any
) -> None:
    settings.LLM_DEADLINE_MS = 10_000
    fake_llm.script(Reply(text="The tenant may sublet with consent.", chunk_delay=0.05))
    login_as_staff(LawyerFactory())

    watch.goto("/assistant/")
    watch.page.fill("textarea[name=message]", "Can the tenant sublet?")
    watch.page.click("#ask-submit")
    watch.page.locator(".streamed[data-state=done]").wait_for()

    assert watch.page.locator(".streamed .answer").inner_text() == (
        "The tenant may sublet with consent."
    )
    # The answer keeps its line breaks (white-space from counsel.css, not a style attribute).
    white_space = watch.page.locator(".streamed .answer").evaluate(
        "element => getComputedStyle(element).whiteSpace"
    )
    assert white_space == "pre-wrap"
    watch.check()


def _generate(*, draft_id: int) -> None:
    """Write a draft as the worker would. Playwright's event loop runs in the test's thread,
    where async_to_sync refuses to run a coroutine, so it runs in a thread of its own (on a
    connection of its own, closed after: the test's rows are committed, so it sees them)."""

    def generate() -> None:
        try:
            async_to_sync(draft_generate)(draft_id=draft_id, request_id="csp")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(generate).result()


def test_the_drafting_pages_work_without_violations(
    watch: Watch, login_as_staff: Callable[[User], None], lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    draft = draft_request(author=lawyer, type_id="nda", inputs=dict(NDA.example_inputs), case=case)
    _generate(draft_id=draft.pk)
    running = draft_request(author=lawyer, type_id="nda", inputs=dict(NDA.example_inputs))
    Draft.objects.filter(pk=running.pk).update(status=Draft.Status.RUNNING, progress=40)
    batch = batch_create_from_csv(
        author=lawyer, type_id="nda", csv_file=nda_csv(effective_date="not a date"), case=case
    )
    login_as_staff(lawyer)

    watch.goto("/drafting/")
    watch.goto("/drafting/new/nda/")
    # Each field is checked with htmx when it changes: emptied, it says it is required.
    with watch.page.expect_response(lambda response: "validate" in response.url):
        watch.page.fill("input[name=party_a_name]", "Northwind")
        watch.page.locator("input[name=party_b_name]").focus()
    # The answer replaces the whole field once it is read: the next edit goes to the new one.
    watch.page.locator("#field-party_a_name:not(.htmx-request)").wait_for()
    watch.page.fill("input[name=party_a_name]", "")
    watch.page.locator("input[name=party_b_name]").focus()
    watch.page.locator("#field-party_a_name.field-error").wait_for()

    watch.goto(f"/drafting/drafts/{running.pk}/")
    progress = watch.page.locator("progress.progress")
    assert progress.get_attribute("value") == "40"
    assert progress.bounding_box()["width"] > 100

    watch.goto(f"/drafting/drafts/{draft.pk}/")
    watch.page.fill("textarea[name=text]", "A shorter agreement.")
    watch.page.click("button[value=version]")
    watch.page.locator("h1", has_text="version 2").wait_for()
    # The comparison of versions is swapped in by htmx.
    watch.page.select_option("#diff-old", label="1")
    watch.page.locator("form[hx-get] button[type=submit]").click()
    removed = watch.page.locator("#diff del").first
    removed.wait_for()
    assert removed.evaluate("element => getComputedStyle(element).backgroundColor") == (
        "rgb(251, 233, 233)"
    )

    watch.goto(f"/drafting/batches/{batch.pk}/")
    assert watch.page.locator("#batch-progress progress.progress").is_visible()
    watch.goto("/drafting/drafts/")
    watch.check()


def test_enrolling_an_authenticator_shows_the_qr_code_without_violations(
    watch: Watch, login_as_staff: Callable[..., None]
) -> None:
    login_as_staff(LawyerFactory(), verified=False)

    watch.goto("/accounts/security/")
    watch.page.locator("button", has_text="Set up an authenticator app").click()
    qr = watch.page.locator("#authenticator .qr svg")
    qr.wait_for()

    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 200
    watch.check()


def test_the_admin_and_its_dashboard_work_without_violations(
    watch: Watch, login_as_staff: Callable[[User], None], admin_user: User, lawyer: User
) -> None:
    consultation = ConsultationFactory(user=lawyer, latency_ms=120)
    FirmBudgetFactory(monthly_tokens=100)
    case = CaseFactory(lawyers=[lawyer])
    login_as_staff(admin_user)

    watch.goto("/admin/")
    watch.goto("/admin/consultations/consultation/")
    watch.goto(f"/admin/consultations/consultation/{consultation.pk}/change/")
    watch.goto(f"/admin/cases/case/{case.pk}/change/")
    watch.goto(f"/admin/cases/case/{case.pk}/history/")
    watch.goto("/admin/consultations/consultation/dashboard/?days=7")
    assert watch.page.locator("svg.chart").count() == 5
    swatch = watch.page.locator("#calls .legend svg.swatch").first.bounding_box()
    assert swatch is not None
    assert swatch["width"] > 5
    meter = watch.page.locator("#budgets meter").first
    assert meter.get_attribute("value") is not None
    assert meter.bounding_box()["width"] > 100
    watch.goto("/admin/consultations/consultation/cache/")

    # The budget form's user field is the admin's autocomplete (select2 over jQuery).
    watch.goto("/admin/consultations/budget/add/")
    watch.page.click(".select2-selection")
    watch.page.locator(".select2-results__option", has_text=lawyer.username).wait_for()
    watch.check()


def test_the_api_docs_render_without_violations(watch: Watch) -> None:
    watch.goto("/api/docs/")
    watch.page.locator(".swagger-ui .info .title", has_text="Counsel API").wait_for()
    operation = watch.page.locator(".opblock-summary").first
    operation.click()
    watch.page.locator(".opblock-body").first.wait_for()
    watch.check()
