"""Deadlines in Chromium on a phone's screen: added, marked done and edited in place on the
case page with htmx, under the Content-Security-Policy; the case page, the cases list and My
deadlines fit 390 px."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from cases.models import Deadline
from tests.browser.watch import PHONE, fits_a_phone, script_problems
from tests.factories import CaseFactory, DeadlineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lawyer_adds_completes_and_edits_deadlines_in_place_on_a_phone(
    browser_page: Page, login_as_staff: Callable[[User], None], lawyer: User
) -> None:
    case = CaseFactory(
        lawyers=[lawyer], title="Boundary dispute with the neighbouring landowner over the hedge"
    )
    DeadlineFactory(
        case=case,
        responsible=lawyer,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
        notes="Pay the court fee " + "x" * 120,
    )
    login_as_staff(lawyer)
    problems = script_problems(browser_page)
    browser_page.set_viewport_size(PHONE)
    browser_page.goto(f"/cases/{case.pk}/")
    block = browser_page.locator("#deadlines")
    expect(block.locator(".overdue .badge", has_text="Overdue")).to_be_visible()
    fits_a_phone(browser_page)

    browser_page.get_by_text("Add a deadline").click()
    block.get_by_label("Due on").fill("2031-02-03")
    block.get_by_label("Kind").select_option("hearing")
    block.get_by_label("Responsible lawyer").select_option(str(lawyer.pk))
    block.get_by_label("Notes").fill("Court 4, bring the bundle.")
    block.get_by_role("button", name="Add deadline").click()

    added = block.locator("li", has_text="Court 4, bring the bundle.")
    expect(added).to_contain_text("Mon 3 Feb 2031")
    assert browser_page.url.endswith(f"/cases/{case.pk}/")  # swapped in, not reloaded
    overdue = block.locator("li.overdue")
    overdue.get_by_role("button", name="Mark done").click()
    expect(block.locator("li.done del")).to_be_visible()
    expect(block.locator("li.done").get_by_role("button", name="Reopen")).to_be_visible()

    added = block.locator("li", has_text="Court 4, bring the bundle.")
    added.get_by_role("link", name="Edit").click()
    block.locator("li form").get_by_label("Notes").fill("Court 5.")
    block.get_by_role("button", name="Save deadline").click()
    expect(block).to_contain_text("Court 5.")
    fits_a_phone(browser_page)

    assert Deadline.objects.get(notes="Court 5.").kind == "hearing"
    assert Deadline.objects.filter(completed_by=lawyer).count() == 1
    for path in ("/cases/", "/cases/?ordering=next-deadline", "/cases/my-deadlines/"):
        browser_page.goto(path)
        fits_a_phone(browser_page)
    expect(browser_page.locator(".overdue")).to_have_count(0)  # done now
    assert problems == [], problems
