from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import Case
from cases.services import case_create, case_update
from config.errors import NotFound, PermissionDenied
from tests.factories import AdminFactory, CaseFactory, ClientFactory, LawyerFactory

pytestmark = pytest.mark.django_db


def _open(created_by, **overrides) -> Case:
    fields = {
        "title": "Lease dispute",
        "practice_area": Case.PracticeArea.PROPERTY,
        "client": ClientFactory(),
        "lawyers": [],
    }
    return case_create(created_by=created_by, **{**fields, **overrides})


def test_case_create_numbers_references_per_year_in_order(admin_user):
    year = timezone.localdate().year
    first, second = _open(admin_user), _open(admin_user)
    assert first.reference == f"CN-{year}-0001"
    assert second.reference == f"CN-{year}-0002"
    assert re.fullmatch(r"CN-\d{4}-\d{4}", first.reference)


def test_case_create_orders_references_past_9999_numerically(admin_user):
    year = timezone.localdate().year
    CaseFactory(reference=f"CN-{year}-9999")
    CaseFactory(reference=f"CN-{year}-10000")
    assert _open(admin_user).reference == f"CN-{year}-10001"


def test_case_create_moves_past_a_reference_taken_by_a_concurrent_create(admin_user, monkeypatch):
    year = timezone.localdate().year
    for number in (1, 2, 3):
        CaseFactory(reference=f"CN-{year}-{number:04d}")
    # What a concurrent transaction sees when it read the highest number before the others
    # committed theirs.
    monkeypatch.setattr(services, "_next_reference_number", lambda prefix: 1)

    case = _open(admin_user)

    assert case.reference == f"CN-{year}-0004"
    assert Case.objects.count() == 4


def test_lawyer_who_opens_a_case_is_assigned_to_it(lawyer):
    other = LawyerFactory()
    case = _open(lawyer, lawyers=[other])
    assert set(case.lawyers.all()) == {lawyer, other}


def test_client_cannot_open_a_case(client_user):
    with pytest.raises(PermissionDenied):
        _open(client_user, client=client_user)
    assert not Case.objects.exists()


def test_case_client_must_be_a_client_and_lawyers_lawyers(admin_user):
    with pytest.raises(ValidationError) as error:
        _open(admin_user, client=LawyerFactory(), lawyers=[ClientFactory(username="notalawyer")])
    assert set(error.value.message_dict) == {"client", "lawyers"}
    assert "notalawyer" in error.value.message_dict["lawyers"][0]
    assert not Case.objects.exists()


def test_case_create_records_who_opened_it(admin_user):
    case = _open(admin_user, lawyers=[LawyerFactory()])
    assert {record.history_user for record in case.history.all()} == {admin_user}
    assert case.history.earliest().history_type == "+"


def test_assigned_lawyer_updates_a_case_in_one_history_record(lawyer):
    case = CaseFactory(lawyers=[lawyer])
    newcomer = LawyerFactory()
    before = case.history.count()

    case_update(case=case, actor=lawyer, status=Case.Status.ON_HOLD, lawyers=[lawyer, newcomer])

    case.refresh_from_db()
    assert case.status == Case.Status.ON_HOLD
    assert set(case.lawyers.all()) == {lawyer, newcomer}
    assert case.history.count() == before + 1
    latest = case.history.latest()
    assert latest.history_user == lawyer
    assert latest.status == Case.Status.ON_HOLD
    assert {row.user for row in latest.lawyers.all()} == {lawyer, newcomer}


def test_lawyer_cannot_update_a_case_not_assigned_to_them(lawyer):
    case = CaseFactory(lawyers=[LawyerFactory()])
    with pytest.raises(NotFound):
        case_update(case=case, actor=lawyer, title="Mine now")
    case.refresh_from_db()
    assert case.title != "Mine now"


def test_client_cannot_update_their_own_case(client_user):
    case = CaseFactory(client=client_user)
    with pytest.raises(PermissionDenied):
        case_update(case=case, actor=client_user, title="Renamed")


def test_client_cannot_update_another_clients_case(client_user):
    with pytest.raises(NotFound):
        case_update(case=CaseFactory(), actor=client_user, title="Renamed")


def test_admin_updates_any_case_and_the_client_must_stay_a_client(admin_user):
    case = CaseFactory()
    case_update(case=case, actor=admin_user, title="Renamed")
    assert Case.objects.get(pk=case.pk).title == "Renamed"
    with pytest.raises(ValidationError) as error:
        case_update(case=case, actor=admin_user, client=LawyerFactory())
    assert "client" in error.value.message_dict


def test_case_update_refuses_the_reference():
    case = CaseFactory()
    with pytest.raises(TypeError):
        case_update(case=case, actor=case.client, reference="CN-1999-0001")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "mysql",
    reason="SQLite admits one writer at a time; the race of two open transactions is MariaDB's",
)
def test_two_cases_opened_at_the_same_instant_get_different_references(monkeypatch):
    admin = AdminFactory()
    clients = ClientFactory.create_batch(2)
    read_the_same_number = threading.Barrier(2, timeout=10)
    next_number = services._next_reference_number

    def racing_next_number(prefix: str) -> int:
        number = next_number(prefix)
        read_the_same_number.wait()  # neither inserts before both have read
        return number

    monkeypatch.setattr(services, "_next_reference_number", racing_next_number)
    references, errors = [], []

    def open_case(client) -> None:
        try:
            references.append(_open(admin, client=client).reference)
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_case, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    year = timezone.localdate().year
    assert sorted(references) == [f"CN-{year}-0001", f"CN-{year}-0002"]
