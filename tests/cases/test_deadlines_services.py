"""The deadline services and selectors: who may change a case's deadlines, the responsible
lawyer rule, completion and reopening, the history each change writes, and "My deadlines"."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.deadlines import (
    deadline_complete,
    deadline_create,
    deadline_delete,
    deadline_reopen,
    deadline_update,
)
from cases.models import Deadline
from cases.selectors import deadlines_upcoming, deadlines_visible_to
from config.errors import NotFound, PermissionDenied
from tests.factories import AdminFactory, CaseFactory, DeadlineFactory, LawyerFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 5)


def _in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def test_a_lawyer_on_the_case_adds_a_deadline_and_its_history_names_them():
    lawyer, colleague = LawyerFactory(), LawyerFactory()
    case = CaseFactory(lawyers=[lawyer, colleague])

    deadline = deadline_create(
        actor=lawyer,
        case=case,
        due_date=_in_days(3),
        due_time=datetime.time(10, 30),
        kind=Deadline.Kind.HEARING,
        responsible=colleague,
        notes="Bring the bundle.",
    )

    assert deadline.responsible == colleague
    assert not deadline.is_done
    record = deadline.history.get()
    assert (record.history_type, record.history_user, record.case_id) == ("+", lawyer, case.pk)


def test_the_responsible_lawyer_must_be_on_the_case():
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])

    with pytest.raises(ValidationError) as refused:
        deadline_create(
            actor=lawyer,
            case=case,
            due_date=_in_days(3),
            kind=Deadline.Kind.FILING,
            responsible=LawyerFactory(),
        )

    assert "responsible" in refused.value.message_dict
    assert not Deadline.objects.exists()


def test_the_client_may_not_add_a_deadline_and_another_lawyer_does_not_see_the_case():
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    fields = {"due_date": _in_days(3), "kind": Deadline.Kind.OTHER, "responsible": lawyer}

    with pytest.raises(PermissionDenied):
        deadline_create(actor=case.client, case=case, **fields)
    with pytest.raises(NotFound):
        deadline_create(actor=LawyerFactory(), case=case, **fields)
    assert not Deadline.objects.exists()


def test_an_admin_changes_a_deadline_in_one_history_record():
    deadline = DeadlineFactory(kind=Deadline.Kind.FILING)
    admin = AdminFactory()

    deadline_update(
        actor=admin, deadline=deadline, kind=Deadline.Kind.LIMITATION, due_date=_in_days(1)
    )

    deadline.refresh_from_db()
    assert (deadline.kind, deadline.due_date) == (Deadline.Kind.LIMITATION, _in_days(1))
    latest = deadline.history.first()
    assert (latest.history_type, latest.history_user, latest.kind) == ("~", admin, "limitation")
    assert deadline.history.count() == 2


def test_update_refuses_fields_it_does_not_change():
    deadline = DeadlineFactory()
    with pytest.raises(TypeError, match="completed_at"):
        deadline_update(actor=deadline.responsible, deadline=deadline, completed_at=timezone.now())


def test_update_refuses_a_responsible_lawyer_off_the_case():
    deadline = DeadlineFactory()
    with pytest.raises(ValidationError):
        deadline_update(actor=deadline.responsible, deadline=deadline, responsible=LawyerFactory())
    deadline.refresh_from_db()
    assert deadline.responsible.assigned_cases.filter(pk=deadline.case_id).exists()


def test_completing_records_who_and_when_and_a_second_completion_keeps_the_first():
    first, second = LawyerFactory(), LawyerFactory()
    deadline = DeadlineFactory(case=CaseFactory(lawyers=[first, second]))

    done = deadline_complete(actor=first, deadline=deadline)
    again = deadline_complete(actor=second, deadline=deadline)

    assert done.is_done
    assert done.completed_by == first
    assert again.completed_by == first
    assert again.completed_at == done.completed_at
    assert deadline.history.first().history_user == first
    assert deadline.history.count() == 2


def test_reopening_clears_the_completion():
    deadline = DeadlineFactory()
    deadline_complete(actor=deadline.responsible, deadline=deadline)

    reopened = deadline_reopen(actor=deadline.responsible, deadline=deadline)

    reopened.refresh_from_db()
    assert (reopened.completed_at, reopened.completed_by) == (None, None)
    assert deadline.history.count() == 3


def test_deleting_keeps_a_history_record_of_the_deletion():
    deadline = DeadlineFactory()
    lawyer, pk = deadline.responsible, deadline.pk

    deadline_delete(actor=lawyer, deadline=deadline)

    assert not Deadline.objects.filter(pk=pk).exists()
    record = Deadline.history.filter(id=pk).first()
    assert (record.history_type, record.history_user) == ("-", lawyer)


def test_the_client_may_not_complete_or_delete_their_cases_deadline():
    deadline = DeadlineFactory()
    client = deadline.case.client
    with pytest.raises(PermissionDenied):
        deadline_complete(actor=client, deadline=deadline)
    with pytest.raises(PermissionDenied):
        deadline_delete(actor=client, deadline=deadline)
    assert Deadline.objects.get().completed_at is None


def test_deadlines_follow_their_case():
    deadline = DeadlineFactory()
    assert list(deadlines_visible_to(deadline.case.client)) == [deadline]
    assert list(deadlines_visible_to(deadline.responsible)) == [deadline]
    assert list(deadlines_visible_to(AdminFactory())) == [deadline]
    assert list(deadlines_visible_to(LawyerFactory())) == []


def test_upcoming_lists_the_lawyers_open_deadlines_of_14_days_overdue_first():
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    soon = DeadlineFactory(case=case, responsible=lawyer, due_date=_in_days(2))
    overdue = DeadlineFactory(case=case, responsible=lawyer, due_date=_in_days(-3))
    last_day = DeadlineFactory(case=case, responsible=lawyer, due_date=_in_days(14))
    DeadlineFactory(case=case, responsible=lawyer, due_date=_in_days(15))  # too far
    done = DeadlineFactory(case=case, responsible=lawyer, due_date=_in_days(1))
    deadline_complete(actor=lawyer, deadline=done)
    DeadlineFactory(due_date=_in_days(1))  # another lawyer's

    assert list(deadlines_upcoming(user=lawyer)) == [overdue, soon, last_day]


def test_upcoming_leaves_out_the_deadlines_of_a_case_the_lawyer_has_left():
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    DeadlineFactory(case=case, responsible=lawyer)
    case.lawyers.remove(lawyer)
    assert list(deadlines_upcoming(user=lawyer)) == []


@mock.patch(
    "django.utils.timezone.now",
    return_value=datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC),
)
def test_a_deadline_is_overdue_after_its_time_or_after_its_day(now: mock.Mock) -> None:
    def due(date: datetime.date, at: datetime.time | None = None) -> Deadline:
        return Deadline(due_date=date, due_time=at)

    assert due(TODAY, datetime.time(11, 59)).is_overdue
    assert not due(TODAY, datetime.time(12, 1)).is_overdue
    assert not due(TODAY).is_overdue  # by the end of the day
    assert due(TODAY - datetime.timedelta(days=1)).is_overdue
    done = due(TODAY - datetime.timedelta(days=1))
    done.completed_at = now.return_value
    assert not done.is_overdue


def test_the_cases_admin_history_lists_its_deadlines_changes_and_who_made_them(
    page_client_for, admin_user
):
    lawyer = LawyerFactory(username="amara.okafor")
    case = CaseFactory(lawyers=[lawyer])
    deadline = deadline_create(
        actor=lawyer,
        case=case,
        due_date=datetime.date(2027, 3, 1),
        kind=Deadline.Kind.LIMITATION,
        responsible=lawyer,
    )
    deadline_complete(actor=lawyer, deadline=deadline)
    DeadlineFactory(due_date=datetime.date(2027, 4, 2))  # another case's

    html = (
        page_client_for(admin_user)
        .get(reverse("admin:cases_case_history", args=[case.pk]))
        .content.decode()
    )

    section = html[html.index('id="deadline-history"') :]
    assert section.count("Limitation due 2027-03-01") == 2  # added, then completed
    assert "amara.okafor" in section
    assert "2027-04-02" not in section
