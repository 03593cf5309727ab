"""Clients draft by one rule on the pages and the API: for themselves, on one of their own cases
or on none; they read only the drafts they asked for, and never review or run batches."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from config.errors import NotFound
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft
from drafting.review import draft_new_version
from drafting.services import draft_generate, draft_request
from tests.factories import CaseFactory, LawyerFactory

pytestmark = pytest.mark.django_db

NDA = DOCUMENT_TYPES["nda"]
Pages = Callable[[User], Client]
Apis = Callable[[User], APIClient]


def _form(case_id: int | str) -> dict[str, str]:
    inputs = {name: str(value) for name, value in NDA.example_inputs.items()}
    return {**inputs, "tone": "neutral", "case": str(case_id)}


def _api_body(case_id: int) -> dict:
    return {
        "type": "nda",
        "inputs": inputs_on_the_wire(NDA.example_inputs),
        "context": {"caseId": case_id},
    }


def test_a_client_drafts_on_their_own_case_on_the_page_and_reads_it_without_review(
    page_client_for: Pages, client_user: User
) -> None:
    case = CaseFactory(client=client_user)
    page = page_client_for(client_user)
    assert page.get(reverse("drafting:new", args=["nda"])).status_code == 200

    response = page.post(reverse("drafting:new", args=["nda"]), _form(case.pk))

    draft = Draft.objects.get(author=client_user)
    assert response.status_code == 302
    assert response["Location"] == reverse("drafting:detail", args=[draft.pk])
    assert draft.case == case
    async_to_sync(draft_generate)(draft_id=draft.pk, request_id="client-drafting")
    detail = page.get(reverse("drafting:detail", args=[draft.pk])).content.decode()
    assert "Approve version" not in detail
    assert "Edit the text" not in detail
    mine = page.get(reverse("drafting:mine")).content.decode()
    assert reverse("drafting:detail", args=[draft.pk]) in mine


def test_another_clients_case_is_refused_alike_on_the_page_and_the_api(
    page_client_for: Pages, api_client_for: Apis, client_user: User
) -> None:
    theirs = CaseFactory()

    page = page_client_for(client_user).post(
        reverse("drafting:new", args=["nda"]), _form(theirs.pk)
    )
    api = api_client_for(client_user).post(
        "/api/ai/generate-document", _api_body(theirs.pk), format="json"
    )

    assert page.status_code == 200  # the form again: no valid choice
    assert "case" in page.context["form"].errors
    assert api.status_code == 404
    with pytest.raises(NotFound):
        draft_request(author=client_user, type_id="nda", inputs=NDA.example_inputs, case=theirs)
    assert not Draft.objects.exists()


def test_the_api_lets_a_client_draft_on_their_own_case_as_the_page_does(
    api_client_for: Apis, client_user: User
) -> None:
    case = CaseFactory(client=client_user)

    response = api_client_for(client_user).post(
        "/api/ai/generate-document", _api_body(case.pk), format="json"
    )

    assert response.status_code == 200
    assert Draft.objects.get(author=client_user).case == case


def test_a_client_never_sees_a_lawyers_draft_or_version_on_their_case(
    page_client_for: Pages, api_client_for: Apis, client_user: User
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(client=client_user, lawyers=[lawyer])
    own = draft_request(author=client_user, type_id="nda", inputs=NDA.example_inputs, case=case)
    own = async_to_sync(draft_generate)(draft_id=own.pk, request_id="client-drafting")
    version = draft_new_version(draft=own, actor=lawyer, text=own.text + "\nLawyer's note.")
    page = page_client_for(client_user)

    detail = page.get(reverse("drafting:detail", args=[own.pk])).content.decode()
    diff = page.get(reverse("drafting:diff", args=[own.pk]), {"old": own.pk, "new": version.pk})

    assert reverse("drafting:detail", args=[version.pk]) not in detail
    assert diff.status_code == 404
    assert page.get(reverse("drafting:detail", args=[version.pk])).status_code == 404
    api = api_client_for(client_user)
    assert api.get(reverse("drafting-api:draft", args=[version.pk])).status_code == 404


@pytest.mark.parametrize(
    "url", [reverse("drafting:batch-new"), reverse("drafting:csv-template", args=["nda"])]
)
def test_batches_stay_with_lawyers_and_admins(
    page_client_for: Pages, client_user: User, url: str
) -> None:
    assert page_client_for(client_user).get(url).status_code == 403
