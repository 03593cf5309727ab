"""`GET /api/ai/consultations/{id}`: one exchange with its question and answer, for whoever
may see it (404 for anyone else), each opening recorded as a view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation, ConsultationView
from tests.factories import (
    AdminFactory,
    CaseFactory,
    ClientFactory,
    ConsultationFactory,
    LawyerFactory,
)

pytestmark = pytest.mark.django_db

KEYS = {
    "id",
    "kind",
    "userId",
    "caseId",
    "conversationId",
    "model",
    "outcome",
    "cached",
    "tokensUsed",
    "latencyMs",
    "createdAt",
    "promptVersion",
    "question",
    "answer",
}

Api = Callable[[User], APIClient]


def _url(consultation: Consultation) -> str:
    return reverse("ai-api:consultation", args=[consultation.pk])


def test_the_caller_opens_their_own_exchange_in_camel_case_and_it_is_recorded(
    api_client_for: Api, client_user: User
) -> None:
    case = CaseFactory(client=client_user)
    mine = ConsultationFactory(user=client_user, case=case, question="Can I sublet?")

    response = api_client_for(client_user).get(_url(mine))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS
    assert (body["id"], body["userId"], body["caseId"]) == (mine.pk, str(client_user.pk), case.pk)
    assert (body["question"], body["answer"]) == ("Can I sublet?", mine.answer)
    assert list(ConsultationView.objects.values_list("consultation", "viewer")) == [
        (mine.pk, client_user.pk)
    ]


def test_staff_on_the_case_and_admins_open_a_case_exchange_others_get_404(
    api_client_for: Api,
) -> None:
    asker, colleague, stranger = LawyerFactory(), LawyerFactory(), LawyerFactory()
    client = ClientFactory()
    case = CaseFactory(client=client, lawyers=[asker, colleague])
    exchange = ConsultationFactory(user=asker, case=case)

    statuses = {
        who: api_client_for(user).get(_url(exchange)).status_code
        for who, user in {
            "colleague": colleague,
            "admin": AdminFactory(),
            "stranger": stranger,
            "client of the case": client,
        }.items()
    }

    assert statuses == {
        "colleague": 200,
        "admin": 200,
        "stranger": 404,
        "client of the case": 404,
    }
    assert ConsultationView.objects.filter(consultation=exchange).count() == 2


def test_a_lawyer_taken_off_the_case_no_longer_opens_even_their_own_exchange(
    api_client_for: Api, lawyer: User
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    exchange = ConsultationFactory(user=lawyer, case=case)
    api = api_client_for(lawyer)
    assert api.get(_url(exchange)).status_code == 200

    case.lawyers.remove(lawyer)

    assert api.get(_url(exchange)).status_code == 404
    assert exchange.pk not in [
        row["id"] for row in api.get("/api/ai/consultations").json()["results"]
    ]


def test_an_exchange_on_no_case_is_its_owners_and_the_admins(api_client_for: Api) -> None:
    owner = ClientFactory()
    exchange = ConsultationFactory(user=owner, case=None, kind=Consultation.Kind.ANALYZE)

    assert api_client_for(owner).get(_url(exchange)).status_code == 200
    assert api_client_for(AdminFactory()).get(_url(exchange)).status_code == 200
    assert api_client_for(LawyerFactory()).get(_url(exchange)).status_code == 404
    assert api_client_for(ClientFactory()).get(_url(exchange)).status_code == 404


def test_an_unknown_exchange_is_404_and_nothing_is_recorded(
    api_client_for: Api, admin_user: User
) -> None:
    response = api_client_for(admin_user).get("/api/ai/consultations/999999")

    assert response.status_code == 404
    assert not ConsultationView.objects.exists()


def test_the_endpoint_is_in_the_openapi_schema(api_client_for: Api, lawyer: User) -> None:
    schema = api_client_for(lawyer).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/ai/consultations/{consultationId}"]["get"]
    detail = schema["components"]["schemas"]["ConsultationDetail"]
    assert set(detail["properties"]) == KEYS
    assert {"200", "404"} <= set(operation["responses"])
