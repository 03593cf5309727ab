from __future__ import annotations

import re

import pytest
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.models import Case
from tests.cases.conftest import ALL_CASES, VISIBILITY
from tests.factories import CaseFactory, ClientFactory, LawyerFactory
from tests.problems import detail_of, field_errors_of

pytestmark = pytest.mark.django_db

CASE_KEYS = {
    "id",
    "reference",
    "title",
    "practiceArea",
    "status",
    "description",
    "clientId",
    "lawyerIds",
    "opposingParties",
    "nextDeadline",
    "createdAt",
    "updatedAt",
}
LIST_URL = reverse("cases-api:list")


def _detail_url(case: Case) -> str:
    return reverse("cases-api:detail", args=[case.pk])


def _new_case(**overrides) -> dict:
    body = {
        "title": "Trade mark opposition",
        "practiceArea": "ip",
        "clientId": str(ClientFactory().pk),
        "description": "Opposed on likelihood of confusion.",
        "opposingParties": "Ramani Beverages GmbH\nTheir agent",
    }
    return {**body, **overrides}


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "visible"), VISIBILITY)
def test_case_list_returns_exactly_the_cases_the_user_may_see(firm, api_client_for, who, visible):
    response = api_client_for(getattr(firm, who)).get(LIST_URL)
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        getattr(firm, name).pk for name in visible
    }


@pytest.mark.parametrize(("who", "visible"), VISIBILITY)
def test_another_users_case_is_a_404_to_read_and_to_change(firm, api_client_for, who, visible):
    api = api_client_for(getattr(firm, who))
    for name in set(ALL_CASES) - visible:
        case = getattr(firm, name)
        assert api.get(_detail_url(case)).status_code == 404, name
        response = api.patch(_detail_url(case), {"title": "Taken"}, format="json")
        assert response.status_code == 404, name
        assert detail_of(response) == "Case not found."
    for name in visible:
        assert api.get(_detail_url(getattr(firm, name))).status_code == 200, name


def test_api_refuses_anonymous_callers(firm):
    assert APIClient().get(LIST_URL).status_code == 401
    assert APIClient().get(_detail_url(firm.case_a)).status_code == 401


def test_clients_cannot_open_cases_403(firm, api_client_for):
    response = api_client_for(firm.client_a).post(
        LIST_URL, _new_case(clientId=firm.client_a.pk), format="json"
    )
    assert response.status_code == 403
    assert detail_of(response) == "Only lawyers and admins open cases."
    assert Case.objects.count() == 3


def test_clients_cannot_change_their_own_case_403(firm, api_client_for):
    response = api_client_for(firm.client_a).patch(
        _detail_url(firm.case_a), {"status": "closed"}, format="json"
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=firm.case_a.pk).status == Case.Status.OPEN


# --- shapes ---------------------------------------------------------------------------------


def test_retrieve_returns_the_case_in_camel_case(firm, api_client_for):
    case = firm.case_ab
    body = api_client_for(firm.lawyer_b).get(_detail_url(case)).json()
    assert set(body) == CASE_KEYS
    assert body["id"] == case.pk
    assert body["reference"] == case.reference
    assert body["practiceArea"] == "corporate"
    assert body["status"] == "open"
    # User ids are numeric strings, as the contract's userId.
    assert body["clientId"] == str(firm.client_a.pk)
    assert body["lawyerIds"] == [str(firm.lawyer_b.pk)]
    assert body["opposingParties"] == case.opposing_parties
    assert body["createdAt"].startswith(str(case.created_at.year))
    assert body["updatedAt"].startswith(str(case.updated_at.year))


def test_list_is_paginated(api_client_for, admin_user):
    CaseFactory.create_batch(27)
    api = api_client_for(admin_user)
    first = api.get(LIST_URL).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 27
    assert len(first["results"]) == 25
    assert set(first["results"][0]) == CASE_KEYS
    assert len(api.get(first["next"]).json()["results"]) == 2


