"""The deadlines API (/api/cases/{caseId}/deadlines, /api/deadlines/{deadlineId}) and the
cases API's next deadline: shapes, who may read and change, errors as problems."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Deadline
from tests.factories import AdminFactory, CaseFactory, DeadlineFactory, LawyerFactory
from tests.problems import field_errors_of, problem_of

pytestmark = pytest.mark.django_db

DEADLINE_KEYS = {
    "id",
    "caseId",
    "dueDate",
    "dueTime",
    "kind",
    "responsibleId",
    "notes",
    "done",
    "overdue",
    "completedAt",
    "completedById",
    "createdAt",
    "updatedAt",
}


def _in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _list_url(case) -> str:
    return reverse("cases-api:case-deadlines", args=[case.pk])


def _url(deadline: Deadline) -> str:
    return reverse("cases-api:deadline", args=[deadline.pk])


@pytest.fixture
def lawyer_case(lawyer):
    return CaseFactory(lawyers=[lawyer])


def test_a_lawyer_adds_a_deadline_and_gets_it_back_in_camel_case(
    api_client_for, lawyer, lawyer_case
):
    body = {
        "dueDate": _in_days(5).isoformat(),
        "dueTime": "09:30",
        "kind": "hearing",
        "responsibleId": str(lawyer.pk),
        "notes": "Court 4.",
    }
    response = api_client_for(lawyer).post(_list_url(lawyer_case), body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == DEADLINE_KEYS
    assert response["Location"] == f"/api/deadlines/{data['id']}"
    assert data | {"id": 0, "createdAt": "", "updatedAt": ""} == {
        "id": 0,
        "caseId": lawyer_case.pk,
        "dueDate": _in_days(5).isoformat(),
        "dueTime": "09:30",
        "kind": "hearing",
        "responsibleId": str(lawyer.pk),
        "notes": "Court 4.",
        "done": False,
        "overdue": False,
        "completedAt": None,
        "completedById": None,
        "createdAt": "",
        "updatedAt": "",
    }
    assert Deadline.history.get().history_user == lawyer


def test_a_responsible_lawyer_off_the_case_is_a_broken_rule(api_client_for, lawyer, lawyer_case):
    body = {"dueDate": "2027-01-10", "kind": "filing", "responsibleId": LawyerFactory().pk}
    response = api_client_for(lawyer).post(_list_url(lawyer_case), body, format="json")

    problem = problem_of(response, 422, type="/api/problems/rule-broken")
    assert list(problem["errors"]) == ["responsibleId"]
    assert not Deadline.objects.exists()


@pytest.mark.parametrize("due", ["10/01/2027", "2027-02-30", 20270110, ""])
def test_a_malformed_date_is_a_400_with_the_fields_error(api_client_for, lawyer, lawyer_case, due):
    body = {"dueDate": due, "kind": "filing", "responsibleId": lawyer.pk}
    response = api_client_for(lawyer).post(_list_url(lawyer_case), body, format="json")
    assert list(field_errors_of(response)) == ["dueDate"]


@pytest.mark.parametrize("at", ["9:30pm", "24:00", "14:30:00Z", 930])
def test_a_malformed_time_is_a_400_with_the_fields_error(api_client_for, lawyer, lawyer_case, at):
    body = {"dueDate": "2027-01-10", "dueTime": at, "kind": "filing", "responsibleId": lawyer.pk}
    response = api_client_for(lawyer).post(_list_url(lawyer_case), body, format="json")
    assert list(field_errors_of(response)) == ["dueTime"]


def test_unknown_and_read_only_fields_are_refused(api_client_for, lawyer, lawyer_case):
    body = {
        "dueDate": "2027-01-10",
        "kind": "filing",
        "responsibleId": lawyer.pk,
        "completedById": lawyer.pk,
        "priority": "high",
    }
    response = api_client_for(lawyer).post(_list_url(lawyer_case), body, format="json")
    assert field_errors_of(response) == {
        "completedById": ["This field is read-only."],
        "priority": ["Unknown field."],
    }


def test_the_client_reads_their_cases_deadlines_but_may_not_change_them(api_client_for):
    deadline = DeadlineFactory()
    api = api_client_for(deadline.case.client)

    listed = api.get(_list_url(deadline.case))
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [deadline.pk]
    assert api.get(_url(deadline)).json()["id"] == deadline.pk

    body = {"dueDate": "2027-01-10", "kind": "filing", "responsibleId": deadline.responsible_id}
    assert api.post(_list_url(deadline.case), body, format="json").status_code == 403
    assert api.patch(_url(deadline), {"done": True}, format="json").status_code == 403
    assert api.delete(_url(deadline)).status_code == 403
    deadline.refresh_from_db()
    assert not deadline.is_done


def test_another_lawyer_gets_404_for_everything(api_client_for):
    deadline = DeadlineFactory()
    api = api_client_for(LawyerFactory())
    assert api.get(_list_url(deadline.case)).status_code == 404
    assert api.get(_url(deadline)).status_code == 404
    assert api.patch(_url(deadline), {"notes": "x"}, format="json").status_code == 404
    assert api.delete(_url(deadline)).status_code == 404
    assert Deadline.objects.get().notes == deadline.notes


def test_patch_changes_fields_completes_and_reopens(api_client_for):
    deadline = DeadlineFactory(notes="Draft")
    lawyer = deadline.responsible
    api = api_client_for(lawyer)

    changed = api.patch(_url(deadline), {"notes": "Filed draft", "done": True}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["notes"] == "Filed draft"
    assert changed.json()["done"] is True
    assert changed.json()["completedById"] == str(lawyer.pk)

    reopened = api.patch(_url(deadline), {"done": False}, format="json")
    assert reopened.json()["done"] is False
    assert reopened.json()["completedAt"] is None


def test_patch_to_a_lawyer_off_the_case_changes_nothing(api_client_for):
    deadline = DeadlineFactory(notes="Draft")
    api = api_client_for(deadline.responsible)
    body = {"notes": "Changed", "responsibleId": str(LawyerFactory().pk)}
    response = api.patch(_url(deadline), body, format="json")
    assert problem_of(response, 422, type="/api/problems/rule-broken")["errors"].keys() == {
        "responsibleId"
    }
    assert Deadline.objects.get().notes == "Draft"


def test_an_admin_deletes_a_deadline(api_client_for):
    deadline = DeadlineFactory()
    response = api_client_for(AdminFactory()).delete(_url(deadline))
    assert response.status_code == 204
    assert not Deadline.objects.exists()


def test_overdue_and_done_show_on_the_wire(api_client_for):
    overdue = DeadlineFactory(due_date=_in_days(-1))
    rows = api_client_for(overdue.responsible).get(_list_url(overdue.case)).json()["results"]
    assert rows[0]["overdue"] is True


# --- the cases API's next deadline ---------------------------------------------------------


def test_each_case_shows_its_next_open_deadline(api_client_for, lawyer):
    case = CaseFactory(lawyers=[lawyer])
    DeadlineFactory(case=case, due_date=_in_days(9), kind=Deadline.Kind.HEARING)
    DeadlineFactory(case=case, due_date=_in_days(4), due_time=datetime.time(15, 0))
    DeadlineFactory(
        case=case, due_date=_in_days(1), completed_at=timezone.now(), completed_by=lawyer
    )
    bare = CaseFactory(lawyers=[lawyer])

    rows = {
        row["id"]: row
        for row in api_client_for(lawyer).get(reverse("cases-api:list")).json()["results"]
    }
    assert rows[case.pk]["nextDeadline"] == {
        "dueDate": _in_days(4).isoformat(),
        "dueTime": "15:00",
        "kind": "filing",
        "overdue": False,
    }
    assert rows[bare.pk]["nextDeadline"] is None
    detail = api_client_for(lawyer).get(reverse("cases-api:detail", args=[case.pk])).json()
    assert detail["nextDeadline"] == rows[case.pk]["nextDeadline"]


def test_cases_order_by_next_deadline_with_the_cases_without_one_last(api_client_for, lawyer):
    later, none, sooner, same_day_timed = (CaseFactory(lawyers=[lawyer]) for _ in range(4))
    DeadlineFactory(case=later, due_date=_in_days(10))
    DeadlineFactory(case=sooner, due_date=_in_days(2))
    DeadlineFactory(case=same_day_timed, due_date=_in_days(2), due_time=datetime.time(9, 0))

    response = api_client_for(lawyer).get(reverse("cases-api:list"), {"ordering": "next-deadline"})

    assert [row["id"] for row in response.json()["results"]] == [
        same_day_timed.pk,
        sooner.pk,
        later.pk,
        none.pk,
    ]


def test_an_unknown_ordering_is_a_400(api_client_for, lawyer):
    response = api_client_for(lawyer).get(reverse("cases-api:list"), {"ordering": "title"})
    assert list(field_errors_of(response)) == ["ordering"]


def test_the_cases_list_costs_the_same_queries_for_3_or_30_cases_with_deadlines(
    api_client_for, admin_user, django_assert_num_queries
):
    api = api_client_for(admin_user)
    lawyer = LawyerFactory()
    for case in CaseFactory.create_batch(3, lawyers=[lawyer]):
        DeadlineFactory.create_batch(2, case=case)
    params = {"ordering": "next-deadline"}
    with CaptureQueriesContext(connection) as three:
        assert api.get(reverse("cases-api:list"), params).status_code == 200

    for case in CaseFactory.create_batch(27, lawyers=[lawyer]):
        DeadlineFactory(case=case)
    with django_assert_num_queries(len(three)):
        response = api.get(reverse("cases-api:list"), params)
    assert all(row["nextDeadline"] for row in response.json()["results"])
