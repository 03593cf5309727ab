"""The deadline pages: the case page's Deadlines block (marked overdue, struck when done, the
add and edit forms inline with htmx), the cases list's next deadline and its ordering, and
"My deadlines"."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.deadlines import deadline_complete
from cases.models import Deadline
from tests.factories import CaseFactory, DeadlineFactory, LawyerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
OVERDUE = '<strong class="badge danger overdue">Overdue</strong>'


def _in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _form(lawyer, prefix: str = "new", **changes: str) -> dict[str, str]:
    fields = {
        "due_date": _in_days(6).isoformat(),
        "due_time": "",
        "kind": "filing",
        "responsible": str(lawyer.pk),
        "notes": "Serve the defence.",
    }
    return {f"{prefix}-{name}": value for name, value in (fields | changes).items()}


def test_the_case_page_lists_deadlines_soonest_first_marking_overdue_and_done(
    page_client_for, lawyer
):
    case = CaseFactory(lawyers=[lawyer])
    DeadlineFactory(case=case, due_date=_in_days(5), notes="Hearing on damages")
    DeadlineFactory(case=case, due_date=_in_days(-2), notes="Limitation of the counterclaim")
    done = DeadlineFactory(case=case, due_date=_in_days(-9), notes="Filed the claim")
    deadline_complete(actor=lawyer, deadline=done)

    html = page_client_for(lawyer).get(_detail(case)).content.decode()

    block = html[html.index('id="deadlines"') :]
    assert block.index("Filed the claim") < block.index("Limitation") < block.index("Hearing")
    assert html.count(OVERDUE) == 1  # the done one is late but not overdue
    overdue_item = re.search(r'<li id="deadline-\d+" class="deadline overdue">.*?</li>', html, re.S)
    assert "Limitation of the counterclaim" in overdue_item[0]
    done_item = html[html.index(f'id="deadline-{done.pk}"') :]
    assert 'class="deadline done"' in done_item[:60]
    assert "<del>" in done_item[: done_item.index("</li>")]
    assert "Reopen" in done_item[: done_item.index("</li>")]


def test_the_client_sees_the_deadlines_without_any_way_to_change_them(page_client_for):
    deadline = DeadlineFactory(notes="Hearing in court 4")
    html = page_client_for(deadline.case.client).get(_detail(deadline.case)).content.decode()
    assert "Hearing in court 4" in html
    for control in ("Add a deadline", "Mark done", ">Edit<", ">Delete<"):
        assert control not in html[html.index('id="deadlines"') :], control


def test_a_lawyer_adds_a_deadline_with_htmx_and_gets_the_block_back(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    response = page_client_for(lawyer).post(
        reverse("cases:deadline-add", args=[case.pk]), _form(lawyer), **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="deadlines"' in html
    assert "Serve the defence." in html
    deadline = Deadline.objects.get()
    assert (deadline.case, deadline.responsible, deadline.kind) == (case, lawyer, "filing")


def test_an_invalid_deadline_comes_back_in_the_block_with_its_field_errors(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    outsider = LawyerFactory()
    response = page_client_for(lawyer).post(
        reverse("cases:deadline-add", args=[case.pk]),
        _form(lawyer, due_date="31/02/2027", responsible=str(outsider.pk)),
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<details open>" in html
    assert html.count('class="errorlist"') == 2  # the date and the lawyer
    assert "Enter a valid date." in html
    assert not Deadline.objects.exists()


def test_without_javascript_adding_redirects_to_the_case_page(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    response = page_client_for(lawyer).post(
        reverse("cases:deadline-add", args=[case.pk]), _form(lawyer)
    )
    assert response.status_code == 302
    assert response["Location"] == _detail(case) + "#deadlines"


def test_editing_inline_shows_the_form_in_place_and_saves(page_client_for):
    deadline = DeadlineFactory(notes="Old notes")
    page = page_client_for(deadline.responsible)
    url = reverse("cases:deadline-edit", args=[deadline.pk])

    form = page.get(url, **HTMX).content.decode()
    item = form[form.index(f'id="deadline-{deadline.pk}"') :]
    assert 'name="edit-notes"' in item[: item.index("</li>")]
    assert "Old notes" in item

    saved = page.post(url, _form(deadline.responsible, "edit", notes="New notes"), **HTMX)
    assert "New notes" in saved.content.decode()
    assert Deadline.objects.get().notes == "New notes"


def test_completing_and_reopening_from_the_case_page(page_client_for):
    deadline = DeadlineFactory()
    page = page_client_for(deadline.responsible)

    done = page.post(reverse("cases:deadline-complete", args=[deadline.pk]), **HTMX)
    assert "Reopen" in done.content.decode()
    assert "<del>" in done.content.decode()
    assert Deadline.objects.get().completed_by == deadline.responsible

    reopened = page.post(reverse("cases:deadline-reopen", args=[deadline.pk]), **HTMX)
    assert "Mark done" in reopened.content.decode()
    assert Deadline.objects.get().completed_at is None


def test_the_client_may_not_complete_and_another_lawyer_finds_nothing(page_client_for):
    deadline = DeadlineFactory()
    url = reverse("cases:deadline-complete", args=[deadline.pk])
    assert page_client_for(deadline.case.client).post(url).status_code == 403
    assert page_client_for(LawyerFactory()).post(url).status_code == 404
    assert Deadline.objects.get().completed_at is None


def test_deleting_from_the_case_page(page_client_for):
    deadline = DeadlineFactory(notes="To be removed")
    response = page_client_for(deadline.responsible).post(
        reverse("cases:deadline-delete", args=[deadline.pk]), **HTMX
    )
    assert "To be removed" not in response.content.decode()
    assert "No deadlines yet." in response.content.decode()
    assert not Deadline.objects.exists()


# --- the cases list -------------------------------------------------------------------------


def _next_deadline_cells(html: str) -> list[str]:
    return re.findall(r'<td class="next-deadline"[^>]*>(.*?)</td>', html, re.S)


def test_the_cases_list_shows_each_cases_next_deadline_and_sorts_by_it(page_client_for, lawyer):
    later, none, overdue = (CaseFactory(lawyers=[lawyer]) for _ in range(3))
    DeadlineFactory(case=later, due_date=datetime.date(2099, 3, 1), kind=Deadline.Kind.HEARING)
    DeadlineFactory(case=overdue, due_date=datetime.date(2020, 1, 6))

    html = (
        page_client_for(lawyer)
        .get(reverse("cases:list"), {"ordering": "next-deadline"})
        .content.decode()
    )

    cells = _next_deadline_cells(html)
    assert len(cells) == 3
    assert "Filing" in cells[0]
    assert "Mon 6 Jan 2020" in cells[0]
    assert OVERDUE in cells[0]
    assert "Hearing" in cells[1]
    assert "Sun 1 Mar 2099" in cells[1]
    assert OVERDUE not in cells[1]
    assert "None" in cells[2]
    assert html.index(overdue.reference) < html.index(later.reference) < html.index(none.reference)


def test_the_cases_list_with_deadlines_costs_the_same_queries_for_3_or_30_cases(
    page_client_for, admin_user, django_assert_num_queries
):
    page = page_client_for(admin_user)
    lawyer = LawyerFactory()
    for case in CaseFactory.create_batch(3, lawyers=[lawyer]):
        DeadlineFactory(case=case)
    with CaptureQueriesContext(connection) as three:
        page.get(reverse("cases:list"), {"ordering": "next-deadline"})

    for case in CaseFactory.create_batch(27, lawyers=[lawyer]):
        DeadlineFactory(case=case)
    with django_assert_num_queries(len(three)):
        response = page.get(reverse("cases:list"), {"ordering": "next-deadline"})
    assert len(_next_deadline_cells(response.content.decode())) == 25


# --- My deadlines ---------------------------------------------------------------------------


def test_my_deadlines_lists_the_lawyers_next_14_days_overdue_first(page_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    DeadlineFactory(case=case, due_date=_in_days(3), notes="Exchange witness statements")
    DeadlineFactory(case=case, due_date=_in_days(-1), notes="Pay the court fee")
    DeadlineFactory(case=case, due_date=_in_days(20), notes="Far away")

    html = page_client_for(lawyer).get(reverse("cases:my-deadlines")).content.decode()

    assert html.index("Pay the court fee") < html.index("Exchange witness statements")
    assert "Far away" not in html
    assert html.count(OVERDUE) == 1
    assert case.reference in html
    assert f'href="{reverse("cases:my-deadlines")}"' in html  # in the staff navigation


def test_clients_have_no_deadlines_page_nor_its_link(page_client_for, client_user):
    page = page_client_for(client_user)
    assert page.get(reverse("cases:my-deadlines")).status_code == 403
    assert reverse("cases:my-deadlines") not in page.get(reverse("cases:list")).content.decode()