def test_list_searches_and_filters(api_client_for, admin_user):
    wanted = CaseFactory(title="Harbour Street lease", status=Case.Status.ON_HOLD)
    CaseFactory(title="Harbour Street licence", status=Case.Status.OPEN)
    CaseFactory(title="Unrelated", status=Case.Status.ON_HOLD)
    api = api_client_for(admin_user)

    response = api.get(LIST_URL, {"search": "harbour", "status": "on-hold"})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_list_rejects_an_unknown_status(api_client_for, admin_user):
    response = api_client_for(admin_user).get(LIST_URL, {"status": "lost"})
    assert response.status_code == 400
    assert set(field_errors_of(response)) == {"status"}


# --- create and update ----------------------------------------------------------------------


def test_lawyer_creates_a_case(api_client_for, lawyer):
    colleague = LawyerFactory()
    body = _new_case(lawyerIds=[colleague.pk])

    response = api_client_for(lawyer).post(LIST_URL, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert set(data) == CASE_KEYS
    assert re.fullmatch(r"CN-\d{4}-\d{4}", data["reference"])
    assert data["title"] == "Trade mark opposition"
    assert data["practiceArea"] == "ip"
    assert data["status"] == "open"
    assert data["clientId"] == body["clientId"]
    assert sorted(data["lawyerIds"]) == sorted([str(lawyer.pk), str(colleague.pk)])
    assert data["opposingParties"] == "Ramani Beverages GmbH\nTheir agent"
    case = Case.objects.get(pk=data["id"])
    assert case.reference == data["reference"]
    assert case.history.latest().history_user == lawyer


@pytest.mark.parametrize("as_sent", [str, int])
def test_user_ids_are_taken_as_numeric_strings_or_numbers(api_client_for, lawyer, as_sent):
    colleague = LawyerFactory()
    client = ClientFactory()
    body = _new_case(clientId=as_sent(client.pk), lawyerIds=[as_sent(colleague.pk)])

    response = api_client_for(lawyer).post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["clientId"] == str(client.pk)


@pytest.mark.parametrize("user_id", ["", "04", "4.0", " 4", True, 4.5, "١٢"])
def test_anything_else_is_no_user_id(api_client_for, lawyer, user_id):
    response = api_client_for(lawyer).post(LIST_URL, _new_case(clientId=user_id), format="json")

    assert response.status_code == 400
    assert list(field_errors_of(response)) == ["clientId"]


def test_create_rejects_unknown_fields(api_client_for, admin_user):
    response = api_client_for(admin_user).post(
        LIST_URL, _new_case(priority="high", client_id=1), format="json"
    )
    assert response.status_code == 400
    assert field_errors_of(response) == {
        "client_id": ["Unknown field."],
        "priority": ["Unknown field."],
    }
    assert not Case.objects.exists()


def test_reference_is_read_only(firm, api_client_for):
    api = api_client_for(firm.admin_a)
    response = api.post(LIST_URL, _new_case(reference="CN-1999-0001"), format="json")
    assert response.status_code == 400
    assert field_errors_of(response) == {"reference": ["This field is read-only."]}

    response = api.patch(_detail_url(firm.case_a), {"reference": "CN-1999-0001"}, format="json")
    assert response.status_code == 400
    assert Case.objects.get(pk=firm.case_a.pk).reference == firm.case_a.reference


def test_create_checks_the_client_and_lawyers_roles(firm, api_client_for):
    response = api_client_for(firm.admin_a).post(
        LIST_URL,
        _new_case(clientId=firm.lawyer_a.pk, lawyerIds=[firm.client_a.pk]),
        format="json",
    )
    assert response.status_code == 400
    assert field_errors_of(response) == {
        "clientId": [f"No client has id {firm.lawyer_a.pk}."],
        "lawyerIds": [f"No lawyer has id {firm.client_a.pk}."],
    }


def test_create_requires_title_practice_area_and_client(api_client_for, admin_user):
    response = api_client_for(admin_user).post(LIST_URL, {}, format="json")
    assert response.status_code == 400
    assert set(field_errors_of(response)) == {"title", "practiceArea", "clientId"}


def test_a_title_is_measured_as_sent_before_its_spaces_are_trimmed(api_client_for, firm):
    # The schema's maxLength holds for the text as sent: 200 characters after a leading
    # space are 201.
    api = api_client_for(firm.admin_a)
    response = api.post(LIST_URL, _new_case(title="\u2000" + "x" * 200), format="json")
    assert response.status_code == 400
    assert field_errors_of(response) == {
        "title": ["Ensure this field has no more than 200 characters."]
    }
    response = api.post(LIST_URL, _new_case(title=" " + "x" * 199), format="json")
    assert response.status_code == 201
    assert response.json()["title"] == "x" * 199


def test_assigned_lawyer_patches_a_case_and_history_records_them(firm, api_client_for):
    response = api_client_for(firm.lawyer_b).patch(
        _detail_url(firm.case_ab),
        {"status": "on-hold", "lawyerIds": [firm.lawyer_a.pk, firm.lawyer_b.pk]},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == CASE_KEYS
    assert data["status"] == "on-hold"
    assert sorted(data["lawyerIds"]) == sorted([str(firm.lawyer_a.pk), str(firm.lawyer_b.pk)])
    assert data["title"] == firm.case_ab.title
    latest = Case.objects.get(pk=firm.case_ab.pk).history.latest()
    assert latest.history_user == firm.lawyer_b
    assert latest.status == "on-hold"


def test_put_replaces_the_editable_fields(firm, api_client_for):
    api = api_client_for(firm.admin_b)
    body = _new_case(clientId=firm.client_b.pk, status="closed", lawyerIds=[])
    response = api.put(_detail_url(firm.case_a), body, format="json")
    assert response.status_code == 200
    case = Case.objects.get(pk=firm.case_a.pk)
    assert (case.title, case.client, case.status) == (
        "Trade mark opposition",
        firm.client_b,
        Case.Status.CLOSED,
    )
    assert not case.lawyers.exists()
    assert case.reference == firm.case_a.reference


def test_put_needs_the_required_fields(firm, api_client_for):
    response = api_client_for(firm.admin_a).put(
        _detail_url(firm.case_a), {"status": "closed"}, format="json"
    )
    assert response.status_code == 400
    assert set(field_errors_of(response)) == {"title", "practiceArea", "clientId"}


def test_patch_rejects_unknown_fields(firm, api_client_for):
    response = api_client_for(firm.admin_a).patch(
        _detail_url(firm.case_a), {"practice_area": "family"}, format="json"
    )
    assert response.status_code == 400
    assert field_errors_of(response) == {"practice_area": ["Unknown field."]}


# --- schema ---------------------------------------------------------------------------------


def test_openapi_schema_describes_the_cases_api_in_camel_case():
    patterns = [path("api/", include("cases.api_urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    collection = schema["paths"]["/api/cases"]
    item = schema["paths"]["/api/cases/{caseId}"]
    assert set(collection) == {"get", "post"}
    assert set(item) == {"get", "put", "patch"}
    assert {p["name"] for p in collection["get"]["parameters"]} >= {
        "search",
        "status",
        "ordering",
        "page",
    }
    components = schema["components"]["schemas"]
    page = collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["$ref"] == "#/components/schemas/PaginatedCaseOutputList"
    assert set(components["CaseOutput"]["properties"]) == CASE_KEYS
    assert set(components["CaseInput"]["properties"]) == CASE_KEYS - {
        "id",
        "reference",
        "nextDeadline",
        "createdAt",
        "updatedAt",
    }
    assert "PatchedCaseInput" in components
