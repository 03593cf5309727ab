"""Drafts, batches, conversations and their AI exchanges follow their case's membership as it
is at each request: a lawyer taken off a case loses them, their own included; only a lawyer on
the case at that moment approves; a firm may require four eyes on every approval."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case
from config.errors import PermissionDenied
from consultations.services import conversation_start
from drafting.batches import batch_create_from_csv
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft
from drafting.review import draft_approve, draft_edit, draft_new_version
from drafting.services import draft_generate, draft_request
from tests.factories import CaseFactory, LawyerFactory
from tests.security.conftest import nda_csv

pytestmark = pytest.mark.django_db

NDA_INPUTS = dict(DOCUMENT_TYPES["nda"].example_inputs)


def _drafted(author: User, case: Case | None) -> Draft:
    draft = draft_request(author=author, type_id="nda", inputs=NDA_INPUTS, case=case)
    return async_to_sync(draft_generate)(draft_id=draft.pk, request_id="membership-test")


@pytest.fixture
def case(lawyer: User) -> Case:
    return CaseFactory(lawyers=[lawyer])


def test_a_lawyer_taken_off_the_case_loses_the_draft_they_wrote_on_it(
    page_client_for: Callable[[User], Client],
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
    case: Case,
) -> None:
    draft = _drafted(lawyer, case)
    page, api = page_client_for(lawyer), api_client_for(lawyer)
    assert page.get(reverse("drafting:detail", args=[draft.pk])).status_code == 200

    case.lawyers.remove(lawyer)

    revise = {"text": draft.text + "\nAmended.", "action": "version"}
    statuses = {
        "detail": page.get(reverse("drafting:detail", args=[draft.pk])).status_code,
        "status": page.get(reverse("drafting:status", args=[draft.pk])).status_code,
        "approve": page.post(reverse("drafting:approve", args=[draft.pk])).status_code,
        "revise": page.post(reverse("drafting:revise", args=[draft.pk]), revise).status_code,
        "api": api.get(reverse("drafting-api:draft", args=[draft.pk])).status_code,
    }
    assert statuses == dict.fromkeys(statuses, 404)
    mine = page.get(reverse("drafting:mine")).content.decode()
    assert reverse("drafting:detail", args=[draft.pk]) not in mine
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.DRAFTED
    assert Draft.objects.filter(parent=draft).count() == 0


def test_the_review_services_refuse_a_lawyer_no_longer_on_the_case(
    lawyer: User, case: Case
) -> None:
    draft = _drafted(lawyer, case)
    case.lawyers.remove(lawyer)

    for act in (
        lambda: draft_approve(draft=draft, actor=lawyer),
        lambda: draft_edit(draft=draft, actor=lawyer, text="Changed."),
        lambda: draft_new_version(draft=draft, actor=lawyer, text="Changed."),
    ):
        with pytest.raises(PermissionDenied):
            act()
    stored = Draft.objects.get(pk=draft.pk)
    assert (stored.status, stored.text, stored.versions.count()) == (
        Draft.Status.DRAFTED,
        draft.text,
        0,
    )


def test_a_colleague_added_to_the_case_reviews_at_once(lawyer: User, case: Case) -> None:
    draft = _drafted(lawyer, case)
    newcomer = LawyerFactory()
    with pytest.raises(PermissionDenied):
        draft_approve(draft=draft, actor=newcomer)

    case.lawyers.add(newcomer)

    assert draft_approve(draft=draft, actor=newcomer).approved_by == newcomer


def test_a_draft_on_no_case_is_its_authors_alone(lawyer: User) -> None:
    draft = _drafted(lawyer, None)

    with pytest.raises(PermissionDenied):
        draft_approve(draft=draft, actor=LawyerFactory())

    assert draft_approve(draft=draft, actor=lawyer).approved_by == lawyer


def test_a_queued_draft_whose_author_left_the_case_is_not_drafted(lawyer: User, case: Case) -> None:
    queued = draft_request(author=lawyer, type_id="nda", inputs=NDA_INPUTS, case=case)
    case.lawyers.remove(lawyer)

    with pytest.raises(PermissionDenied):
        async_to_sync(draft_generate)(draft_id=queued.pk, request_id="membership-test")

    stored = Draft.objects.get(pk=queued.pk)
    assert (stored.status, stored.consultation) == (Draft.Status.FAILED, None)
    assert "no longer on the draft's case" in stored.failure_reason


def test_a_lawyer_taken_off_the_case_loses_its_batches(
    page_client_for: Callable[[User], Client], lawyer: User, case: Case
) -> None:
    batch = batch_create_from_csv(
        author=lawyer, type_id="nda", csv_file=nda_csv(effective_date="not a date"), case=case
    )
    page = page_client_for(lawyer)
    assert page.get(reverse("drafting:batch", args=[batch.pk])).status_code == 200

    case.lawyers.remove(lawyer)

    assert page.get(reverse("drafting:batch", args=[batch.pk])).status_code == 404
    assert page.get(reverse("drafting:batch-zip", args=[batch.pk])).status_code == 404
    assert page.post(reverse("drafting:batch-retry", args=[batch.pk])).status_code == 404


def test_a_lawyer_taken_off_the_case_loses_its_conversations_their_own_too(
    api_client_for: Callable[[User], APIClient], lawyer: User, case: Case
) -> None:
    conversation = conversation_start(user=lawyer, case=case, first_question="Notice?")
    api = api_client_for(lawyer)
    detail = reverse("ai-api:conversation", args=[conversation.pk])
    assert api.get(detail).status_code == 200

    case.lawyers.remove(lawyer)

    listed = [row["id"] for row in api.get("/api/ai/conversations").json()["results"]]
    follow_up = {
        "userId": lawyer.pk,
        "message": "And the deadline?",
        "context": {"conversationId": conversation.pk},
    }
    assert api.get(detail).status_code == 404
    assert conversation.pk not in listed
    assert api.post("/api/ai/chat", follow_up, format="json").status_code == 404


# --- four eyes ------------------------------------------------------------------------------


def test_by_default_the_lawyer_who_requested_a_draft_may_approve_it(
    lawyer: User, case: Case
) -> None:
    draft = _drafted(lawyer, case)

    assert draft_approve(draft=draft, actor=lawyer).approved_by == lawyer


def test_a_firm_can_require_another_lawyer_to_approve(
    page_client_for: Callable[[User], Client], settings, lawyer: User, case: Case
) -> None:
    settings.DRAFT_APPROVER_MUST_DIFFER = True
    colleague = LawyerFactory()
    case.lawyers.add(colleague)
    draft = _drafted(lawyer, case)
    page = page_client_for(lawyer)

    assert "Approve version" not in page.get(reverse("drafting:detail", args=[draft.pk])).text
    page.post(reverse("drafting:approve", args=[draft.pk]))
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.DRAFTED
    with pytest.raises(PermissionDenied):
        draft_approve(draft=draft, actor=lawyer)

    assert draft_approve(draft=draft, actor=colleague).approved_by == colleague
