from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from accounts.models import User
from consultations.models import Consultation
from tests.factories import (
    CaseFactory,
    DeadlineFactory,
    DocumentFactory,
    LawyerFactory,
    PassageFactory,
)
from tests.fake_llm import FakeLLM, Reply, Status, ToolCalls

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def ask(page: Page, question: str) -> None:
    page.goto("/assistant/")
    page.fill("textarea[name=message]", question)
    page.click("#ask-submit")


def consultation_when_recorded(timeout: float = 10) -> Consultation:
    # The live server records the exchange in its own thread once the stream ends.
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if found := Consultation.objects.first():
            return found
        time.sleep(0.05)
    raise AssertionError("no consultation was recorded")


@pytest.fixture
def lawyer_in_browser(login_as_staff: Callable[[User], None]) -> User:
    lawyer = LawyerFactory()
    login_as_staff(lawyer)
    return lawyer


def test_the_answer_grows_on_the_page_as_it_streams(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM, settings: Any
) -> None:
    settings.LLM_DEADLINE_MS = 10_000
    words = [f"word{n}" for n in range(1, 13)]
    fake_llm.script(Reply(text=" ".join(words), chunk_delay=0.15))

    ask(browser_page, "Can the tenant sublet?")
    answer = browser_page.locator(".streamed .answer")
    answer.filter(has_text="word2").wait_for()
    partly = answer.inner_text()
    browser_page.locator(".streamed[data-state=done]").wait_for()

    assert "word12" not in partly
    assert answer.inner_text() == " ".join(words)
    assert "20 tokens" in browser_page.locator(".stream-status").inner_text()
    assert browser_page.locator(".stream-stop").is_hidden()
    assert consultation_when_recorded().answer == " ".join(words)
    # The question travelled in the POST body and the cache, never in the stream's address.
    assert "sublet" not in browser_page.locator("[data-stream-url]").get_attribute(
        "data-stream-url"
    )


def test_stop_closes_the_stream_and_the_server_records_it_cancelled(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM, settings: Any
) -> None:
    settings.LLM_DEADLINE_MS = 20_000
    fake_llm.script(Reply(text=" ".join(f"w{n}" for n in range(1, 61)), chunk_delay=0.1))

    ask(browser_page, "A long question?")
    answer = browser_page.locator(".streamed .answer")
    answer.filter(has_text="w3").wait_for()
    browser_page.click(".stream-stop")
    stopped_at = answer.inner_text()

    assert browser_page.locator(".stream-status").inner_text() == "Stopped."
    cancelled = consultation_when_recorded()
    assert (cancelled.outcome, cancelled.error_code) == ("failed", "cancelled")
    assert "w60" not in cancelled.answer
    time.sleep(0.3)
    assert answer.inner_text() == stopped_at


def test_a_broken_stream_shows_as_broken_with_the_friendly_message(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM
) -> None:
    fake_llm.script(Reply(text="This answer breaks off here", cut_after=3))

    ask(browser_page, "Will it break?")
    browser_page.locator(".streamed[data-state=broken]").wait_for()

    assert browser_page.locator(".stream-status").inner_text() == (
        "The AI is busy right now, please try again."
    )
    assert browser_page.locator(".streamed .answer").text_content() == "This answer breaks "
    assert consultation_when_recorded().error_code == "truncated"


def test_an_llm_that_is_down_shows_the_friendly_message(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM
) -> None:
    fake_llm.script(*[Status(503)] * 3)

    ask(browser_page, "Anyone there?")
    browser_page.locator(".streamed[data-state=broken]").wait_for()

    assert "busy right now" in browser_page.locator(".stream-status").inner_text()


def test_a_second_question_on_the_page_continues_the_conversation(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM
) -> None:
    fake_llm.script(Reply(text="First answer here."), Reply(text="Second answer here."))

    ask(browser_page, "First question?")
    browser_page.locator(".streamed[data-state=done]").wait_for()
    browser_page.fill("textarea[name=message]", "Second question?")
    browser_page.click("#ask-submit")
    browser_page.locator(".streamed[data-state=done]").nth(1).wait_for()

    assert browser_page.locator(".streamed .answer").nth(1).inner_text() == "Second answer here."
    history = [m["content"] for m in fake_llm.requests[1].json["messages"][1:]]
    assert history == ["First question?", "First answer here.", "Second question?"]


def test_a_streamed_answer_links_the_passages_it_cites_to_their_page(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM
) -> None:
    case = CaseFactory(lawyers=[lawyer_in_browser], title="Warehouse lease")
    lease = DocumentFactory(case=case, title="Lease.pdf", page_count=3)
    PassageFactory(document=lease, page=3, text="The tenant may sublet with written consent.")
    fake_llm.script(Reply(text="Only with written consent [1].", chunk_delay=0.05))

    browser_page.goto("/assistant/")
    browser_page.select_option("select[name=case]", str(case.pk))
    browser_page.fill("textarea[name=message]", "Can the tenant sublet?")
    browser_page.click("#ask-submit")
    browser_page.locator(".streamed[data-state=done]").wait_for()
    source = browser_page.locator(".streamed ol.references a")

    assert source.inner_text() == "Lease.pdf, page 3"
    assert source.get_attribute("href") == f"/cases/documents/{lease.pk}/#page-3"
    source.click()
    browser_page.wait_for_url(f"**/cases/documents/{lease.pk}/#page-3")
    assert browser_page.locator("#page-3").is_visible()


def test_a_question_the_model_answers_with_a_tool_streams_only_the_answer(
    browser_page: Page, lawyer_in_browser: User, fake_llm: FakeLLM, settings: Any
) -> None:
    settings.LLM_DEADLINE_MS = 10_000
    case = CaseFactory(lawyers=[lawyer_in_browser], title="Harbour lease")
    DeadlineFactory(case=case, responsible=lawyer_in_browser, notes="File the defence")
    fake_llm.script(
        ToolCalls(("deadlines_list", {"days": 14})),
        Reply(text="The defence is due next week.", chunk_delay=0.05),
    )

    browser_page.goto(f"/assistant/?case={case.pk}")
    browser_page.fill("textarea[name=message]", "What is due in the next two weeks?")
    browser_page.click("#ask-submit")
    browser_page.locator(".streamed[data-state=done]").wait_for()

    assert browser_page.locator(".streamed .answer").inner_text() == (
        "The defence is due next week."
    )
    recorded = consultation_when_recorded()
    assert recorded.tool_calls.get().tool == "deadlines_list"
    assert "File the defence" in fake_llm.requests[1].messages[-1]["content"]
