from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import case_update
from tests.factories import CaseFactory, LawyerFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_and_searches_cases(page_client_for, admin_user):
    wanted = CaseFactory(title="Harbour Street lease")
    CaseFactory(title="Unrelated")
    response = page_client_for(admin_user).get(
        reverse("admin:cases_case_changelist"), {"q": "harbour"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert wanted.reference in body
    assert "Unrelated" not in body


def test_admin_history_shows_who_changed_a_case(page_client_for, admin_user):
    lawyer = LawyerFactory(username="amara.okafor")
    case = CaseFactory(lawyers=[lawyer])
    case_update(case=case, actor=lawyer, status=Case.Status.CLOSED)

    response = page_client_for(admin_user).get(reverse("admin:cases_case_history", args=[case.pk]))

    assert response.status_code == 200
    assert "amara.okafor" in response.content.decode()


def test_admin_edit_through_the_admin_is_recorded_with_the_admin(page_client_for, admin_user):
    case = CaseFactory()
    url = reverse("admin:cases_case_change", args=[case.pk])
    data = {
        "title": "Renamed in admin",
        "practice_area": case.practice_area,
        "status": Case.Status.ON_HOLD,
        "description": case.description,
        "client": case.client.pk,
        "opposing_parties": case.opposing_parties,
    }
    response = page_client_for(admin_user).post(url, data)
    assert response.status_code == 302
    latest = Case.objects.get(pk=case.pk).history.latest()
    assert latest.title == "Renamed in admin"
    assert latest.history_user == admin_user


def test_cases_are_not_added_in_the_admin(page_client_for, admin_user):
    response = page_client_for(admin_user).get(reverse("admin:cases_case_add"))
    assert response.status_code == 403
