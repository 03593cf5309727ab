"""What the browser tests watch a page for: script errors and what the Content-Security-Policy
refuses, and its width on a phone."""

from __future__ import annotations

from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}


def script_problems(page: Page) -> list[str]:
    """Script errors and what the Content-Security-Policy refuses, as they come."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return problems


def fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)
