from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from config.errors import PermissionDenied
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft
from drafting.review import (
    DraftNotReady,
    DraftReadOnly,
    DraftTextInvalid,
    draft_approve,
    draft_can_review,
    draft_diff,
    draft_diff_lines,
    draft_edit,
    draft_new_version,
    draft_versions,
)
from drafting.services import draft_generate, draft_request
from tests.factories import AdminFactory, CaseFactory, LawyerFactory

pytestmark = pytest.mark.django_db

NDA_INPUTS = dict(DOCUMENT_TYPES["nda"].example_inputs)


def _drafted(author: User, case: Case | None = None) -> Draft:
    """An NDA drafted as a worker would draft it (the offline provider: no network)."""
    draft = draft_request(author=author, type_id="nda", inputs=NDA_INPUTS, case=case)
    return async_to_sync(draft_generate)(draft_id=draft.pk, request_id="test")


# --- approving ------------------------------------------------------------------------------


def test_lawyer_approval_records_who_and_when(lawyer):
    draft = _drafted(lawyer)
    before = timezone.now()

    approved = draft_approve(draft=draft, actor=lawyer)

    stored = Draft.objects.get(pk=draft.pk)
    assert approved.status == stored.status == Draft.Status.APPROVED
    assert stored.approved_by == lawyer
    assert before <= stored.approved_at <= timezone.now()


def test_a_colleague_on_the_case_may_approve_and_an_admin_too(lawyer):
    colleague = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer, colleague])
    draft = _drafted(lawyer, case)
    assert draft_can_review(user=AdminFactory(), draft=draft)

    draft_approve(draft=draft, actor=colleague)

    assert Draft.objects.get(pk=draft.pk).approved_by == colleague


def test_client_cannot_approve_even_a_draft_of_their_own(client_user):
    draft = _drafted(client_user)  # clients may request drafts through the API

    with pytest.raises(PermissionDenied):
        draft_approve(draft=draft, actor=client_user)

    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.DRAFTED


def test_client_of_the_case_cannot_approve(lawyer):
    case = CaseFactory(lawyers=[lawyer])
    draft = _drafted(lawyer, case)

    with pytest.raises(PermissionDenied):
        draft_approve(draft=draft, actor=case.client)


def test_lawyer_who_neither_wrote_it_nor_is_on_the_case_cannot_approve(lawyer):
    draft = _drafted(lawyer, CaseFactory(lawyers=[lawyer]))

    with pytest.raises(PermissionDenied):
        draft_approve(draft=draft, actor=LawyerFactory())

    assert Draft.objects.get(pk=draft.pk).approved_by is None


def test_approving_twice_keeps_the_first_approval(lawyer):
    colleague = LawyerFactory()
    draft = _drafted(lawyer, CaseFactory(lawyers=[lawyer, colleague]))
    draft_approve(draft=draft, actor=lawyer)

    with pytest.raises(DraftReadOnly):
        draft_approve(draft=draft, actor=colleague)

    assert Draft.objects.get(pk=draft.pk).approved_by == lawyer


def test_a_draft_still_queued_cannot_be_approved(lawyer):
    draft = draft_request(author=lawyer, type_id="nda", inputs=NDA_INPUTS)

    with pytest.raises(DraftNotReady):
        draft_approve(draft=draft, actor=lawyer)


# --- editing and versions -------------------------------------------------------------------


def test_approved_draft_is_read_only(lawyer):
    draft = draft_approve(draft=_drafted(lawyer), actor=lawyer)

    with pytest.raises(DraftReadOnly):
        draft_edit(draft=draft, actor=lawyer, text="Something else entirely.")

    assert Draft.objects.get(pk=draft.pk).text == draft.text


def test_editing_a_drafted_draft_rescores_it(lawyer):
    draft = _drafted(lawyer)
    assert (draft.warnings, draft.quality_score) == ([], 1)

    edited = draft_edit(draft=draft, actor=lawyer, text=draft.text + "\n\nSigned on [●].")

    assert edited.text.endswith("Signed on [●].")
    assert "Placeholder left in the draft: [●]" in edited.warnings
    assert edited.quality_score < 1


def test_new_version_increments_the_number_and_keeps_both(lawyer):
    draft = draft_approve(draft=_drafted(lawyer), actor=lawyer)
    new_text = draft.text.replace("Northwind Analytics Ltd", "Northwind Analytics Limited")

    version = draft_new_version(draft=draft, actor=lawyer, text=new_text)

    assert (version.version, version.parent, version.status) == (2, draft, Draft.Status.DRAFTED)
    assert version.text == new_text
    assert (version.document_type, version.inputs, version.case) == (
        draft.document_type,
        draft.inputs,
        draft.case,
    )
    original = Draft.objects.get(pk=draft.pk)
    assert original.status == Draft.Status.APPROVED
    assert "Northwind Analytics Ltd" in original.text
    assert [v.pk for v in draft_versions(version, viewer=lawyer)] == [draft.pk, version.pk]


def test_a_version_made_from_an_older_one_takes_the_familys_next_number(lawyer):
    first = _drafted(lawyer)
    second = draft_new_version(draft=first, actor=lawyer, text=first.text + "\nSecond.")

    third = draft_new_version(draft=first, actor=lawyer, text=first.text + "\nThird.")

    assert (second.version, third.version) == (2, 3)
    assert [v.version for v in draft_versions(second, viewer=lawyer)] == [1, 2, 3]


def test_a_new_version_needs_a_changed_text(lawyer):
    draft = _drafted(lawyer)

    with pytest.raises(DraftTextInvalid):
        draft_new_version(draft=draft, actor=lawyer, text=draft.text + "\n")

    assert draft_versions(draft, viewer=lawyer) == [draft]


def test_client_cannot_make_a_new_version(client_user):
    draft = _drafted(client_user)

    with pytest.raises(PermissionDenied):
        draft_new_version(draft=draft, actor=client_user, text="Changed.")


# --- differences ----------------------------------------------------------------------------


def test_diff_shows_the_changed_line(lawyer):
    old = _drafted(lawyer)
    new = draft_new_version(
        draft=old, actor=lawyer, text=old.text.replace("1 December 2026", "2 December 2026")
    )

    diff = draft_diff(old, new)

    assert diff.startswith("--- version 1\n+++ version 2\n")
    assert (
        '\n-This Mutual Non-Disclosure Agreement (the "Agreement") is dated 1 December 2026.'
        in diff
    )
    assert (
        '\n+This Mutual Non-Disclosure Agreement (the "Agreement") is dated 2 December 2026.'
        in diff
    )


def test_diff_lines_mark_what_was_added_and_removed(lawyer):
    old = _drafted(lawyer)
    new = draft_new_version(
        draft=old, actor=lawyer, text=old.text.replace("1. Parties", "1. The Parties")
    )

    lines = draft_diff_lines(old, new)

    assert ("removed", "1. Parties") in [(line.kind, line.text) for line in lines]
    assert ("added", "1. The Parties") in [(line.kind, line.text) for line in lines]
    assert lines[0].kind == "hunk"
    assert draft_diff_lines(old, old) == []
